//! What the engine tests share: a tiberius client of a running Sim, the
//! project's scripts, and one-line helpers for batches.

#![allow(dead_code)] // each test file uses a different part

use mssql_sim::Sim;
use tiberius::{Client, Config, Row};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

pub type Conn = Client<Compat<TcpStream>>;

/// The workspace root (migrations/ and sql/ live there).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A Sim with the project's migrations, procedures and seed applied.
pub fn seeded() -> Sim {
    Sim::builder()
        .script_dir(root().join("migrations"))
        .script_dir(root().join("sql"))
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

pub async fn connect(sim: &Sim) -> Conn {
    let config = Config::from_ado_string(&sim.ado_connection_string()).expect("ado string");
    let tcp = TcpStream::connect(sim.addr()).await.expect("tcp");
    Client::connect(config, tcp.compat_write())
        .await
        .expect("login")
}

/// Runs a batch and reads everything it returns.
pub async fn run(c: &mut Conn, sql: &str) {
    c.simple_query(sql)
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
}

/// The first row of a batch.
pub async fn row(c: &mut Conn, sql: &str) -> Row {
    c.simple_query(sql)
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .expect("a row")
}

/// The number of the server error a batch must raise.
pub async fn error_number(c: &mut Conn, sql: &str) -> u32 {
    let r = match c.simple_query(sql).await {
        Ok(s) => s.into_results().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match r {
        Err(tiberius::error::Error::Server(e)) => e.code(),
        other => panic!("expected a server error from {sql}, got {other:?}"),
    }
}
