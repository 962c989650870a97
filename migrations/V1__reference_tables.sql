-- Reference data the logon tables point at: UI sources, zones and groups.

CREATE TABLE dbo.UISource (
    UISourceID int NOT NULL CONSTRAINT PK_UISource PRIMARY KEY,
    Name nvarchar(50) NOT NULL CONSTRAINT UQ_UISource_Name UNIQUE
);

CREATE TABLE dbo.Zone (
    ZoneID int NOT NULL CONSTRAINT PK_Zone PRIMARY KEY,
    Name nvarchar(100) NOT NULL
);

CREATE TABLE dbo.[Group] (
    GroupID int NOT NULL CONSTRAINT PK_Group PRIMARY KEY,
    ZoneID int NOT NULL CONSTRAINT FK_Group_Zone REFERENCES dbo.Zone (ZoneID),
    Name nvarchar(100) NOT NULL
);
GO
