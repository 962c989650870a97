//! The embedded backend (feature `embedded`): an in-process mssql-sim with the project's
//! scripts (compiled into the crate) applied through TDS by the migration runner.

use std::path::Path;

use crate::migrate::{MigrationReport, Scripts};
use crate::{Config, Error, LogonDb, Result};

/// A running mssql-sim with the schema, procedures and seed applied. Dropping it stops the
/// server.
pub struct EmbeddedServer {
    sim: mssql_sim::Sim,
    config: Config,
    report: MigrationReport,
}

impl EmbeddedServer {
    /// Starts an empty mssql-sim (in memory, or in `db_file`, which a later start reopens
    /// with its data) and runs `migrate(Scripts::embedded())` against it: a new database gets
    /// every migration, a reopened one only the new ones; sql/ runs every time.
    pub async fn start(db_file: Option<&Path>) -> Result<Self> {
        let mut builder = mssql_sim::Sim::builder();
        if let Some(path) = db_file {
            builder = builder.database_file(path);
        }
        let sim = builder
            .start()
            .map_err(|e| Error::Io(std::io::Error::other(format!("embedded server: {e}"))))?;
        let config = Config::parse(&sim.ado_connection_string())?;
        let db = LogonDb::connect(config.clone().pool_size(1)).await?;
        let report = db.migrate(&Scripts::embedded()).await?;
        Ok(EmbeddedServer {
            sim,
            config,
            report,
        })
    }

    /// Settings that connect to this server.
    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// The server's ADO connection string (user `sa`, `encrypt=DANGER_PLAINTEXT`).
    pub fn connection_string(&self) -> String {
        self.sim.ado_connection_string()
    }

    /// What the start-up migration run did.
    pub fn migration_report(&self) -> &MigrationReport {
        &self.report
    }
}
