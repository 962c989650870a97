//! `LogonDb`: the pooled handle every query function hangs off, and the plumbing they share
//! (checkout + retry + timeout, procedure calls, tracing spans, the hashing pool).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use tiberius::{Row, ToSql};
use tokio::sync::Semaphore;
use tracing::instrument::Instrumented;
use tracing::{field, Instrument};

use crate::config::Config;
use crate::pool::{Pool, PoolStats, Pooled, Request};
use crate::procedure::Procedure;
use crate::retry::{self, Idempotency, RetryPolicy};
use crate::{Error, Result};

/// Typed, pooled access to the logon tables. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct LogonDb {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    command_timeout: Duration,
    retry: RetryPolicy,
    /// Bounds concurrent argon2 work (each hash holds 19 MiB) to the number of cores.
    hashing: Semaphore,
}

impl LogonDb {
    /// Builds the pool and opens its first connection (a wrong address or password fails here).
    pub async fn connect(config: Config) -> Result<Self> {
        let pool = Pool::connect(&config).await?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(LogonDb {
            inner: Arc::new(Inner {
                pool,
                command_timeout: config.command_timeout,
                retry: config.retry,
                hashing: Semaphore::new(cores),
            }),
        })
    }

    /// A snapshot of the pool's connections and checkout statistics.
    pub fn pool_stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    pub(crate) fn command_timeout(&self) -> Duration {
        self.inner.command_timeout
    }

    /// Checks out a connection (no retry).
    pub(crate) async fn conn(&self) -> Result<Pooled> {
        self.inner.pool.get().await
    }

    /// Runs a parameterized read, retried on transient errors; returns every result set.
    pub(crate) async fn read(&self, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<Vec<Row>>> {
        retry::run(&self.inner.retry, Idempotency::Idempotent, || async {
            let mut conn = self.conn().await?;
            conn.query(Request::Statement(sql, params), self.command_timeout())
                .await
        })
        .await
    }

    /// Calls a procedure (a write: retried only on proof that nothing ran).
    pub(crate) async fn call(&self, procedure: &Procedure<'_>) -> Result<Row> {
        retry::run(&self.inner.retry, Idempotency::Write, || async {
            let mut conn = self.conn().await?;
            procedure.call(&mut conn, self.command_timeout()).await
        })
        .await
    }

    /// Runs CPU-bound password work (argon2) on the blocking pool, a few at a time.
    pub(crate) async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .inner
            .hashing
            .acquire()
            .await
            .map_err(|_| Error::Protocol("hashing pool closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
    }
}

/// The span of one public call: `function`, `rows` (recorded by the connection), duration.
pub(crate) fn span(function: &'static str) -> tracing::Span {
    tracing::info_span!(
        "logondb",
        function,
        rows = field::Empty,
        duration_ms = field::Empty,
        error = field::Empty
    )
}

/// Runs `call` inside [`span`] and records its duration and error (never arguments).
pub(crate) fn traced<F: Future>(function: &'static str, call: F) -> Traced<F> {
    Traced {
        call: call.instrument(span(function)),
        start: Instant::now(),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`traced`]. Written out rather than an `async` block, which would hold
    /// `call` and its instrumented form side by side: twice a call's state, and every
    /// call copies that state as it starts.
    pub(crate) struct Traced<F> {
        #[pin]
        call: Instrumented<F>,
        start: Instant,
    }
}

impl<T, F: Future<Output = Result<T>>> Future for Traced<F> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let out = ready!(this.call.as_mut().poll(cx));
        let span = this.call.span();
        span.record("duration_ms", this.start.elapsed().as_secs_f64() * 1000.0);
        if let Err(e) = &out {
            span.record("error", field::display(e));
        }
        Poll::Ready(out)
    }
}
