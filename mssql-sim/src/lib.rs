//! # mssql-sim
//!
//! An embedded SQL Server for tests: a TDS 7.4 server on loopback that runs
//! a documented subset of T-SQL on SQLite. Start it in-process, point any
//! TDS client (tiberius, FreeTDS) at it, and refuse-with-a-clear-error is
//! the answer to anything outside the subset.
//!
//! ```no_run
//! let sim = mssql_sim::Sim::builder()
//!     .script_dir("migrations")
//!     .script_dir("sql")
//!     .start()
//!     .expect("scripts apply");
//! println!("{}", sim.ado_connection_string());
//! ```

mod engine;
pub mod protocol;
pub mod server;
pub mod session;
mod sim;
pub mod types;

pub use server::Faults;
pub use sim::{Sim, SimBuilder, StartError};
