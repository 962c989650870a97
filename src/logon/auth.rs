//! `authenticate`: verify, count failures atomically, lock at the policy's threshold, lift
//! a lock after `AutoResetHours` (in the same atomic update that records the attempt), stamp
//! successful logons.

use serde::Serialize;

use crate::db::{traced, LogonDb};
use crate::model::{req, LogonStatus, UserLogonRow};
use crate::password::{self, Password};
use crate::procedure::Procedure;
use crate::validate::{self, MAX_LOGIN_NAME};
use crate::Result;

/// Why [`LogonDb::authenticate`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RejectReason {
    /// Unknown login name or wrong password (indistinguishable on purpose).
    BadCredentials,
    /// The logon is locked (now, or already was).
    Locked,
    /// The logon is disabled.
    Disabled,
}

/// The answer of [`LogonDb::authenticate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthOutcome {
    /// The password matched; the logon as it is after stamping the logon. The caller still
    /// looks at `status` / `password_change_required` (New, Expired, Tac ... are accepted).
    Accepted {
        /// The logon after the update.
        logon: Box<UserLogonRow>,
    },
    /// Refused.
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Failed attempts counted so far (0 for an unknown name).
        attempts: i32,
    },
}

impl LogonDb {
    /// Checks `password` for logon `name`.
    ///
    /// * unknown name (or soft-deleted user): `BadCredentials` after a verify against a dummy
    ///   hash, so the timing does not reveal which names exist;
    /// * Locked (lock not yet due to lift): `Locked` at once, without verifying;
    /// * Locked, and the policy's `AutoResetHours` have passed since the last failure: the
    ///   password is verified, and the procedure that records the attempt lifts the lock in
    ///   the same atomic update, only if it is still due then (a failure restarts the count
    ///   at 1, a success leaves the logon Normal); concurrent attempts that all saw the lock
    ///   due therefore lift it once, and get `InvalidAttempts` guesses between them;
    /// * Disabled: `Disabled` at once, without verifying and not counted, whatever the
    ///   password (so the answer cannot be used to test passwords);
    /// * wrong password: counted atomically (`UserLogon_RecordFailedLogon`), which locks at
    ///   the policy's `InvalidAttempts`;
    /// * otherwise `UserLogon_RecordSuccessfulLogon` and `Accepted` with the fresh row, or
    ///   `Locked` when the logon was locked (anew) before the success could be recorded.
    pub async fn authenticate(&self, name: &str, password: &Password) -> Result<AuthOutcome> {
        traced("authenticate", async {
            validate::login_name("name", name, MAX_LOGIN_NAME)?;
            let ctx = self.logon_context(name, false).await?;
            let Some(ctx) = ctx.filter(|c| !c.user_deleted) else {
                let candidate = password.clone();
                self.hashing(move || password::verify(&candidate, password::dummy_hash()))
                    .await?;
                return Ok(rejected(RejectReason::BadCredentials, 0));
            };
            let logon = ctx.logon;
            // No argon2 work for a locked or disabled logon: hammering it costs the attacker,
            // not us, and the answer does not depend on the password (no guessing oracle).
            if logon.status == LogonStatus::Locked && !ctx.auto_reset_due {
                return Ok(rejected(RejectReason::Locked, logon.num_invalid_attempts));
            }
            if logon.status == LogonStatus::Disabled {
                return Ok(rejected(RejectReason::Disabled, logon.num_invalid_attempts));
            }
            let (candidate, hash) = (password.clone(), logon.user_password.clone());
            let matches = self
                .hashing(move || password::verify(&candidate, &hash))
                .await?;
            let id = logon.user_logon_id;
            let auto_reset_hours = ctx.policy.auto_reset_hours;
            if !matches {
                let max_attempts = ctx.policy.invalid_attempts;
                let row = self
                    .call(
                        &Procedure::new("UserLogon_RecordFailedLogon")
                            .arg("UserLogonID", &id)
                            .arg("MaxAttempts", &max_attempts)
                            .arg("AutoResetHours", &auto_reset_hours)
                            .outputs(&[("Status", "nvarchar(20)"), ("NumInvalidAttempts", "int")]),
                    )
                    .await?;
                let status = crate::model::status_column(&row, 1)?;
                let attempts = req(&row, 2)?;
                let reason = if status == LogonStatus::Locked {
                    RejectReason::Locked
                } else {
                    RejectReason::BadCredentials
                };
                return Ok(rejected(reason, attempts));
            }
            let row = self
                .call(
                    &Procedure::new("UserLogon_RecordSuccessfulLogon")
                        .arg("UserLogonID", &id)
                        .arg("AutoResetHours", &auto_reset_hours)
                        .outputs(&[("Status", "nvarchar(20)")]),
                )
                .await?;
            let status = crate::model::status_column(&row, 1)?;
            let fresh = self.get_login_by_logon_id(id).await?;
            if status == LogonStatus::Locked {
                return Ok(rejected(RejectReason::Locked, fresh.num_invalid_attempts));
            }
            Ok(AuthOutcome::Accepted {
                logon: Box::new(fresh),
            })
        })
        .await
    }
}

fn rejected(reason: RejectReason, attempts: i32) -> AuthOutcome {
    AuthOutcome::Rejected { reason, attempts }
}
