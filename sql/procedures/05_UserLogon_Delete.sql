-- Deletes one logon (by name or by id) with its password history; when it was
-- the user's last logon the user is soft-deleted (DeletedDate), never removed.
DROP PROCEDURE IF EXISTS dbo.UserLogon_Delete;
GO

CREATE PROCEDURE dbo.UserLogon_Delete
    @LoginName nvarchar(128) = NULL,
    @UserLogonID int = NULL,
    @DeletedUserLogonID int OUTPUT,
    @UserSoftDeleted bit OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @UserID int;
    DECLARE @StoredLoginName nvarchar(128);

    BEGIN TRY
        IF (@LoginName IS NULL AND @UserLogonID IS NULL)
            OR (@LoginName IS NOT NULL AND @UserLogonID IS NOT NULL)
            THROW 50400, N'Give exactly one of @LoginName and @UserLogonID.', 1;

        BEGIN TRANSACTION;

        SET @DeletedUserLogonID = NULL;
        SET @UserSoftDeleted = 0;

        -- Two plain lookups rather than one "either" predicate, so each can seek its index.
        IF @LoginName IS NOT NULL
            SELECT @DeletedUserLogonID = UserLogonID, @UserID = UserID
            FROM dbo.UserLogon
            WHERE LoginName = @LoginName;
        ELSE
            SELECT @DeletedUserLogonID = UserLogonID, @UserID = UserID
            FROM dbo.UserLogon
            WHERE UserLogonID = @UserLogonID;

        IF @DeletedUserLogonID IS NULL
            THROW 50404, N'No such logon.', 1;

        -- Lock the user row before the logon: concurrent deletes of one user's
        -- logons then run one after the other, and the last one always sees
        -- that no logon is left.
        UPDATE dbo.[User]
        SET DeletedDate = DeletedDate
        WHERE UserID = @UserID;

        -- Lock the logon before touching its history, so a concurrent password
        -- change cannot add a history row between the two DELETEs below.
        UPDATE dbo.UserLogon
        SET LastChange = @Now
        WHERE UserLogonID = @DeletedUserLogonID AND UserID = @UserID;

        IF @@ROWCOUNT = 0
            THROW 50404, N'No such logon.', 1;

        SELECT @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE UserLogonID = @DeletedUserLogonID;

        DELETE FROM dbo.UserPasswordHistory
        WHERE UserLogonID = @DeletedUserLogonID;

        DELETE FROM dbo.UserLogon
        WHERE UserLogonID = @DeletedUserLogonID;

        UPDATE dbo.[User]
        SET DeletedDate = @Now
        WHERE UserID = @UserID
            AND NOT EXISTS (SELECT 1 FROM dbo.UserLogon WHERE UserID = @UserID);

        IF @@ROWCOUNT > 0
            SET @UserSoftDeleted = 1;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (
            @DeletedUserLogonID,
            @StoredLoginName,
            N'Delete',
            CASE WHEN @UserSoftDeleted = 1 THEN N'Last logon of the user; user soft-deleted' END
        );

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
