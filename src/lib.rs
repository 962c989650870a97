//! # logondb
//!
//! Typed, pooled, async access to the SQL Server tables `dbo.UserLogon` (end users) and
//! `dbo.AdminUserLogon` (back-office staff): the functions of Q2's `UserLogon` class with
//! typed rows, typed errors and no stringly-typed dates.
//!
//! * reads are parameterized SQL (`@P1`..), writes are the stored procedures of
//!   `sql/procedures` (one transaction and one audit row each);
//! * bad input is rejected with [`Error::InvalidInput`] before any round trip;
//! * passwords are argon2id PHC strings; policies come from `dbo.PasswordPolicy` (group
//!   override, then zone, then UI source default); history is enforced;
//! * every call has a command timeout and a tracing span (function, rows, duration; never a
//!   password or hash); transient errors are retried for reads only (see [`retry`]);
//! * the pool (bb8 over bb8-tiberius) never hands out a connection that a failed or
//!   abandoned call left behind (see [`pool`]).
//!
//! ```no_run
//! use logondb::{Config, LogonDb, Password, AuthOutcome};
//!
//! # async fn run() -> logondb::Result<()> {
//! let config = Config::parse(
//!     "server=tcp:localhost,1433;user=logondb_app;password=...;database=logondb;encrypt=DANGER_PLAINTEXT",
//! )?;
//! let db = LogonDb::connect(config).await?;
//! for logon in db.get_login_by_name("alice", false).await? {
//!     println!("{} is {}", logon.login_name, logon.status);
//! }
//! match db.authenticate("alice", &Password::new("Demo-Passw0rd!")).await? {
//!     AuthOutcome::Accepted { logon } => println!("welcome, {}", logon.login_name),
//!     AuthOutcome::Rejected { reason, attempts } => println!("{reason:?} ({attempts})"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! With the default feature `embedded`, [`embedded::EmbeddedServer`] runs the same code
//! against an in-process mssql-sim.

#![warn(missing_docs)]

pub mod config;
mod db;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod error;
mod logon;
pub mod migrate;
pub mod model;
pub mod password;
pub mod pool;
mod procedure;
pub mod retry;
pub mod validate;

pub use config::{CheckoutMode, Config};
pub use db::LogonDb;
pub use error::{Error, Result};
pub use logon::{AuthOutcome, DeleteTarget, Deleted, LogonQuery, RejectReason, DEFAULT_UI_SOURCE};
pub use migrate::{MigrationReport, Scripts};
pub use model::{
    AdminLogonRow, ContextType, LogonStatus, PasswordPolicy, PolicyScope, UserLogonRow, ZoneData,
};
pub use password::{Password, PasswordHash, Violation};
pub use pool::PoolStats;
pub use retry::RetryPolicy;
pub use validate::{MAX_LOGIN_NAME, MAX_RETURN_COUNT};
