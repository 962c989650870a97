-- Demo and test data, part 4: back-office administrators and their logons
-- (dbo.AdminUserLogon). Passwords: argon2id hashes of Demo-Passw0rd!.
-- Seeded once, into a database with no administrators yet (see 03).

IF EXISTS (SELECT 1 FROM dbo.AdminUser)
    RETURN;

DECLARE @Now datetime2(3) = SYSUTCDATETIME();
DECLARE @AdminUserID int;

-- admin.ann: an active back-office administrator.
IF NOT EXISTS (SELECT 1 FROM dbo.AdminUserLogon WHERE LoginName = N'admin.ann')
BEGIN
    INSERT INTO dbo.AdminUser (FirstName, LastName)
    VALUES (N'Ann', N'Admin');
    SET @AdminUserID = SCOPE_IDENTITY();

    INSERT INTO dbo.AdminUserLogon (
        AdminUserID, LoginName, UserPassword, DeletedDate, UISourceID, LastChange, LastLogon,
        Status, StatusReason, LastFailed, CreateDate, NumInvalidAttempts, GroupID, AuthenticationTypeID
    )
    VALUES (
        @AdminUserID, N'admin.ann',
        N'$argon2id$v=19$m=19456,t=2,p=1$7LBqcwATm3+dLWIcGcOKAQ$bd+2AO2Dd2JeMqPHx5i92GUmtouS++MST94L6pf/eWI',
        NULL, 3, DATEADD(day, -12, @Now), DATEADD(day, -2, @Now),
        N'Normal', NULL, NULL, DATEADD(day, -1000, @Now), 0, 3, 1
    );
END;

-- admin.old: a former administrator; both the admin user and the logon are deleted.
IF NOT EXISTS (SELECT 1 FROM dbo.AdminUserLogon WHERE LoginName = N'admin.old')
BEGIN
    INSERT INTO dbo.AdminUser (FirstName, LastName, DeletedDate)
    VALUES (N'Otto', N'Oldman', DATEADD(day, -300, @Now));
    SET @AdminUserID = SCOPE_IDENTITY();

    INSERT INTO dbo.AdminUserLogon (
        AdminUserID, LoginName, UserPassword, DeletedDate, UISourceID, LastChange, LastLogon,
        Status, StatusReason, LastFailed, CreateDate, NumInvalidAttempts, GroupID, AuthenticationTypeID
    )
    VALUES (
        @AdminUserID, N'admin.old',
        N'$argon2id$v=19$m=19456,t=2,p=1$tLAJ2xxLSaYgnkvGwAV1cg$3edAjBDuurYUPM1EUo1TYQnaJ9q/O6nYJBJGgeqOkBs',
        DATEADD(day, -300, @Now), 3, DATEADD(day, -330, @Now), DATEADD(day, -320, @Now),
        N'Normal', NULL, NULL, DATEADD(day, -1200, @Now), 0, 3, 1
    );
END;

GO
