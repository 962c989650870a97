//! Connection settings: an ADO or JDBC connection string (or `LOGONDB_URL`), pool size,
//! timeouts, checkout mode and retry policy.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use connection_string::{AdoNetString, JdbcString};

use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// The environment variable [`Config::from_env`] reads.
pub const URL_ENV: &str = "LOGONDB_URL";

/// Default maximum number of pooled connections.
pub const DEFAULT_POOL_SIZE: u32 = 10;
/// Default limit for establishing a connection (and for waiting on the pool).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default limit for one command (one round trip, or one row of a stream).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How a connection is checked when it leaves the pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CheckoutMode {
    /// No round trip: a connection is trusted unless a call marked it broken (I/O error,
    /// timeout, call dropped mid-response); broken ones are discarded on return.
    #[default]
    Trusting,
    /// Additionally run `SELECT 1` (and read its row) on every checkout.
    Checked,
}

/// Everything [`crate::LogonDb::connect`] needs. `Debug` never shows the password.
#[derive(Clone)]
pub struct Config {
    pub(crate) tiberius: tiberius::Config,
    summary: Summary,
    pub(crate) pool_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) command_timeout: Duration,
    pub(crate) checkout: CheckoutMode,
    pub(crate) retry: RetryPolicy,
}

/// The non-secret parts of the connection string, for `Debug`.
#[derive(Clone, Debug)]
struct Summary {
    addr: String,
    database: Option<String>,
    user: Option<String>,
}

impl Config {
    /// Parses an ADO (`server=tcp:host,port;user=..;password=..;database=..`) or JDBC
    /// (`jdbc:sqlserver://host:port;user=..`) connection string; the form is detected by the
    /// `jdbc:` prefix.
    ///
    /// With the `tls` feature (default), `encrypt=true` (add `TrustServerCertificate=true` for
    /// a self-signed server certificate) encrypts the connection, `encrypt=false` or no
    /// `encrypt` encrypts the login only, and `encrypt=DANGER_PLAINTEXT` nothing (mssql-sim
    /// speaks no TLS). Without the feature, `encrypt=true` is refused rather than silently
    /// downgraded.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |e: &dyn fmt::Display| Error::Config(format!("connection string: {e}"));
        let s = s.trim();
        let is_jdbc = s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("jdbc:"));
        let (tiberius, keys) = if is_jdbc {
            // The JDBC parsers want the scheme in lower case.
            let s = &format!("jdbc:{}", &s[5..]);
            let parsed: JdbcString = s.parse().map_err(|e| bad(&e))?;
            let mut keys = parsed.properties().clone();
            if let Some(host) = parsed.server_name() {
                keys.insert("server".into(), host.to_owned());
            }
            let config = tiberius::Config::from_jdbc_string(s).map_err(|e| bad(&e))?;
            (config, keys)
        } else {
            let parsed: AdoNetString = s.parse().map_err(|e| bad(&e))?;
            let keys: HashMap<String, String> =
                parsed.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let config = tiberius::Config::from_ado_string(s).map_err(|e| bad(&e))?;
            (config, keys)
        };
        if !keys.contains_key("server") && !keys.contains_key("data source") {
            return Err(Error::Config("connection string: no server given".into()));
        }
        #[cfg(not(feature = "tls"))]
        if let Some(encrypt) = keys.get("encrypt") {
            let e = encrypt.to_ascii_lowercase();
            if !matches!(e.as_str(), "false" | "no" | "danger_plaintext") {
                return Err(Error::Config(format!(
                    "connection string: encrypt={encrypt} needs TLS, which this build of logondb \
                     does not include; use encrypt=DANGER_PLAINTEXT on a trusted network"
                )));
            }
        }
        let first = |names: &[&str]| names.iter().find_map(|n| keys.get(*n).cloned());
        let summary = Summary {
            addr: tiberius.get_addr(),
            database: first(&["database", "initial catalog", "databasename"]),
            user: first(&["user", "uid", "username", "user id"]),
        };
        Ok(Config {
            tiberius,
            summary,
            pool_size: DEFAULT_POOL_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            checkout: CheckoutMode::default(),
            retry: RetryPolicy::default(),
        })
    }

    /// Parses the connection string in `LOGONDB_URL`.
    pub fn from_env() -> Result<Self> {
        let url = std::env::var(URL_ENV)
            .map_err(|_| Error::Config(format!("{URL_ENV} is not set (or not UTF-8)")))?;
        Config::parse(&url)
    }

    /// Maximum number of pooled connections (at least 1).
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Limit for establishing a connection and for waiting on a free one.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit for one command; a command that exceeds it fails with [`Error::Timeout`] and its
    /// connection is discarded.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// How connections are checked on checkout.
    pub fn checkout(mut self, mode: CheckoutMode) -> Self {
        self.checkout = mode;
        self
    }

    /// Retry policy for transient errors of idempotent calls.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `host:port` the configuration points at.
    pub fn addr(&self) -> &str {
        &self.summary.addr
    }

    /// The configured pool size.
    pub fn get_pool_size(&self) -> u32 {
        self.pool_size
    }

    /// The configured command timeout.
    pub fn get_command_timeout(&self) -> Duration {
        self.command_timeout
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.summary.addr)
            .field("database", &self.summary.database)
            .field("user", &self.summary.user)
            .field("password", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("checkout", &self.checkout)
            .field("retry", &self.retry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADO: &str = "server=tcp:db.example,14330;user=app;password=S3cret-Pw;\
                       database=Logons;encrypt=DANGER_PLAINTEXT;TrustServerCertificate=true";

    #[test]
    fn ado_strings_parse() {
        let c = Config::parse(ADO).unwrap();
        assert_eq!(c.addr(), "db.example:14330");
        assert_eq!(c.summary.database.as_deref(), Some("Logons"));
        assert_eq!(c.summary.user.as_deref(), Some("app"));
        assert_eq!(c.get_pool_size(), DEFAULT_POOL_SIZE);
        assert_eq!(c.checkout, CheckoutMode::Trusting);
    }

    #[test]
    fn jdbc_strings_parse() {
        let c = Config::parse(
            "jdbc:sqlserver://db.example:1444;databaseName=Logons;user=app;password=S3cret-Pw;encrypt=false",
        )
        .unwrap();
        assert_eq!(c.addr(), "db.example:1444");
        assert_eq!(c.summary.database.as_deref(), Some("Logons"));
        assert_eq!(c.summary.user.as_deref(), Some("app"));
        let upper = Config::parse("JDBC:sqlserver://h:1;user=u;password=p").unwrap();
        assert_eq!(upper.addr(), "h:1");
    }

    #[test]
    fn bad_strings_are_config_errors() {
        for bad in [
            "",
            "user=app;password=x",
            "server=tcp:h,notaport",
            "server=tcp:h,1;encrypt=maybe",
        ] {
            assert!(
                matches!(Config::parse(bad), Err(Error::Config(_))),
                "{bad:?}"
            );
        }
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn encryption_is_refused_without_tls() {
        for s in [
            "server=tcp:h,1;encrypt=true",
            "server=tcp:h,1;encrypt=strict",
            "jdbc:sqlserver://h:1;encrypt=true",
        ] {
            assert!(matches!(Config::parse(s), Err(Error::Config(_))), "{s:?}");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn encryption_is_accepted_with_tls() {
        for s in [
            "server=tcp:h,1;encrypt=true;TrustServerCertificate=true",
            "jdbc:sqlserver://h:1;encrypt=true;trustServerCertificate=true",
        ] {
            assert!(Config::parse(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn builder_setters() {
        let c = Config::parse(ADO)
            .unwrap()
            .pool_size(0)
            .connect_timeout(Duration::from_secs(2))
            .command_timeout(Duration::from_millis(700))
            .checkout(CheckoutMode::Checked)
            .retry(RetryPolicy::none());
        assert_eq!(c.pool_size, 1, "clamped to at least one");
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.get_command_timeout(), Duration::from_millis(700));
        assert_eq!(c.checkout, CheckoutMode::Checked);
        assert_eq!(c.retry, RetryPolicy::none());
    }

    #[test]
    fn debug_never_shows_the_password() {
        for s in [ADO, "jdbc:sqlserver://h:1;user=app;password=S3cret-Pw"] {
            let shown = format!("{:?}", Config::parse(s).unwrap());
            assert!(!shown.contains("S3cret"), "{shown}");
            assert!(
                shown.contains("<redacted>") && shown.contains("app"),
                "{shown}"
            );
        }
    }

    #[test]
    fn from_env_reads_logondb_url() {
        // The only test touching this variable, so no other test races it.
        std::env::set_var(URL_ENV, ADO);
        assert_eq!(Config::from_env().unwrap().addr(), "db.example:14330");
        std::env::remove_var(URL_ENV);
        assert!(matches!(Config::from_env(), Err(Error::Config(_))));
    }
}
