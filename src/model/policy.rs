//! A password policy row (`dbo.PasswordPolicy`).

use serde::Serialize;
use tiberius::Row;

use crate::model::row::{opt, req};
use crate::Result;

/// Where a policy row applies. Resolution order: group, then zone, then UI source default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyScope {
    /// An override for one group.
    Group(i32),
    /// An override for one zone.
    Zone(i32),
    /// The default of one UI source.
    UiSource(i32),
}

/// One password policy (Q2's published fields). Counts of 0 mean "not required"; limits of
/// 0 mean "no limit".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicy {
    /// The row's id.
    #[serde(rename = "PasswordPolicyID")]
    pub password_policy_id: i32,
    /// Where it applies.
    pub scope: PolicyScope,
    /// Fewest characters.
    pub min_password_length: i32,
    /// Most characters.
    pub max_password_length: i32,
    /// Fewest digits.
    pub numbers_required: i32,
    /// Fewest upper-case letters.
    pub upper_case_required: i32,
    /// Fewest lower-case letters.
    pub lower_case_required: i32,
    /// Fewest special characters (neither letter, digit, space nor control).
    pub special_char_required: i32,
    /// Longest run of one repeated character allowed; 0 = no limit.
    pub limit_repeating: i32,
    /// Longest run of ascending or descending neighbours (abc, 321) allowed; 0 = no limit.
    pub limit_adjacent: i32,
    /// Characters a password must not contain.
    pub exclude_char_list: Option<String>,
    /// How many previous passwords may not be reused.
    pub password_history_number: i32,
    /// Days before a password may be changed again.
    pub min_password_age: i32,
    /// Days a password stays valid.
    pub max_password_age: i32,
    /// Failed logons that lock the logon (0 = never).
    pub invalid_attempts: i32,
    /// Hours after the last failure at which a lock lifts (0 = never).
    pub auto_reset_hours: i32,
    /// Hours a new password stays valid.
    pub new_pwd_expiration_hours: i32,
    /// Days without logon after which a logon counts as dormant.
    pub dormant_days: i32,
    /// Shortest login name.
    pub login_min_length: i32,
    /// Longest login name.
    pub login_max_length: i32,
}

/// The policy columns, in the order `PasswordPolicy::from_row` reads them; `p` is the alias.
macro_rules! policy_columns {
    () => {
        "p.PasswordPolicyID, p.UISourceID, p.GroupID, p.ZoneID, p.MinPasswordLength, \
         p.MaxPasswordLength, p.NumbersRequired, p.UpperCaseRequired, p.LowerCaseRequired, \
         p.SpecialCharRequired, p.LimitRepeating, p.LimitAdjacent, p.ExcludeCharList, \
         p.PasswordHistoryNumber, p.MinPasswordAge, p.MaxPasswordAge, p.InvalidAttempts, \
         p.AutoResetHours, p.NewPwdExpirationHours, p.DormantDays, p.LoginMinLength, \
         p.LoginMaxLength"
    };
}

pub(crate) use policy_columns;

/// Number of columns of `policy_columns!`.
pub(crate) const POLICY_COLUMNS: usize = 22;

impl PasswordPolicy {
    /// Reads the `policy_columns!` starting at column `at`; `None` when the row has no policy
    /// (a LEFT JOIN that found none).
    pub(crate) fn from_row(row: &Row, at: usize) -> Result<Option<Self>> {
        let Some(password_policy_id) = opt::<i32>(row, at)? else {
            return Ok(None);
        };
        let scope = match (
            opt::<i32>(row, at + 1)?,
            opt::<i32>(row, at + 2)?,
            opt::<i32>(row, at + 3)?,
        ) {
            (_, Some(g), _) => PolicyScope::Group(g),
            (_, None, Some(z)) => PolicyScope::Zone(z),
            (Some(u), None, None) => PolicyScope::UiSource(u),
            (None, None, None) => {
                return Err(crate::Error::decode(format!(
                    "password policy {password_policy_id} has no scope"
                )))
            }
        };
        let int = |i: usize| req::<i32>(row, at + i);
        Ok(Some(PasswordPolicy {
            password_policy_id,
            scope,
            min_password_length: int(4)?,
            max_password_length: int(5)?,
            numbers_required: int(6)?,
            upper_case_required: int(7)?,
            lower_case_required: int(8)?,
            special_char_required: int(9)?,
            limit_repeating: int(10)?,
            limit_adjacent: int(11)?,
            exclude_char_list: opt::<&str>(row, at + 12)?.map(str::to_owned),
            password_history_number: int(13)?,
            min_password_age: int(14)?,
            max_password_age: int(15)?,
            invalid_attempts: int(16)?,
            auto_reset_hours: int(17)?,
            new_pwd_expiration_hours: int(18)?,
            dormant_days: int(19)?,
            login_min_length: int(20)?,
            login_max_length: int(21)?,
        }))
    }
}
