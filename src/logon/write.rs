//! Writes: each one a procedure of sql/procedures (one transaction, one audit row), called
//! through [`Procedure`].

use serde::Serialize;

use crate::db::{traced, LogonDb};
use crate::model::req;
use crate::password::{self, Password, PasswordHash, Violation};
use crate::procedure::Procedure;
use crate::validate::{self, MAX_LOGIN_NAME};
use crate::{Error, Result};

/// Which logon [`LogonDb::delete`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteTarget<'a> {
    /// By login name (case-insensitive).
    LoginName(&'a str),
    /// By UserLogonID.
    UserLogonId(i32),
}

/// What [`LogonDb::delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// The removed logon.
    #[serde(rename = "UserLogonID")]
    pub user_logon_id: i32,
    /// The user had no logon left and was soft-deleted.
    #[serde(rename = "UserSoftDeleted")]
    pub user_soft_deleted: bool,
}

/// The two ways a password is set.
#[derive(Clone, Copy)]
enum PasswordChange {
    /// By staff: `force_change` makes the user change it at next logon.
    Reset { force_change: bool },
    /// By the user.
    Change,
}

const ONE_LOGON_ID: &[(&str, &str)] = &[("UserLogonID", "int")];

impl LogonDb {
    /// Locked → Normal (other statuses stay), attempt counters to 0, StatusReason cleared.
    pub async fn unlock(&self, name: &str) -> Result<()> {
        traced("unlock", async {
            validate::login_name("name", name, MAX_LOGIN_NAME)?;
            self.call(
                &Procedure::new("UserLogon_Unlock")
                    .arg("LoginName", &name)
                    .outputs(ONE_LOGON_ID),
            )
            .await
            .map(drop)
        })
        .await
    }

    /// Clears the forced-change state; New / InitialPwdExpired → Normal.
    pub async fn set_password_status_as_accepted(&self, name: &str) -> Result<()> {
        traced("set_password_status_as_accepted", async {
            validate::login_name("name", name, MAX_LOGIN_NAME)?;
            self.call(
                &Procedure::new("UserLogon_AcceptPasswordStatus")
                    .arg("LoginName", &name)
                    .outputs(ONE_LOGON_ID),
            )
            .await
            .map(drop)
        })
        .await
    }

    /// Renames a logon atomically. `NotFound` when `old` does not exist, `Conflict` when
    /// another logon has `new` in any case, `InvalidInput` when `new` breaks the login-name
    /// rules (the policy's LoginMinLength / LoginMaxLength).
    pub async fn change_user_logonname(&self, old: &str, new: &str) -> Result<()> {
        traced("change_user_logonname", async {
            validate::login_name("old_name", old, MAX_LOGIN_NAME)?;
            validate::new_login_name("new_name", new, 1, MAX_LOGIN_NAME)?;
            let ctx = self
                .logon_context(old, false)
                .await?
                .ok_or_else(|| not_found(old))?;
            let p = &ctx.policy;
            let limit = |v: i32| usize::try_from(v).unwrap_or(0);
            validate::new_login_name(
                "new_name",
                new,
                limit(p.login_min_length),
                limit(p.login_max_length).min(MAX_LOGIN_NAME),
            )?;
            self.call(
                &Procedure::new("UserLogon_Rename")
                    .arg("OldLoginName", &old)
                    .arg("NewLoginName", &new)
                    .outputs(ONE_LOGON_ID),
            )
            .await
            .map(drop)
        })
        .await
    }

    /// Removes a logon and its password history; soft-deletes the user when it was the
    /// user's last logon. One transaction, audited.
    pub async fn delete(&self, target: DeleteTarget<'_>) -> Result<Deleted> {
        const OUTPUTS: &[(&str, &str)] =
            &[("DeletedUserLogonID", "int"), ("UserSoftDeleted", "bit")];
        traced("delete", async {
            let row = match target {
                DeleteTarget::LoginName(name) => {
                    validate::login_name("login_name", name, MAX_LOGIN_NAME)?;
                    let p = Procedure::new("UserLogon_Delete").arg("LoginName", &name);
                    self.call(&p.outputs(OUTPUTS)).await?
                }
                DeleteTarget::UserLogonId(id) => {
                    validate::id("user_logon_id", id)?;
                    let p = Procedure::new("UserLogon_Delete").arg("UserLogonID", &id);
                    self.call(&p.outputs(OUTPUTS)).await?
                }
            };
            Ok(Deleted {
                user_logon_id: req(&row, 1)?,
                user_soft_deleted: req(&row, 2)?,
            })
        })
        .await
    }

    /// Sets a new password by staff: the given one (validated against the logon's policy and
    /// its history), or a generated one, which is returned (the only time it can be seen).
    /// `force_change` makes the user change it at the next logon. Clears a lockout.
    pub async fn reset_password(
        &self,
        name: &str,
        new_password: Option<&Password>,
        force_change: bool,
    ) -> Result<Option<Password>> {
        traced("reset_password", async {
            let change = PasswordChange::Reset { force_change };
            match new_password {
                Some(pw) => self
                    .store_password(name, Some(pw), change)
                    .await
                    .map(|_| None),
                None => self.store_password(name, None, change).await.map(Some),
            }
        })
        .await
    }

    /// Sets the password the user chose (validated against policy and history); clears
    /// PasswordChangeRequired and moves New / InitialPwdExpired / Expired to Normal.
    pub async fn change_endusers_password(
        &self,
        name: &str,
        new_password: &Password,
    ) -> Result<()> {
        traced("change_endusers_password", async {
            self.store_password(name, Some(new_password), PasswordChange::Change)
                .await
                .map(drop)
        })
        .await
    }

    /// Validates (or generates), checks the history, hashes and stores; returns the password
    /// that was stored.
    async fn store_password(
        &self,
        name: &str,
        given: Option<&Password>,
        change: PasswordChange,
    ) -> Result<Password> {
        validate::login_name("name", name, MAX_LOGIN_NAME)?;
        let ctx = self
            .logon_context(name, true)
            .await?
            .ok_or_else(|| not_found(name))?;
        let policy = &ctx.policy;
        let password = match given {
            Some(pw) => {
                let mut violations = password::validate(policy, pw);
                // Staff may reset at any time; a user waits MinPasswordAge days between changes.
                let age = chrono::Utc::now().naive_utc() - ctx.logon.last_change;
                if matches!(change, PasswordChange::Change)
                    && policy.min_password_age > 0
                    && age < chrono::Duration::days(i64::from(policy.min_password_age))
                {
                    violations.push(Violation::TooSoon {
                        min_days: policy.min_password_age,
                    });
                }
                if !violations.is_empty() {
                    return Err(Error::PolicyViolation(violations));
                }
                pw.clone()
            }
            None => password::generate(policy)?,
        };
        let depth = policy.password_history_number.max(0);
        let mut previous: Vec<PasswordHash> = vec![ctx.logon.user_password.clone()];
        previous.extend(
            ctx.history
                .into_iter()
                .take(usize::try_from(depth).unwrap_or(0)),
        );
        let candidate = password.clone();
        let (reused, hash) = self
            .hashing(move || {
                let reused = previous.iter().any(|h| password::verify(&candidate, h));
                (reused, password::hash(&candidate))
            })
            .await?;
        if reused {
            return Err(Error::PolicyViolation(vec![Violation::RecentlyUsed {
                history: usize::try_from(depth).unwrap_or(0),
            }]));
        }
        let hash = hash?;
        let phc = hash.as_phc();
        let (required, generated, action) = match change {
            PasswordChange::Reset { force_change } => {
                (force_change, given.is_none(), "ResetPassword")
            }
            PasswordChange::Change => (false, false, "ChangePassword"),
        };
        self.call(
            &Procedure::new("UserLogon_SetPassword")
                .arg("LoginName", &name)
                .arg("PasswordHash", &phc)
                .arg("PasswordChangeRequired", &required)
                .arg("AutoGenerated", &generated)
                .arg("HistoryDepth", &depth)
                .arg("Action", &action)
                .outputs(ONE_LOGON_ID),
        )
        .await?;
        Ok(password)
    }
}

pub(crate) fn not_found(name: &str) -> Error {
    Error::NotFound {
        what: format!("logon {name:?}"),
    }
}
