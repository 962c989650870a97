-- Counts one failed logon attempt and locks the logon at @MaxAttempts
-- (0 = never lock). A Locked logon is not counted again, so N concurrent
-- failures leave exactly @MaxAttempts: each UPDATE re-checks Status under the
-- row lock it waited for. A lock whose @AutoResetHours (0 = never) have passed
-- since LastFailed is lifted by the same UPDATE that counts this failure as
-- the first of a new series; that UPDATE stamps LastFailed, so concurrent
-- callers that also saw the lock due find it lifted, or locked anew and not
-- due, and never lift it twice.
DROP PROCEDURE IF EXISTS dbo.UserLogon_RecordFailedLogon;
GO

CREATE PROCEDURE dbo.UserLogon_RecordFailedLogon
    @UserLogonID int,
    @MaxAttempts int,
    @AutoResetHours int,
    @Status nvarchar(20) OUTPUT,
    @NumInvalidAttempts int OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @Now datetime2(3) = SYSUTCDATETIME();
    DECLARE @Lifted int = 0;
    DECLARE @Counted int = 0;
    DECLARE @StoredLoginName nvarchar(128);

    BEGIN TRY
        IF @MaxAttempts IS NULL OR @MaxAttempts < 0
            THROW 50400, N'@MaxAttempts must be zero or more.', 1;
        IF @AutoResetHours IS NULL OR @AutoResetHours < 0
            THROW 50400, N'@AutoResetHours must be zero or more.', 1;

        BEGIN TRANSACTION;

        IF @AutoResetHours > 0
        BEGIN
            UPDATE dbo.UserLogon
            SET Status = N'Normal',
                StatusReason = NULL,
                NumInvalidAttempts = 1,
                NumInvalidOobAttempts = 0,
                LastFailed = @Now
            WHERE UserLogonID = @UserLogonID
                AND Status = N'Locked'
                AND LastFailed IS NOT NULL
                AND DATEADD(hour, @AutoResetHours, LastFailed) <= @Now;

            SET @Lifted = @@ROWCOUNT;
        END;

        IF @Lifted > 0
            SET @Counted = 1;
        ELSE
        BEGIN
            UPDATE dbo.UserLogon
            SET NumInvalidAttempts = NumInvalidAttempts + 1,
                LastFailed = @Now
            WHERE UserLogonID = @UserLogonID AND Status <> N'Locked';

            SET @Counted = @@ROWCOUNT;
        END;

        -- Still inside the row lock of the UPDATE above, so the count it sees is ours.
        IF @Counted > 0 AND @MaxAttempts > 0
            UPDATE dbo.UserLogon
            SET Status = N'Locked',
                StatusReason = N'Too many invalid attempts'
            WHERE UserLogonID = @UserLogonID AND NumInvalidAttempts >= @MaxAttempts;

        SET @Status = NULL;
        SELECT @Status = Status, @NumInvalidAttempts = NumInvalidAttempts, @StoredLoginName = LoginName
        FROM dbo.UserLogon
        WHERE UserLogonID = @UserLogonID;

        IF @Status IS NULL
            THROW 50404, N'No logon has that id.', 1;

        INSERT INTO dbo.LogonAudit (UserLogonID, LoginName, Action, Detail)
        VALUES (
            @UserLogonID,
            @StoredLoginName,
            N'FailedLogon',
            CASE
                WHEN @Counted = 0 THEN N'Already locked; not counted'
                WHEN @Lifted > 0 AND @Status = N'Locked' THEN N'Lock expired; attempt 1; locked'
                WHEN @Lifted > 0 THEN N'Lock expired; attempt 1'
                WHEN @Status = N'Locked' THEN N'Attempt ' + CAST(@NumInvalidAttempts AS nvarchar(12)) + N'; locked'
                ELSE N'Attempt ' + CAST(@NumInvalidAttempts AS nvarchar(12))
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
