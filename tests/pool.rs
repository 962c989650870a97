//! The pool under faults: broken connections are never handed out again.

mod common;

use std::time::Duration;

use common::{sim_with, test_config, TestDb};
use futures_util::StreamExt;
use logondb::{CheckoutMode, Error, LogonDb, RetryPolicy};

fn one_connection(retry: RetryPolicy) -> impl FnOnce(logondb::Config) -> logondb::Config {
    move |c| {
        c.pool_size(1)
            .command_timeout(Duration::from_millis(500))
            .retry(retry)
    }
}

#[tokio::test]
async fn a_timed_out_call_discards_its_connection() {
    let t = sim_with(one_connection(RetryPolicy::none())).await;
    t.faults().delay_next_reply(Duration::from_secs(2));
    assert!(matches!(
        t.db.get_login_by_name("alice", false).await,
        Err(Error::Timeout)
    ));
    // The late reply of the abandoned call must not be read as this call's answer.
    let rows = t.db.get_login_by_name("bob", false).await.unwrap();
    assert_eq!(rows[0].login_name, "bob");
    assert_eq!(t.db.pool_stats().connections_closed_broken, 1);
}

#[tokio::test]
async fn reads_are_retried_after_a_timeout() {
    let t = sim_with(one_connection(RetryPolicy::default())).await;
    t.faults().delay_next_reply(Duration::from_secs(2));
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
    assert_eq!(t.db.pool_stats().connections_closed_broken, 1);
}

#[tokio::test]
async fn a_dropped_response_discards_its_connection() {
    let t = sim_with(one_connection(RetryPolicy::none())).await;
    t.faults().drop_next_response();
    let err = t.db.get_login_by_name("alice", false).await.unwrap_err();
    assert!(matches!(err, Error::Io(_) | Error::Protocol(_)), "{err:?}");
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
    assert_eq!(t.db.pool_stats().connections_closed_broken, 1);
}

#[tokio::test]
async fn server_errors_keep_the_connection() {
    let t = sim_with(one_connection(RetryPolicy::none())).await;
    t.faults().fail_next_statement(547);
    match t.db.get_login_by_name("alice", false).await {
        Err(Error::Server { number: 547, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
    let stats = t.db.pool_stats();
    assert_eq!(
        (stats.connections_closed_broken, stats.connections_created),
        (0, 0)
    );
}

/// How many `dbo.LogonAudit` rows have `action` (each procedure call writes exactly one).
async fn audit_rows(t: &TestDb, action: &str) -> i32 {
    t.query_row(&format!(
        "SELECT COUNT(*) FROM dbo.LogonAudit WHERE Action = N'{action}'"
    ))
    .await
    .get::<i32, _>(0)
    .expect("a count")
}

#[tokio::test]
async fn writes_are_retried_only_for_deadlock_victims() {
    let t = sim_with(one_connection(RetryPolicy::default())).await;
    assert_eq!(audit_rows(&t, "Unlock").await, 0);
    t.faults().fail_next_statement(1205);
    t.db.unlock("bob").await.unwrap();
    // The deadlock victim changed nothing and the retry ran once: one Unlock, not two.
    assert_eq!(audit_rows(&t, "Unlock").await, 1);
    t.faults().fail_next_statement(1222);
    match t.db.unlock("bob").await {
        Err(Error::Server { number: 1222, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(audit_rows(&t, "Unlock").await, 1);
    // A read retries the lock timeout.
    t.faults().fail_next_statement(1222);
    assert_eq!(t.db.get_login_by_name("bob", false).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_abandoned_stream_discards_its_connection() {
    // More rows than the stream buffers, so the sweep is still mid-response.
    let sim = common::start_sim_with_script(Some(&common::bulk_logons(500)));
    let t = common::connect_sim(sim, one_connection(RetryPolicy::none())).await;
    let since = chrono::Utc::now().naive_utc() + chrono::Duration::days(1);
    let mut stream = t.db.stream_logons_without_login_since(since, None);
    assert!(stream.next().await.unwrap().is_ok());
    drop(stream);
    // The pool's only connection comes back unusable and is replaced.
    for _ in 0..3 {
        assert_eq!(
            t.db.get_login_by_name("alice", false).await.unwrap().len(),
            1
        );
    }
    assert_eq!(t.db.pool_stats().connections_closed_broken, 1);
}

#[tokio::test]
async fn checked_checkout_runs_select_1() {
    let t =
        sim_with(|c| one_connection(RetryPolicy::none())(c).checkout(CheckoutMode::Checked)).await;
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
    assert_eq!(t.db.pool_stats().connections_closed_invalid, 0);
    // The idle connection goes bad behind the pool's back: its next request gets half an
    // answer and a closed socket. The checkout's SELECT 1 is that request, so the call
    // (with no retries) still succeeds, on a new connection; trusting checkout would have
    // handed the bad one out and failed the call.
    t.faults().drop_next_response();
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
    let stats = t.db.pool_stats();
    assert_eq!(stats.connections_closed_invalid, 1);
    assert_eq!(stats.connections_closed_broken, 0);
    assert_eq!(stats.connections_created, 1);
    assert_eq!(stats.max_size, 1);
}

#[tokio::test]
async fn a_refused_login_fails_connect_with_the_server_error() {
    let sim = common::start_sim();
    sim.faults().refuse_logins(true);
    match LogonDb::connect(test_config(&sim.ado_connection_string())).await {
        Err(Error::Server { number: 18456, .. }) => {}
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("connected"),
    }
}

#[tokio::test]
async fn many_concurrent_reads_share_the_pool() {
    let t = sim_with(|c| c.pool_size(4)).await;
    let calls = (0..64).map(|_| t.db.get_login_by_name("alice", false));
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.unwrap().len(), 1);
    }
    let stats = t.db.pool_stats();
    assert!(stats.connections <= 4, "{stats:?}");
    assert_eq!(stats.checkouts, 64);
}
