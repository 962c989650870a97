-- Accepts the logon's current password as final: clears the forced change and
-- moves a New or InitialPwdExpired logon to Normal.
DROP PROCEDURE IF EXISTS dbo.UserLogon_AcceptPasswordStatus;
GO

CREATE PROCEDURE dbo.UserLogon_AcceptPasswordStatus
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

        UPDATE dbo.UserLogon
        SET PasswordChangeRequired = 0,
            Status = CASE WHEN Status IN (N'New', N'InitialPwdExpired') THEN N'Normal' ELSE Status END,
            LastChange = @Now
        WHERE LoginName = @LoginName;

        IF @@ROWCOUNT = 0
            THROW 50404, N'No logon has that login name.', 1;

        SELECT @UserLogonID = UserLogonID, @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE LoginName = @LoginName;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (@UserLogonID, @StoredLoginName, N'AcceptPasswordStatus', NULL);

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
