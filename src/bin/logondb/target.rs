//! Choosing the database: `--url`, `LOGONDB_URL` or the embedded simulator — never a
//! silent fallback from one to another.

use std::path::{Path, PathBuf};

use logondb::{Config, LogonDb};

use crate::args::TargetArgs;
use crate::exit::CliError;

/// The environment variable read when `--url` is not given.
pub const URL_VARIABLE: &str = "LOGONDB_URL";

/// The message when no target was given.
const NO_TARGET: &str = "no database given: pass --url CONNECTION_STRING (or set LOGONDB_URL) \
     for a SQL Server, or --embedded (optionally --embedded-db PATH) for the built-in simulator";

/// Where the command runs.
#[derive(Debug)]
pub enum Target {
    /// A SQL Server reached by a connection string (boxed: the settings are large).
    Url(Box<Config>),
    /// The in-process simulator, in memory or kept in a file.
    Embedded(Option<PathBuf>),
}

impl Target {
    /// The target the arguments name: an explicit flag wins over the environment, and
    /// nothing at all is an error (exit 2) that names both ways.
    pub fn from_args(args: &TargetArgs) -> Result<Target, CliError> {
        if args.embedded || args.embedded_db.is_some() {
            return Ok(Target::Embedded(args.embedded_db.clone()));
        }
        if let Some(config) = &args.url {
            return Ok(Target::Url(Box::new(config.clone())));
        }
        match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.trim().is_empty() => Config::parse(&url)
                .map(|config| Target::Url(Box::new(config)))
                .map_err(|error| CliError::Usage(format!("{URL_VARIABLE}: {error}"))),
            _ => Err(CliError::Usage(NO_TARGET.into())),
        }
    }

    /// Connects to the target (starting the simulator first when it is the embedded one).
    pub async fn connect(self) -> Result<Connection, CliError> {
        match self {
            Target::Url(config) => Ok(Connection {
                db: LogonDb::connect(*config).await?,
                #[cfg(feature = "embedded")]
                _server: None,
            }),
            Target::Embedded(db_file) => connect_embedded(db_file.as_deref()).await,
        }
    }
}

/// A connected database, and the embedded server behind it when there is one.
pub struct Connection {
    /// The pool.
    pub db: LogonDb,
    // Declared after `db`, so the pool closes before the server stops.
    #[cfg(feature = "embedded")]
    _server: Option<EmbeddedServer>,
}

#[cfg(feature = "embedded")]
pub use logondb::embedded::EmbeddedServer;

/// Starts the embedded server (seeded when its database is new) and connects to it.
#[cfg(feature = "embedded")]
async fn connect_embedded(db_file: Option<&Path>) -> Result<Connection, CliError> {
    let server = EmbeddedServer::start(db_file).await?;
    Ok(Connection {
        db: LogonDb::connect(server.config()).await?,
        _server: Some(server),
    })
}

/// Refuses: this build has no embedded server.
#[cfg(not(feature = "embedded"))]
async fn connect_embedded(_db_file: Option<&Path>) -> Result<Connection, CliError> {
    Err(CliError::Usage(NO_EMBEDDED.into()))
}

/// The message of a build without the simulator.
#[cfg(not(feature = "embedded"))]
pub const NO_EMBEDDED: &str = "this logondb was built without the `embedded` feature: use --url";
