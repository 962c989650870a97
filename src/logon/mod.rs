//! The query functions of [`crate::LogonDb`], one file per concern: reads, writes,
//! authentication, password policy.

mod auth;
mod policy;
mod read;
mod write;

pub use auth::{AuthOutcome, RejectReason};
pub use policy::DEFAULT_UI_SOURCE;
pub use read::LogonQuery;
pub use write::{DeleteTarget, Deleted};
