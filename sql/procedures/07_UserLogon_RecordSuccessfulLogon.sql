-- Stamps a successful logon: LastLogon and the attempt counter back to 0. A
-- Locked logon is stamped only when its @AutoResetHours (0 = never) have
-- passed since LastFailed: the same UPDATE then lifts the lock (Normal,
-- counters 0). A lock not yet due is left as it is, and @Status = 'Locked'
-- tells the caller to refuse the logon.
DROP PROCEDURE IF EXISTS dbo.UserLogon_RecordSuccessfulLogon;
GO

CREATE PROCEDURE dbo.UserLogon_RecordSuccessfulLogon
    @UserLogonID int,
    @AutoResetHours int,
    @Status nvarchar(20) OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @Lifted int = 0;
    DECLARE @Stamped int = 0;
    DECLARE @StoredLoginName nvarchar(128);

    BEGIN TRY
        IF @AutoResetHours IS NULL OR @AutoResetHours < 0
            THROW 50400, N'@AutoResetHours must be zero or more.', 1;

        BEGIN TRANSACTION;

        IF @AutoResetHours > 0
        BEGIN
            UPDATE dbo.UserLogon
            SET LastLogon = @Now,
                Status = N'Normal',
                StatusReason = NULL,
                NumInvalidAttempts = 0,
                NumInvalidOobAttempts = 0
            WHERE UserLogonID = @UserLogonID
                AND Status = N'Locked'
                AND LastFailed IS NOT NULL
                AND DATEADD(hour, @AutoResetHours, LastFailed) <= @Now;

            SET @Lifted = @@ROWCOUNT;
        END;

        IF @Lifted > 0
            SET @Stamped = 1;
        ELSE
        BEGIN
            UPDATE dbo.UserLogon
            SET LastLogon = @Now,
                NumInvalidAttempts = 0
            WHERE UserLogonID = @UserLogonID AND Status <> N'Locked';

            SET @Stamped = @@ROWCOUNT;
        END;

        SET @Status = NULL;
        SELECT @Status = Status, @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE UserLogonID = @UserLogonID;

        IF @Status IS NULL
            THROW 50404, N'No logon has that id.', 1;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (
            @UserLogonID,
            @StoredLoginName,
            N'Logon',
            CASE
                WHEN @Stamped = 0 THEN N'Still locked; refused'
                WHEN @Lifted > 0 THEN N'Lock expired; lifted'
            END
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
