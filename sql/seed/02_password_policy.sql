-- Demo and test data, part 2: password policies. One default per UI source,
-- a stricter override for group 2 (Commercial) and a different one for zone 2
-- (which group 4, Treasury, inherits). Every number that tells the three scopes
-- apart differs: MinPasswordLength 8 / 12 / 10, PasswordHistoryNumber 5 / 10 / 8,
-- InvalidAttempts 5 / 3 / 4. The demo password Demo-Passw0rd! passes all three.

-- Seeded once, into a database with no policies yet (see 03).

IF EXISTS (SELECT 1 FROM dbo.PasswordPolicy)
    RETURN;

INSERT INTO dbo.PasswordPolicy (
    UISourceID, GroupID, ZoneID, MinPasswordLength, MaxPasswordLength, NumbersRequired,
    UpperCaseRequired, LowerCaseRequired, SpecialCharRequired, LimitRepeating, LimitAdjacent,
    ExcludeCharList, PasswordHistoryNumber, MinPasswordAge, MaxPasswordAge, InvalidAttempts,
    AutoResetHours, NewPwdExpirationHours, DormantDays, LoginMinLength, LoginMaxLength
)
VALUES
    -- The defaults of UI sources 1, 3 and 8.
    (1, NULL, NULL, 8, 64, 1, 1, 1, 0, 3, 4, NULL, 5, 0, 90, 5, 24, 72, 365, 3, 64),
    (3, NULL, NULL, 8, 64, 1, 1, 1, 0, 3, 4, NULL, 5, 0, 90, 5, 24, 72, 365, 3, 64),
    (8, NULL, NULL, 8, 64, 1, 1, 1, 0, 3, 4, NULL, 5, 0, 90, 5, 24, 72, 365, 3, 64),
    -- Group 2's override.
    (NULL, 2, NULL, 12, 64, 1, 1, 1, 1, 3, 4, NULL, 10, 0, 90, 3, 24, 72, 365, 3, 64),
    -- Zone 2's: it also excludes '<' and '>' and caps login names at 32 characters.
    (NULL, NULL, 2, 10, 48, 1, 1, 1, 0, 2, 3, N'<>', 8, 0, 60, 4, 12, 48, 180, 4, 32);
GO
