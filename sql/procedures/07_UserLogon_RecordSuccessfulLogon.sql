-- Stamps a successful logon: LastLogon, attempt counter back to 0, and a lockout
-- lifted (the caller only gets here on a Locked logon once the policy's
-- AutoResetHours have passed since LastFailed).
DROP PROCEDURE IF EXISTS dbo.UserLogon_RecordSuccessfulLogon;
GO

CREATE PROCEDURE dbo.UserLogon_RecordSuccessfulLogon
    @UserLogonID int
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @StoredLoginName nvarchar(128);

    BEGIN TRY
        BEGIN TRANSACTION;

        UPDATE dbo.UserLogon
        SET LastLogon = @Now,
            NumInvalidAttempts = 0,
            StatusReason = CASE WHEN Status = N'Locked' THEN NULL ELSE StatusReason END,
            Status = CASE WHEN Status = N'Locked' THEN N'Normal' ELSE Status END
        WHERE UserLogonID = @UserLogonID;

        IF @@ROWCOUNT = 0
            THROW 50404, N'No logon has that id.', 1;

        SELECT @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE UserLogonID = @UserLogonID;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (@UserLogonID, @StoredLoginName, N'Logon', NULL);

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
