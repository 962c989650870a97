//! Typed rows and the values they are made of.

mod admin_logon;
mod policy;
mod row;
mod status;
mod user_logon;
mod zone;

pub(crate) use admin_logon::admin_logon_columns;
pub use admin_logon::AdminLogonRow;
pub(crate) use policy::{policy_columns, POLICY_COLUMNS};
pub use policy::{PasswordPolicy, PolicyScope};
pub(crate) use row::{opt, req};
pub use status::LogonStatus;
pub use user_logon::UserLogonRow;
pub(crate) use user_logon::{user_logon_columns, USER_LOGON_COLUMNS};
pub use zone::{ContextType, ZoneData};

/// Decodes a `Status` column; an unknown code is a decode error naming the code.
pub(crate) fn status_column(row: &tiberius::Row, idx: usize) -> crate::Result<LogonStatus> {
    let code: &str = req(row, idx)?;
    code.parse()
        .map_err(|_| crate::Error::decode(format!("unknown Status code {code:?}")))
}
