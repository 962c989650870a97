-- Demo and test data, part 1: the UI sources, zones and groups that users and
-- password policies point at. Every insert is guarded, so running sql/ again
-- changes nothing.

IF NOT EXISTS (SELECT 1 FROM dbo.UISource WHERE UISourceID = 1)
    INSERT INTO dbo.UISource (UISourceID, Name) VALUES (1, N'Online Banking');
IF NOT EXISTS (SELECT 1 FROM dbo.UISource WHERE UISourceID = 3)
    INSERT INTO dbo.UISource (UISourceID, Name) VALUES (3, N'Back Office');
IF NOT EXISTS (SELECT 1 FROM dbo.UISource WHERE UISourceID = 8)
    INSERT INTO dbo.UISource (UISourceID, Name) VALUES (8, N'API');

IF NOT EXISTS (SELECT 1 FROM dbo.Zone WHERE ZoneID = 1)
    INSERT INTO dbo.Zone (ZoneID, Name) VALUES (1, N'Domestic');
IF NOT EXISTS (SELECT 1 FROM dbo.Zone WHERE ZoneID = 2)
    INSERT INTO dbo.Zone (ZoneID, Name) VALUES (2, N'International');

-- Groups 1 and 3 fall back to the UI-source default policy, group 2 has its
-- own override, group 4 inherits the override of its zone 2.
IF NOT EXISTS (SELECT 1 FROM dbo.[Group] WHERE GroupID = 1)
    INSERT INTO dbo.[Group] (GroupID, ZoneID, Name) VALUES (1, 1, N'Retail');
IF NOT EXISTS (SELECT 1 FROM dbo.[Group] WHERE GroupID = 2)
    INSERT INTO dbo.[Group] (GroupID, ZoneID, Name) VALUES (2, 2, N'Commercial');
IF NOT EXISTS (SELECT 1 FROM dbo.[Group] WHERE GroupID = 3)
    INSERT INTO dbo.[Group] (GroupID, ZoneID, Name) VALUES (3, 1, N'Staff');
IF NOT EXISTS (SELECT 1 FROM dbo.[Group] WHERE GroupID = 4)
    INSERT INTO dbo.[Group] (GroupID, ZoneID, Name) VALUES (4, 2, N'Treasury');
GO
