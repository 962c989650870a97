-- Demo and test data, part 4: back-office administrators and their logons
-- (dbo.AdminUserLogon). Passwords: argon2id hashes of Demo-Passw0rd!.
-- Seeded once, into a database with no administrators yet (see 03).

IF EXISTS (SELECT 1 FROM dbo.AdminUser)
    RETURN;

DECLARE @Now datetime2(3) = SYSUTCDATETIME();

-- Ann Admin is active; Otto Oldman is a former administrator, deleted 300 days ago.
-- Each LastName is unique: the logons below find their admin user by it.
INSERT INTO dbo.AdminUser (FirstName, LastName, DeletedDate)
VALUES
    (N'Ann', N'Admin', NULL),
    (N'Otto', N'Oldman', DATEADD(day, -300, @Now));

-- Their logons; ages are in days before the run.
INSERT INTO dbo.AdminUserLogon (
    AdminUserID, LoginName, UserPassword, DeletedDate, UISourceID, LastChange, LastLogon,
    Status, StatusReason, LastFailed, CreateDate, NumInvalidAttempts, GroupID, AuthenticationTypeID
)
SELECT
    a.AdminUserID, v.LoginName, v.UserPassword, DATEADD(day, -v.DeletedDaysAgo, @Now), 3,
    DATEADD(day, -v.ChangedDaysAgo, @Now), DATEADD(day, -v.LogonDaysAgo, @Now), N'Normal', NULL,
    NULL, DATEADD(day, -v.CreatedDaysAgo, @Now), 0, 3, 1
FROM (
    VALUES
        -- admin.ann: an active back-office administrator.
        (N'Admin', N'admin.ann',
            N'$argon2id$v=19$m=19456,t=2,p=1$7LBqcwATm3+dLWIcGcOKAQ$bd+2AO2Dd2JeMqPHx5i92GUmtouS++MST94L6pf/eWI',
            NULL, 12, 2, 1000),
        -- admin.old: the former administrator; the logon is deleted too.
        (N'Oldman', N'admin.old',
            N'$argon2id$v=19$m=19456,t=2,p=1$tLAJ2xxLSaYgnkvGwAV1cg$3edAjBDuurYUPM1EUo1TYQnaJ9q/O6nYJBJGgeqOkBs',
            300, 330, 320, 1200)
) AS v (LastName, LoginName, UserPassword, DeletedDaysAgo, ChangedDaysAgo, LogonDaysAgo, CreatedDaysAgo)
INNER JOIN dbo.AdminUser AS a ON a.LastName = v.LastName
ORDER BY v.LoginName;

GO
