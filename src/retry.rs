//! Retries with exponential backoff and full jitter.
//!
//! Reads (idempotent calls) are retried on any [`Error::is_transient`] error. Writes
//! (procedure calls) are retried only when the error proves that nothing ran: a deadlock
//! victim (1205). Every procedure of the contract is one transaction under `XACT_ABORT ON`
//! and SQL Server rolls the victim's transaction back before the error reaches the client,
//! so calling again cannot apply a change twice. Timeouts, I/O errors and Azure's
//! connection errors are NOT retried for writes: the commit may have happened before the
//! connection was lost.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::{Error, Result};

/// How often and how patiently transient errors are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; doubles each retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// No retries.
    pub const fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The delay before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))].
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << (retry - 1).min(16))
            .min(self.max_delay);
        if ceiling.is_zero() {
            return ceiling;
        }
        rand::thread_rng().gen_range(Duration::ZERO..=ceiling)
    }
}

impl Default for RetryPolicy {
    /// Three attempts, backoff ceilings 50 ms then 100 ms (capped at 1 s).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Whether a call may run twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// A read: retry on any transient error.
    Idempotent,
    /// A procedure call that changes data: retry only on proof that nothing ran.
    Write,
}

impl Idempotency {
    fn may_retry(self, e: &Error) -> bool {
        match self {
            Idempotency::Idempotent => e.is_transient(),
            Idempotency::Write => e.proves_nothing_ran(),
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the attempts are used up.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    kind: Idempotency,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut tried = 1;
    loop {
        match attempt().await {
            Err(e) if tried < policy.max_attempts && kind.may_retry(&e) => {
                tracing::debug!(error = %e, attempt = tried, "retrying a transient error");
                tokio::time::sleep(policy.backoff(tried)).await;
                tried += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn server(number: i32) -> Error {
        crate::error::from_server(number, String::new(), String::new(), 0)
    }

    async fn count_attempts(kind: Idempotency, fail_with: fn() -> Error) -> (u32, bool) {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        };
        let result = run(&policy, kind, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(fail_with())
        })
        .await;
        (calls.load(Ordering::SeqCst), result.is_ok())
    }

    #[tokio::test]
    async fn reads_retry_transient_errors_only() {
        assert_eq!(
            count_attempts(Idempotency::Idempotent, || server(1222)).await,
            (4, false)
        );
        assert_eq!(
            count_attempts(Idempotency::Idempotent, || Error::Timeout).await,
            (4, false)
        );
        assert_eq!(
            count_attempts(Idempotency::Idempotent, || server(547)).await,
            (1, false)
        );
    }

    #[tokio::test]
    async fn writes_retry_only_deadlock_victims() {
        assert_eq!(
            count_attempts(Idempotency::Write, || server(1205)).await,
            (4, false)
        );
        assert_eq!(
            count_attempts(Idempotency::Write, || server(1222)).await,
            (1, false)
        );
        assert_eq!(
            count_attempts(Idempotency::Write, || Error::Timeout).await,
            (1, false)
        );
    }

    #[tokio::test]
    async fn a_success_after_a_failure_is_returned() {
        let calls = AtomicU32::new(0);
        let got = run(&RetryPolicy::default(), Idempotency::Idempotent, || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(server(1205))
            } else {
                Ok(7)
            }
        })
        .await
        .unwrap();
        assert_eq!((got, calls.load(Ordering::SeqCst)), (7, 2));
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let p = RetryPolicy::default();
        for retry in 1..10 {
            let ceiling = (p.base_delay * 2u32.pow(retry - 1)).min(p.max_delay);
            assert!(p.backoff(retry) <= ceiling);
        }
        assert_eq!(RetryPolicy::none().backoff(1), Duration::ZERO);
    }
}
