//! The connection pool: bb8 over a project `ManageConnection` that wraps
//! `bb8_tiberius::ConnectionManager` and fixes its two defects:
//!
//! * every connection carries a `broken` flag: it is set when a call starts and cleared only
//!   when the call finished cleanly (or with a server error, after which tiberius drains the
//!   rest of the response). I/O errors, protocol errors, timeouts and futures dropped
//!   mid-call leave it set, and `has_broken` reads it, so such a connection never goes back
//!   into the pool;
//! * `is_valid` runs `SELECT 1` AND reads its row (bb8-tiberius leaves the row on the wire).
//!
//! Checkout costs no round trip by default (`test_on_check_out(false)`, eviction by the
//! flag); [`CheckoutMode::Checked`] runs `is_valid` on every checkout.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use serde::Serialize;
use tiberius::{Row, ToSql};

use crate::config::{CheckoutMode, Config};
use crate::{Error, Result};

type Client = bb8_tiberius::rt::Client;

/// One pooled connection: a tiberius client and its `broken` flag.
pub struct Connection {
    client: Client,
    broken: bool,
}

/// A request on the wire: a plain SQL batch (DDL, `SELECT 1`) or a parameterized statement
/// (sp_executesql; `@P1`..`@Pn`).
#[derive(Clone, Copy)]
pub(crate) enum Request<'a> {
    Batch(&'a str),
    Statement(&'a str, &'a [&'a dyn ToSql]),
}

/// Runs one call under `timeout` with the pessimistic flag: broken until proven otherwise.
async fn guarded<T>(
    broken: &mut bool,
    timeout: Duration,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    *broken = true;
    let out = match tokio::time::timeout(timeout, call).await {
        Ok(out) => out,
        Err(_) => Err(Error::Timeout),
    };
    *broken = out.as_ref().err().is_some_and(Error::breaks_connection);
    out
}

impl Connection {
    /// Whether a call on this connection failed in a way that leaves it unusable.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Runs `request` and returns every result set; records the row count on the current span.
    pub(crate) async fn query(
        &mut self,
        request: Request<'_>,
        timeout: Duration,
    ) -> Result<Vec<Vec<Row>>> {
        let client = &mut self.client;
        // Over a kilobyte of tiberius state: on the heap it is written once, where every
        // future awaiting it would otherwise hold (and copy) it again.
        let sets = Box::pin(guarded(&mut self.broken, timeout, async move {
            let stream = match request {
                Request::Batch(sql) => client.simple_query(sql).await?,
                Request::Statement(sql, params) => client.query(sql, params).await?,
            };
            Ok(stream.into_results().await?)
        }))
        .await?;
        let rows: usize = sets.iter().map(Vec::len).sum();
        tracing::Span::current().record("rows", rows);
        Ok(sets)
    }

    /// Streams the rows of the first result set of `sql` into `each`, holding one row at a
    /// time; `timeout` bounds the wait for each row. When `each` answers `false` the rest of
    /// the response is left unread and the connection stays marked broken.
    pub(crate) async fn for_each_row<F, Fut>(
        &mut self,
        sql: &str,
        params: &[&dyn ToSql],
        timeout: Duration,
        mut each: F,
    ) -> Result<u64>
    where
        F: FnMut(Row) -> Fut,
        Fut: Future<Output = bool>,
    {
        let Connection { client, broken } = self;
        let mut stream = guarded(broken, timeout, async {
            Ok(client.query(sql, params).await?)
        })
        .await?
        .into_row_stream();
        *broken = true;
        let mut rows = 0;
        loop {
            match tokio::time::timeout(timeout, stream.try_next()).await {
                Err(_) => return Err(Error::Timeout),
                Ok(Err(e)) => {
                    let e = Error::from(e);
                    *broken = e.breaks_connection();
                    return Err(e);
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(row))) => {
                    if !each(row).await {
                        return Ok(rows);
                    }
                    rows += 1;
                }
            }
        }
        *broken = false;
        Ok(rows)
    }
}

/// The project's `ManageConnection` (see the module docs).
pub struct Manager {
    inner: bb8_tiberius::ConnectionManager,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl bb8::ManageConnection for Manager {
    type Connection = Connection;
    type Error = Error;

    async fn connect(&self) -> Result<Connection> {
        let client = tokio::time::timeout(self.connect_timeout, self.inner.connect())
            .await
            .map_err(|_| Error::Timeout)?
            .map_err(|e| match e {
                bb8_tiberius::Error::Tiberius(e) => Error::from(e),
                bb8_tiberius::Error::Io(e) => Error::Io(e),
            })?;
        Ok(Connection {
            client,
            broken: false,
        })
    }

    /// `SELECT 1`, its row read. On failure bb8 discards the connection whatever its flag
    /// and counts it as closed invalid; the flag is cleared so that it is not also counted
    /// as closed broken (one connection, two discards in [`PoolStats`]).
    async fn is_valid(&self, conn: &mut Connection) -> Result<()> {
        let answer = conn
            .query(Request::Batch("SELECT 1 AS ok"), self.command_timeout)
            .await
            .and_then(|sets| {
                let one = sets
                    .first()
                    .and_then(|rows| rows.first())
                    .and_then(|row| row.get::<i32, _>(0));
                match one {
                    Some(1) => Ok(()),
                    _ => Err(Error::Protocol("SELECT 1 did not answer 1".into())),
                }
            });
        if answer.is_err() {
            conn.broken = false;
        }
        answer
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.broken
    }
}

/// Remembers the last error of the pool's background connects, for the checkout timeout.
#[derive(Debug, Clone, Default)]
struct LastError(Arc<Mutex<Option<String>>>);

impl bb8::ErrorSink<Error> for LastError {
    fn sink(&self, error: Error) {
        tracing::warn!(%error, "pooled connection failed");
        if let Ok(mut last) = self.0.lock() {
            *last = Some(error.to_string());
        }
    }

    fn boxed_clone(&self) -> Box<dyn bb8::ErrorSink<Error>> {
        Box::new(self.clone())
    }
}

/// The pool and what its checkout errors need.
#[derive(Clone)]
pub(crate) struct Pool {
    pool: bb8::Pool<Manager>,
    last_error: LastError,
    connect_timeout: Duration,
}

/// A checked-out connection; returned to the pool on drop (unless broken).
pub(crate) type Pooled = bb8::PooledConnection<'static, Manager>;

impl Pool {
    /// Builds the pool and opens its first connection, so a wrong address or password fails
    /// here with the server's error rather than later as a checkout timeout.
    pub(crate) async fn connect(config: &Config) -> Result<Self> {
        let manager = Manager {
            inner: bb8_tiberius::ConnectionManager::new(config.tiberius.clone()),
            connect_timeout: config.connect_timeout,
            command_timeout: config.command_timeout,
        };
        let last_error = LastError::default();
        let pool = bb8::Pool::builder()
            .max_size(config.pool_size)
            .test_on_check_out(config.checkout == CheckoutMode::Checked)
            .connection_timeout(config.connect_timeout)
            .error_sink(Box::new(last_error.clone()))
            .build_unchecked(manager);
        let first = pool.dedicated_connection().await?;
        // Only fails when a concurrent replenish filled the pool first: then drop ours.
        let _ = pool.add(first);
        Ok(Pool {
            pool,
            last_error,
            connect_timeout: config.connect_timeout,
        })
    }

    /// Checks out a connection.
    pub(crate) async fn get(&self) -> Result<Pooled> {
        // bb8's checkout future is over 3 KiB; on the heap, every future that awaits this
        // one stays small, and a call copies a pointer where it would copy those bytes at
        // each level.
        Box::pin(self.pool.get_owned()).await.map_err(|e| match e {
            bb8::RunError::User(e) => e,
            bb8::RunError::TimedOut => {
                let last = self.last_error.0.lock().ok().and_then(|l| l.clone());
                Error::Pool(match last {
                    Some(last) => format!(
                        "no connection within {:?}; last connect error: {last}",
                        self.connect_timeout
                    ),
                    None => format!("no connection within {:?}", self.connect_timeout),
                })
            }
        })
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let state = self.pool.state();
        let s = state.statistics;
        PoolStats {
            max_size: self.pool.config().max_size,
            connections: state.connections,
            idle_connections: state.idle_connections,
            checkouts: s.get_direct + s.get_waited + s.get_timed_out,
            checkouts_waited: s.get_waited,
            checkouts_timed_out: s.get_timed_out,
            connections_created: s.connections_created,
            connections_closed_broken: s.connections_closed_broken,
            connections_closed_invalid: s.connections_closed_invalid,
        }
    }
}

/// A snapshot of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    /// Configured maximum.
    pub max_size: u32,
    /// Open connections (idle and checked out).
    pub connections: u32,
    /// Idle connections.
    pub idle_connections: u32,
    /// Completed checkouts (direct, waited and timed out).
    pub checkouts: u64,
    /// Checkouts that had to wait.
    pub checkouts_waited: u64,
    /// Checkouts that timed out.
    pub checkouts_timed_out: u64,
    /// Connections opened.
    pub connections_created: u64,
    /// Connections discarded because a call marked them broken.
    pub connections_closed_broken: u64,
    /// Connections discarded by the checked checkout (`SELECT 1` failed).
    pub connections_closed_invalid: u64,
}
