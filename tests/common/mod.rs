//! The integration-test harness: a fresh mssql-sim per test (migrations/ and sql/ applied by
//! the sim), or, when `LOGONDB_TEST_URL` is set, that server, reset to the seed and migrated
//! by the library's runner, one test at a time. Nothing is ever skipped.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use logondb::{Config, LogonDb, Scripts, UserLogonRow};
use mssql_sim::Sim;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The demo password of every seed logon.
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

/// The environment variable naming a real server to test against.
pub const TEST_URL_ENV: &str = "LOGONDB_TEST_URL";

/// A database for one test.
pub struct TestDb {
    /// The library under test.
    pub db: LogonDb,
    /// The simulator, when the test runs on one.
    pub sim: Option<Sim>,
    /// The ADO connection string of the server, for [`TestDb::query_row`].
    connection_string: String,
    _exclusive: Option<OwnedMutexGuard<()>>,
}

impl TestDb {
    /// The simulator's fault injection (only [`sim`] databases have it).
    pub fn faults(&self) -> &mssql_sim::Faults {
        self.sim
            .as_ref()
            .expect("a simulator-backed TestDb")
            .faults()
    }

    /// The first row of `sql`, run on a connection of its own (outside the library and its
    /// pool): for looking at what the library wrote, such as `dbo.LogonAudit`.
    pub async fn query_row(&self, sql: &str) -> tiberius::Row {
        raw_client(&self.connection_string)
            .await
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_row()
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"))
    }
}

fn root(dir: &str) -> String {
    format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh simulator with the project's scripts.
pub fn start_sim() -> Sim {
    start_sim_with_script(None)
}

/// A fresh simulator with the project's scripts and then `extra` (T-SQL run at start-up).
pub fn start_sim_with_script(extra: Option<&str>) -> Sim {
    let mut builder = Sim::builder()
        .script_dir(root("migrations"))
        .script_dir(root("sql"));
    if let Some(sql) = extra {
        builder = builder.script("extra.sql", sql);
    }
    builder
        .start()
        .unwrap_or_else(|e| panic!("mssql-sim did not start: {e}"))
}

/// T-SQL that adds `n` never-used logons (`bulkN`, created 10 days ago) to alice's user.
pub fn bulk_logons(n: usize) -> String {
    format!(
        "DECLARE @i int = 0; DECLARE @u int; \
         SELECT @u = UserID FROM dbo.UserLogon WHERE LoginName = N'alice'; \
         WHILE @i < {n} BEGIN \
         INSERT INTO dbo.UserLogon (UserID, LoginName, UserPassword, UISourceID, Status, CreateDate) \
         VALUES (@u, N'bulk' + CAST(@i AS nvarchar(10)), N'not-a-hash', 1, N'Normal', \
         DATEADD(day, -10, SYSUTCDATETIME())); \
         SET @i = @i + 1; END"
    )
}

/// Short timeouts so that fault tests finish quickly, no retries unless a test asks.
pub fn test_config(connection_string: &str) -> Config {
    Config::parse(connection_string)
        .expect("connection string parses")
        .pool_size(8)
        .connect_timeout(Duration::from_secs(10))
        .command_timeout(Duration::from_secs(10))
}

/// Always a simulator (for fault injection), configured by `configure`.
pub async fn sim_with(configure: impl FnOnce(Config) -> Config) -> TestDb {
    connect_sim(start_sim(), configure).await
}

/// Connects to `sim` with the test configuration changed by `configure`.
pub async fn connect_sim(sim: Sim, configure: impl FnOnce(Config) -> Config) -> TestDb {
    let connection_string = sim.ado_connection_string();
    let db = LogonDb::connect(configure(test_config(&connection_string)))
        .await
        .expect("connects to mssql-sim");
    TestDb {
        db,
        sim: Some(sim),
        connection_string,
        _exclusive: None,
    }
}

/// A simulator with the test configuration.
pub async fn sim() -> TestDb {
    sim_with(|c| c).await
}

/// The database the suite runs against: `LOGONDB_TEST_URL` when set, else a simulator.
pub async fn setup() -> TestDb {
    let Ok(url) = std::env::var(TEST_URL_ENV) else {
        return sim().await;
    };
    static LOCK: OnceLock<Arc<Mutex<()>>> = OnceLock::new();
    let exclusive = LOCK
        .get_or_init(Default::default)
        .clone()
        .lock_owned()
        .await;
    let db = LogonDb::connect(test_config(&url))
        .await
        .expect("connects to LOGONDB_TEST_URL");
    reset_to_seed(&url).await;
    db.migrate(&Scripts::from_dirs(root("migrations"), root("sql")).expect("scripts read"))
        .await
        .expect("migrations apply");
    TestDb {
        db,
        sim: None,
        connection_string: url,
        _exclusive: Some(exclusive),
    }
}

/// Empties the seeded tables of a real server, so that the seed (which fills empty tables)
/// restores every row.
async fn reset_to_seed(url: &str) {
    const RESET: &str = "IF OBJECT_ID(N'dbo.LogonAudit', N'U') IS NOT NULL BEGIN \
        DELETE FROM dbo.LogonAudit; DELETE FROM dbo.UserPasswordHistory; DELETE FROM dbo.UserLogon; \
        DELETE FROM dbo.[User]; DELETE FROM dbo.AdminUserLogon; DELETE FROM dbo.AdminUser; \
        DELETE FROM dbo.PasswordPolicy; END";
    raw_client(url)
        .await
        .simple_query(RESET)
        .await
        .expect("reset runs")
        .into_results()
        .await
        .expect("reset runs");
}

/// A plain tiberius connection to `url` (ADO or JDBC form), bypassing the library.
async fn raw_client(
    url: &str,
) -> tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>> {
    use tokio_util::compat::TokioAsyncWriteCompatExt;
    let config = tiberius::Config::from_ado_string(url)
        .or_else(|_| tiberius::Config::from_jdbc_string(url))
        .expect("the test server's connection string parses");
    let tcp = tokio::net::TcpStream::connect(config.get_addr())
        .await
        .expect("the test server is reachable");
    tiberius::Client::connect(config, tcp.compat_write())
        .await
        .expect("the test server accepts the login")
}

/// The one logon with this name.
pub async fn logon(db: &LogonDb, name: &str) -> UserLogonRow {
    let mut rows = db.get_login_by_name(name, true).await.expect("lookup");
    assert_eq!(rows.len(), 1, "exactly one logon named {name}");
    rows.remove(0)
}
