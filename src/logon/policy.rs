//! Password-policy resolution (group override, then zone, then the UI source default), the
//! "logon with its policy" lookup the writes and `authenticate` start from, and
//! `generate_password` / `validate_password`.

use tiberius::Row;

use crate::db::{traced, LogonDb};
use crate::model::{
    opt, policy_columns, user_logon_columns, PasswordPolicy, UserLogonRow, ZoneData,
    POLICY_COLUMNS, USER_LOGON_COLUMNS,
};
use crate::password::{self, Password, PasswordHash};
use crate::{validate, Error, Result};

/// UI source whose default policy applies when no logon says otherwise (online banking).
pub const DEFAULT_UI_SOURCE: i32 = 1;

/// A logon, the policy that governs it, and what the writes need besides.
pub(crate) struct LogonContext {
    pub(crate) logon: UserLogonRow,
    pub(crate) policy: PasswordPolicy,
    /// Locked, and `AutoResetHours` have passed since the last failure (server clock).
    pub(crate) auto_reset_due: bool,
    /// The user is soft-deleted.
    pub(crate) user_deleted: bool,
    /// Previous hashes, newest first (empty unless asked for).
    pub(crate) history: Vec<PasswordHash>,
}

/// The logon by name with its best policy (group, then zone, then UI source): one row.
macro_rules! logon_context_sql {
    () => {
        concat!(
            "SELECT TOP (1) ", user_logon_columns!(), ", ", policy_columns!(), ", ",
            "CASE WHEN ul.Status = N'Locked' AND p.AutoResetHours > 0 AND ul.LastFailed IS NOT NULL ",
            "AND DATEADD(hour, p.AutoResetHours, ul.LastFailed) <= SYSUTCDATETIME() THEN 1 ELSE 0 END AS AutoResetDue, ",
            "u.DeletedDate ",
            "FROM dbo.UserLogon ul INNER JOIN dbo.[User] u ON u.UserID = ul.UserID ",
            "INNER JOIN dbo.[Group] g ON g.GroupID = u.GroupID ",
            "LEFT JOIN dbo.PasswordPolicy p ON p.GroupID = u.GroupID OR p.ZoneID = g.ZoneID OR p.UISourceID = ul.UISourceID ",
            "WHERE ul.LoginName = @P1 ",
            "ORDER BY CASE WHEN p.GroupID IS NOT NULL THEN 1 WHEN p.ZoneID IS NOT NULL THEN 2 ELSE 3 END;"
        )
    };
}

impl LogonDb {
    /// The policy for a scope: the group's override, else the zone's (the one given, then the
    /// group's zone), else the UI source default.
    pub(crate) async fn resolve_policy(
        &self,
        zone: ZoneData,
        ui_source: i32,
    ) -> Result<PasswordPolicy> {
        // The two flags say whether the group and zone asked for exist: an unknown one
        // is NotFound, not a silent fall-back to the UI source's default.
        const SQL: &str = concat!(
            "SELECT TOP (1) ",
            policy_columns!(),
            ", CASE WHEN @P1 IS NULL OR EXISTS (SELECT 1 FROM dbo.[Group] kg WHERE kg.GroupID = @P1) ",
            "THEN 1 ELSE 0 END AS GroupKnown, ",
            "CASE WHEN @P2 IS NULL OR EXISTS (SELECT 1 FROM dbo.Zone kz WHERE kz.ZoneID = @P2) ",
            "THEN 1 ELSE 0 END AS ZoneKnown",
            " FROM dbo.PasswordPolicy p ",
            "WHERE p.GroupID = @P1 OR p.ZoneID = @P2 ",
            "OR p.ZoneID IN (SELECT g.ZoneID FROM dbo.[Group] g WHERE g.GroupID = @P1) ",
            "OR p.UISourceID = @P3 ",
            "ORDER BY CASE WHEN p.GroupID IS NOT NULL THEN 1 WHEN p.ZoneID = @P2 THEN 2 ",
            "WHEN p.ZoneID IS NOT NULL THEN 3 ELSE 4 END;"
        );
        let sets = self
            .read(SQL, &[&zone.group_id, &zone.zone_id, &ui_source])
            .await?;
        let row = sets
            .into_iter()
            .next()
            .and_then(|rows| rows.into_iter().next());
        if let Some(row) = &row {
            let known =
                |i: usize| crate::model::req::<i32>(row, POLICY_COLUMNS + i).map(|k| k == 1);
            if !known(0)? {
                return Err(Error::NotFound {
                    what: format!("group {}", zone.group_id.unwrap_or_default()),
                });
            }
            if !known(1)? {
                return Err(Error::NotFound {
                    what: format!("zone {}", zone.zone_id.unwrap_or_default()),
                });
            }
        }
        row.map(|row| PasswordPolicy::from_row(&row, 0))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::NotFound {
                what: format!("password policy for {zone:?} / UI source {ui_source}"),
            })
    }

    /// The logon named `name` with its policy (and, when asked, its password history);
    /// `None` when there is no such logon.
    pub(crate) async fn logon_context(
        &self,
        name: &str,
        with_history: bool,
    ) -> Result<Option<LogonContext>> {
        const SQL: &str = logon_context_sql!();
        const WITH_HISTORY: &str = concat!(
            logon_context_sql!(),
            " SELECT h.PasswordHash FROM dbo.UserPasswordHistory h ",
            "INNER JOIN dbo.UserLogon ul ON ul.UserLogonID = h.UserLogonID ",
            "WHERE ul.LoginName = @P1 ORDER BY h.ChangedDate DESC, h.UserPasswordHistoryID DESC;"
        );
        let mut sets = self
            .read(if with_history { WITH_HISTORY } else { SQL }, &[&name])
            .await?
            .into_iter();
        let Some(row) = sets.next().and_then(|rows| rows.into_iter().next()) else {
            return Ok(None);
        };
        let history = sets
            .next()
            .unwrap_or_default()
            .iter()
            .map(|r| crate::model::req::<&str>(r, 0).map(PasswordHash::new))
            .collect::<Result<Vec<_>>>()?;
        context_from_row(&row, history).map(Some)
    }

    /// The password policy of `zone_data` (group override, then zone, then the
    /// online-banking default).
    pub async fn password_policy(&self, zone_data: Option<ZoneData>) -> Result<PasswordPolicy> {
        traced("password_policy", async {
            let zone = zone_data.unwrap_or_default();
            check_zone(&zone)?;
            self.resolve_policy(zone, DEFAULT_UI_SOURCE).await
        })
        .await
    }

    /// A random password that passes the policy of `group_id` (its override, its zone's, or
    /// the online-banking default; the default when no group is given).
    pub async fn generate_password(&self, group_id: Option<i32>) -> Result<Password> {
        traced("generate_password", async {
            if let Some(id) = group_id {
                validate::id("group_id", id)?;
            }
            let zone = ZoneData {
                group_id,
                zone_id: None,
            };
            password::generate(&self.resolve_policy(zone, DEFAULT_UI_SOURCE).await?)
        })
        .await
    }

    /// Checks a password against the policy of `zone_data` (group, then zone, then the
    /// online-banking default); `Err(PolicyViolation)` lists every broken rule.
    pub async fn validate_password(
        &self,
        password: &Password,
        zone_data: Option<ZoneData>,
    ) -> Result<()> {
        traced("validate_password", async {
            let zone = zone_data.unwrap_or_default();
            check_zone(&zone)?;
            let policy = self.resolve_policy(zone, DEFAULT_UI_SOURCE).await?;
            let violations = password::validate(&policy, password);
            if violations.is_empty() {
                Ok(())
            } else {
                Err(Error::PolicyViolation(violations))
            }
        })
        .await
    }
}

fn check_zone(zone: &ZoneData) -> Result<()> {
    for (field, id) in [("group_id", zone.group_id), ("zone_id", zone.zone_id)] {
        if let Some(id) = id {
            validate::id(field, id)?;
        }
    }
    Ok(())
}

fn context_from_row(row: &Row, history: Vec<PasswordHash>) -> Result<LogonContext> {
    let logon = UserLogonRow::from_row(row)?;
    let policy = PasswordPolicy::from_row(row, USER_LOGON_COLUMNS)?.ok_or_else(|| {
        Error::Config(format!(
            "no password policy applies to logon {} (UI source {})",
            logon.user_logon_id, logon.ui_source_id
        ))
    })?;
    let at = USER_LOGON_COLUMNS + POLICY_COLUMNS;
    Ok(LogonContext {
        logon,
        policy,
        auto_reset_due: crate::model::req::<i32>(row, at)? == 1,
        user_deleted: opt::<chrono::NaiveDateTime>(row, at + 1)?.is_some(),
        history,
    })
}
