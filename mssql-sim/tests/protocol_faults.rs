//! Fault injection, seen through tiberius.

mod protocol_common;

use std::time::{Duration, Instant};

use protocol_common::{config, connect, connect_with, server_error_code, start, PASSWORD};

async fn rows(client: &mut protocol_common::Client, sql: &str) -> tiberius::Result<usize> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_first_result()
        .await?
        .len())
}

#[tokio::test]
async fn delay_next_reply_delays_one_reply() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    server.faults().delay_next_reply(Duration::from_millis(400));
    let t = Instant::now();
    assert_eq!(rows(&mut client, "rows 1").await.unwrap(), 1);
    assert!(t.elapsed() >= Duration::from_millis(400));
    let t = Instant::now();
    assert_eq!(rows(&mut client, "rows 1").await.unwrap(), 1);
    assert!(t.elapsed() < Duration::from_millis(400), "one-shot");
}

#[tokio::test]
async fn drop_next_response_breaks_only_that_connection() {
    let (server, _) = start();
    let mut victim = connect(&server).await;
    server.faults().drop_next_response();
    let err = rows(&mut victim, "rows 10000").await.expect_err("dropped");
    assert_eq!(
        server_error_code(&err),
        None,
        "an I/O error, not a server error: {err}"
    );
    // A small response is cut too.
    let mut second = connect(&server).await;
    server.faults().drop_next_response();
    assert!(rows(&mut second, "rows 1").await.is_err());
    let mut fresh = connect(&server).await;
    assert_eq!(rows(&mut fresh, "rows 3").await.unwrap(), 3);
}

#[tokio::test]
async fn fail_next_statement_answers_an_error_without_running() {
    let (server, log) = start();
    let mut client = connect(&server).await;
    server.faults().fail_next_statement(1205);
    let err = client.query("echo", &[&1i32]).await.expect_err("fails");
    match &err {
        tiberius::error::Error::Server(t) => assert_eq!((t.code(), t.class()), (1205, 13)),
        other => panic!("{other}"),
    }
    assert!(log.calls.lock().unwrap().is_empty(), "the RPC did not run");
    server.faults().fail_next_statement(547);
    let err = match client.simple_query("rows 1").await {
        Err(e) => e,
        Ok(s) => s.into_results().await.expect_err("fails"),
    };
    match &err {
        tiberius::error::Error::Server(t) => assert_eq!((t.code(), t.class()), (547, 16)),
        other => panic!("{other}"),
    }
    assert_eq!(
        rows(&mut client, "rows 2").await.unwrap(),
        2,
        "one-shot, connection usable"
    );
}

#[tokio::test]
async fn refuse_logins_until_turned_off() {
    let (server, _) = start();
    let mut existing = connect(&server).await;
    server.faults().refuse_logins(true);
    for _ in 0..2 {
        let err = connect_with(config(&server, PASSWORD))
            .await
            .expect_err("refused");
        assert_eq!(server_error_code(&err), Some(18456));
    }
    assert_eq!(
        rows(&mut existing, "rows 1").await.unwrap(),
        1,
        "live sessions go on"
    );
    server.faults().refuse_logins(false);
    connect(&server).await;
}

#[tokio::test]
async fn shutdown_ends_live_sessions_and_stops_accepting() {
    let (server, _) = start();
    let addr = server.local_addr();
    let mut client = connect(&server).await;
    server.shutdown();
    assert!(rows(&mut client, "rows 1").await.is_err());
    assert!(std::net::TcpStream::connect(addr).is_err());
}
