-- Password policy (one default per UI source, optional overrides per group or
-- zone), the history of password hashes, and the audit trail of every change.

CREATE TABLE dbo.PasswordPolicy (
    PasswordPolicyID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_PasswordPolicy PRIMARY KEY,
    UISourceID int NULL CONSTRAINT FK_PasswordPolicy_UISource REFERENCES dbo.UISource (UISourceID),
    GroupID int NULL CONSTRAINT FK_PasswordPolicy_Group REFERENCES dbo.[Group] (GroupID),
    ZoneID int NULL CONSTRAINT FK_PasswordPolicy_Zone REFERENCES dbo.Zone (ZoneID),
    MinPasswordLength int NOT NULL,
    MaxPasswordLength int NOT NULL,
    NumbersRequired int NOT NULL,
    UpperCaseRequired int NOT NULL,
    LowerCaseRequired int NOT NULL,
    SpecialCharRequired int NOT NULL,
    -- Longest run of one repeated character allowed; 0 = no limit.
    LimitRepeating int NOT NULL,
    -- Longest run of ascending or descending neighbours (abc, 321) allowed; 0 = no limit.
    LimitAdjacent int NOT NULL,
    ExcludeCharList nvarchar(100) NULL,
    PasswordHistoryNumber int NOT NULL,
    MinPasswordAge int NOT NULL,
    MaxPasswordAge int NOT NULL,
    InvalidAttempts int NOT NULL,
    AutoResetHours int NOT NULL,
    NewPwdExpirationHours int NOT NULL,
    DormantDays int NOT NULL,
    LoginMinLength int NOT NULL,
    LoginMaxLength int NOT NULL,
    -- Exactly one scope per row.
    CONSTRAINT CK_PasswordPolicy_OneScope CHECK (
        (CASE WHEN UISourceID IS NULL THEN 0 ELSE 1 END)
        + (CASE WHEN GroupID IS NULL THEN 0 ELSE 1 END)
        + (CASE WHEN ZoneID IS NULL THEN 0 ELSE 1 END) = 1),
    CONSTRAINT CK_PasswordPolicy_Lengths CHECK (MinPasswordLength >= 1 AND MaxPasswordLength >= MinPasswordLength
        AND LoginMinLength >= 1 AND LoginMaxLength >= LoginMinLength AND LoginMaxLength <= 128)
);

CREATE UNIQUE NONCLUSTERED INDEX UX_PasswordPolicy_UISource ON dbo.PasswordPolicy (UISourceID) WHERE UISourceID IS NOT NULL;
CREATE UNIQUE NONCLUSTERED INDEX UX_PasswordPolicy_Group ON dbo.PasswordPolicy (GroupID) WHERE GroupID IS NOT NULL;
CREATE UNIQUE NONCLUSTERED INDEX UX_PasswordPolicy_Zone ON dbo.PasswordPolicy (ZoneID) WHERE ZoneID IS NOT NULL;

CREATE TABLE dbo.UserPasswordHistory (
    UserPasswordHistoryID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_UserPasswordHistory PRIMARY KEY,
    UserLogonID int NOT NULL CONSTRAINT FK_UserPasswordHistory_UserLogon REFERENCES dbo.UserLogon (UserLogonID),
    PasswordHash nvarchar(256) NOT NULL,
    ChangedDate datetime2(3) NOT NULL CONSTRAINT DF_UserPasswordHistory_ChangedDate DEFAULT (SYSUTCDATETIME())
);

CREATE NONCLUSTERED INDEX IX_UserPasswordHistory_UserLogonID ON dbo.UserPasswordHistory (UserLogonID, ChangedDate DESC);

-- No foreign key on UserLogonID: the audit row of a delete outlives the logon.
CREATE TABLE dbo.LogonAudit (
    LogonAuditID bigint IDENTITY(1, 1) NOT NULL CONSTRAINT PK_LogonAudit PRIMARY KEY,
    UserLogonID int NULL,
    LoginName nvarchar(128) NOT NULL,
    Action nvarchar(32) NOT NULL,
    Detail nvarchar(400) NULL,
    At datetime2(3) NOT NULL CONSTRAINT DF_LogonAudit_At DEFAULT (SYSUTCDATETIME())
);

CREATE NONCLUSTERED INDEX IX_LogonAudit_UserLogonID ON dbo.LogonAudit (UserLogonID, At);
GO
