//! The in-process entry point: a database, its start-up scripts and a server.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tsql_script::{natural_cmp, split_batches};

use crate::engine::{is_script, Database, SimEngine, Storage};
use crate::server::{self, Faults, ServerConfig, ServerHandle};
use crate::types::ServerMessage;

/// Why a simulator did not start.
#[derive(Debug)]
pub enum StartError {
    Io(std::io::Error),
    Storage(String),
    /// A start-up script failed: its file, the line, and the server's error.
    Script {
        file: String,
        line: i32,
        error: ServerMessage,
    },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Io(e) => write!(f, "mssql-sim: {e}"),
            StartError::Storage(e) => write!(f, "mssql-sim: cannot open the database: {e}"),
            StartError::Script { file, line, error } => write!(
                f,
                "mssql-sim: {file}:{line}: Msg {}, Level {}, State {}: {}",
                error.number, error.class, error.state, error.message
            ),
        }
    }
}

impl std::error::Error for StartError {}

enum Script {
    Dir(PathBuf),
    Text { name: String, sql: String },
}

/// Configures a [`Sim`]. Scripts run in the order given; the files of a
/// directory in natural name order (V2 before V10).
pub struct SimBuilder {
    scripts: Vec<Script>,
    storage: Storage,
    user: String,
    password: String,
    port: u16,
    idle_poll: Duration,
}

impl SimBuilder {
    pub fn script_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scripts.push(Script::Dir(dir.into()));
        self
    }
    /// A script given as text, e.g. one compiled into a binary.
    pub fn script(mut self, name: impl Into<String>, sql: impl Into<String>) -> Self {
        self.scripts.push(Script::Text {
            name: name.into(),
            sql: sql.into(),
        });
        self
    }
    /// Keep the database in this file; a later start reopens it with its data.
    /// Scripts are applied only when the database is new.
    pub fn database_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.storage = Storage::File(path.into());
        self
    }
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }
    /// 0 (the default) picks a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long a connection polls for its client's next request before it
    /// blocks; [`DEFAULT_IDLE_POLL`](crate::server::DEFAULT_IDLE_POLL) unless
    /// set, and zero never polls. See [`ServerConfig::idle_poll`].
    pub fn idle_poll(mut self, window: Duration) -> Self {
        self.idle_poll = window;
        self
    }

    pub fn start(self) -> Result<Sim, StartError> {
        let db = Database::open(&self.storage, &self.user, &self.password)
            .map_err(|e| StartError::Storage(e.to_string()))?;
        if db.fresh {
            for script in &self.scripts {
                match script {
                    Script::Dir(d) => {
                        for file in script_files(d)? {
                            let sql = std::fs::read_to_string(&file).map_err(StartError::Io)?;
                            apply(&db, &file.display().to_string(), &sql)?;
                        }
                    }
                    Script::Text { name, sql } => apply(&db, name, sql)?,
                }
            }
        }
        let handle = server::start(
            Arc::new(SimEngine(db)),
            ServerConfig {
                addr: SocketAddr::from(([127, 0, 0, 1], self.port)),
                idle_poll: self.idle_poll,
            },
        )
        .map_err(StartError::Io)?;
        Ok(Sim {
            handle: Some(handle),
            user: self.user,
            password: self.password,
        })
    }
}

fn apply(db: &Database, file: &str, sql: &str) -> Result<(), StartError> {
    for batch in split_batches(sql) {
        let first_line = i32::try_from(batch.line).unwrap_or(i32::MAX);
        db.run_script_batch(batch.sql, first_line)
            .map_err(|error| StartError::Script {
                file: file.to_string(),
                line: error.line,
                error,
            })?;
    }
    Ok(())
}

/// The `.sql` files of a directory and its subdirectories, in natural order.
fn script_files(dir: &Path) -> Result<Vec<PathBuf>, StartError> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(StartError::Io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    for p in entries {
        if p.is_dir() {
            out.extend(script_files(&p)?);
        } else if is_script(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// A running simulator; it stops when dropped.
pub struct Sim {
    handle: Option<ServerHandle>,
    user: String,
    password: String,
}

impl Sim {
    /// Defaults: user `sa`, password `Sim-Passw0rd`, in memory, a free port.
    pub fn builder() -> SimBuilder {
        SimBuilder {
            scripts: Vec::new(),
            storage: Storage::Memory,
            user: "sa".into(),
            password: "Sim-Passw0rd".into(),
            port: 0,
            idle_poll: server::DEFAULT_IDLE_POLL,
        }
    }
    pub fn addr(&self) -> SocketAddr {
        self.handle
            .as_ref()
            .map(|h| h.local_addr())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }
    /// An ADO.NET connection string for this server (no TLS).
    pub fn ado_connection_string(&self) -> String {
        let a = self.addr();
        format!(
            "server=tcp:{},{};user={};password={};database=master;encrypt=DANGER_PLAINTEXT;TrustServerCertificate=true",
            a.ip(),
            a.port(),
            self.user,
            self.password
        )
    }
    pub fn faults(&self) -> &Faults {
        self.handle
            .as_ref()
            .map(|h| h.faults().as_ref())
            .expect("a running Sim has a server")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}
