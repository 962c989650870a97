//! `AdminLogonRow`: one row of `dbo.AdminUserLogon`.

use chrono::NaiveDateTime;
use serde::Serialize;
use tiberius::Row;

use crate::model::row::{opt, req};
use crate::model::LogonStatus;
use crate::password::PasswordHash;
use crate::Result;

/// A back-office logon. Serializes with the seed's field names; the hash is never serialized
/// and shows as redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLogonRow {
    /// Primary key.
    #[serde(rename = "AdminUserLogonID")]
    pub admin_user_logon_id: i32,
    /// The owning admin user.
    #[serde(rename = "AdminUserID")]
    pub admin_user_id: i32,
    /// The login name (unique in any case).
    #[serde(rename = "LoginName")]
    pub login_name: String,
    /// The argon2id PHC string.
    #[serde(skip)]
    pub user_password: PasswordHash,
    /// Set when the admin logon was deleted (UTC).
    #[serde(rename = "DeletedDate")]
    pub deleted_date: Option<NaiveDateTime>,
    /// UI source.
    #[serde(rename = "UISourceID")]
    pub ui_source_id: i32,
    /// Last change of the row (UTC).
    #[serde(rename = "LastChange")]
    pub last_change: NaiveDateTime,
    /// Last successful logon (UTC).
    #[serde(rename = "LastLogon")]
    pub last_logon: Option<NaiveDateTime>,
    /// Status code.
    #[serde(rename = "Status")]
    pub status: LogonStatus,
    /// Why the status was set.
    #[serde(rename = "StatusReason")]
    pub status_reason: Option<String>,
    /// Last failed logon (UTC).
    #[serde(rename = "LastFailed")]
    pub last_failed: Option<NaiveDateTime>,
    /// Creation time (UTC).
    #[serde(rename = "CreateDate")]
    pub create_date: NaiveDateTime,
    /// Failed logons since the last success or unlock.
    #[serde(rename = "NumInvalidAttempts")]
    pub num_invalid_attempts: i32,
    /// The back-office group.
    #[serde(rename = "GroupID")]
    pub group_id: i32,
    /// How the admin authenticates.
    #[serde(rename = "AuthenticationTypeID")]
    pub authentication_type_id: i32,
}

/// The `dbo.AdminUserLogon` columns (alias `al`) in the order [`AdminLogonRow::from_row`] reads.
macro_rules! admin_logon_columns {
    () => {
        "al.AdminUserLogonID, al.AdminUserID, al.LoginName, al.UserPassword, al.DeletedDate, \
         al.UISourceID, al.LastChange, al.LastLogon, al.Status, al.StatusReason, al.LastFailed, \
         al.CreateDate, al.NumInvalidAttempts, al.GroupID, al.AuthenticationTypeID"
    };
}
pub(crate) use admin_logon_columns;

impl AdminLogonRow {
    /// Decodes the `admin_logon_columns!` of `row`.
    pub(crate) fn from_row(row: &Row) -> Result<Self> {
        Ok(AdminLogonRow {
            admin_user_logon_id: req(row, 0)?,
            admin_user_id: req(row, 1)?,
            login_name: req::<&str>(row, 2)?.to_owned(),
            user_password: PasswordHash::new(req::<&str>(row, 3)?),
            deleted_date: opt(row, 4)?,
            ui_source_id: req(row, 5)?,
            last_change: req(row, 6)?,
            last_logon: opt(row, 7)?,
            status: crate::model::status_column(row, 8)?,
            status_reason: opt::<&str>(row, 9)?.map(str::to_owned),
            last_failed: opt(row, 10)?,
            create_date: req(row, 11)?,
            num_invalid_attempts: req(row, 12)?,
            group_id: req(row, 13)?,
            authentication_type_id: req(row, 14)?,
        })
    }
}
