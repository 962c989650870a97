-- Renames a logon. Names are unique in any case (UX_UserLogon_LoginName under
-- the case-insensitive default collation), so a logon may change the case of
-- its own name but never take a name another logon has.
DROP PROCEDURE IF EXISTS dbo.UserLogon_Rename;
GO

CREATE PROCEDURE dbo.UserLogon_Rename
    @OldLoginName nvarchar(128),
    @NewLoginName nvarchar(128),
    @UserLogonID int OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @StoredOldName nvarchar(128);

    BEGIN TRY
        IF @NewLoginName IS NULL OR LEN(@NewLoginName) = 0
            THROW 50400, N'@NewLoginName must not be empty.', 1;

        BEGIN TRANSACTION;

        SET @UserLogonID = NULL;
        SELECT @UserLogonID = UserLogonID, @StoredOldName = LoginName
        FROM dbo.UserLogon
        WHERE LoginName = @OldLoginName;

        IF @UserLogonID IS NULL
            THROW 50404, N'No logon has that login name.', 1;

        IF EXISTS (
            SELECT 1
            FROM dbo.UserLogon
            WHERE LoginName = @NewLoginName AND UserLogonID <> @UserLogonID
        )
            THROW 50409, N'Another logon already has the new login name.', 1;

        -- The name in the WHERE clause catches a rename or delete that committed
        -- since the SELECT above.
        UPDATE dbo.UserLogon
        SET LoginName = @NewLoginName,
            LastChange = @Now
        WHERE UserLogonID = @UserLogonID AND LoginName = @OldLoginName;

        IF @@ROWCOUNT = 0
            THROW 50404, N'No logon has that login name.', 1;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (@UserLogonID, @NewLoginName, N'Rename', @StoredOldName + N' -> ' + @NewLoginName);

        COMMIT TRANSACTION;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0
            ROLLBACK TRANSACTION;
        -- Two renames to one free name both pass the EXISTS check; the unique
        -- index stops the second one (2601/2627), which is the same conflict.
        IF ERROR_NUMBER() IN (2601, 2627)
            THROW 50409, N'Another logon already has the new login name.', 1;
        THROW;
    END CATCH;

    RETURN 0;
END;
GO
