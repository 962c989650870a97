-- Unlocks a logon: a Locked logon becomes Normal; every logon gets its attempt
-- counters and status reason cleared (an administrator's "start over").
DROP PROCEDURE IF EXISTS dbo.UserLogon_Unlock;
GO

CREATE PROCEDURE dbo.UserLogon_Unlock
    @LoginName nvarchar(128),
    @UserLogonID int OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @StoredLoginName nvarchar(128);

    BEGIN TRY
        BEGIN TRANSACTION;

        -- Update first: the row lock it takes keeps the row stable until commit,
        -- so the SELECT below reads what this transaction wrote.
        UPDATE dbo.UserLogon
        SET Status = CASE WHEN Status = N'Locked' THEN N'Normal' ELSE Status END,
            NumInvalidAttempts = 0,
            NumInvalidOobAttempts = 0,
            StatusReason = NULL,
            LastChange = @Now
        WHERE LoginName = @LoginName;

        IF @@ROWCOUNT = 0
            THROW 50404, N'No logon has that login name.', 1;

        SELECT @UserLogonID = UserLogonID, @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE LoginName = @LoginName;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (@UserLogonID, @StoredLoginName, N'Unlock', NULL);

        COMMIT TRANSACTION;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0
            ROLLBACK TRANSACTION;
        THROW;
    END CATCH;

    RETURN 0;
END;
GO
