//! The protocol layer against tiberius 0.12.3, the client the project uses.

mod protocol_common;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use mssql_sim::session::RpcTarget;
use mssql_sim::types::{SqlType, Value};
use protocol_common::{
    all_types, config, connect, connect_with, sample_datetime, server_error_code, start, PASSWORD,
};
use tiberius::numeric::Numeric;
use tiberius::{EncryptionLevel, Uuid};

#[tokio::test]
async fn login_succeeds_and_wrong_password_is_18456() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let row = client
        .simple_query("resets")
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i32, _>(0), Some(0));

    let err = connect_with(config(&server, "wrong"))
        .await
        .expect_err("login must fail");
    assert_eq!(server_error_code(&err), Some(18456), "{err}");
}

#[tokio::test]
async fn a_client_that_requires_encryption_gets_a_login_error() {
    let (server, _) = start();
    let mut cfg = config(&server, PASSWORD);
    cfg.encryption(EncryptionLevel::Required);
    let err = connect_with(cfg).await.expect_err("login must fail");
    // A tiberius built with TLS starts a handshake, which the server refuses
    // with a fatal TLS alert; one without TLS sends LOGIN7 anyway and gets a
    // login error that says why.
    let text = err.to_string();
    if server_error_code(&err).is_none() {
        assert!(text.contains("HandshakeFailure"), "{text}");
    } else {
        assert_eq!(server_error_code(&err), Some(18456), "{text}");
        assert!(text.contains("encryption"), "{text}");
    }
}

#[tokio::test]
async fn results_of_every_type_round_trip() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let rows = client
        .simple_query("types")
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let (cols, values) = all_types();
    assert_eq!(
        rows[0]
            .columns()
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>(),
        cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()
    );
    let r = &rows[0];
    assert_eq!(r.get::<bool, _>("bit"), Some(true));
    assert_eq!(r.get::<u8, _>("tiny"), Some(200));
    assert_eq!(r.get::<i16, _>("small"), Some(-12345));
    assert_eq!(r.get::<i32, _>("int"), Some(-2_000_000_000));
    assert_eq!(r.get::<i64, _>("big"), Some(9_000_000_000_000));
    assert_eq!(r.get::<f64, _>("float"), Some(2.5e-10));
    let dec = r.get::<Numeric, _>("dec").unwrap();
    assert_eq!((dec.value(), dec.scale()), (-1_234_567_891, 4));
    assert_eq!(r.get::<&str, _>("nvc"), Some("Grüße ☃"));
    assert_eq!(r.get::<&str, _>("nvmax").map(str::len), Some(10_000));
    assert_eq!(r.get::<&str, _>("vc"), Some("café"));
    assert_eq!(r.get::<NaiveDateTime, _>("dt2"), Some(sample_datetime()));
    let Value::DateTime(legacy) = values[11] else {
        panic!()
    };
    assert_eq!(r.get::<NaiveDateTime, _>("dt"), Some(legacy));
    assert_eq!(
        r.get::<NaiveDate, _>("date"),
        Some(sample_datetime().date())
    );
    assert_eq!(
        r.get::<Uuid, _>("guid"),
        Some(Uuid::parse_str("6f9a1952-4021-4e6c-8f1a-001122334455").unwrap())
    );
    assert_eq!(
        r.get::<&[u8], _>("bin"),
        Some(&[0xDE, 0xAD, 0xBE, 0xEF][..])
    );
    let Value::Bytes(binmax) = &values[15] else {
        panic!()
    };
    assert_eq!(r.get::<&[u8], _>("binmax"), Some(binmax.as_slice()));
    // The second row is all NULL.
    let nulls = &rows[1];
    assert_eq!(nulls.get::<bool, _>("bit"), None);
    assert_eq!(nulls.get::<i64, _>("big"), None);
    assert_eq!(nulls.get::<&str, _>("nvmax"), None);
    assert_eq!(nulls.get::<NaiveDateTime, _>("dt"), None);
    assert_eq!(nulls.get::<Uuid, _>("guid"), None);
    assert_eq!(nulls.get::<&[u8], _>("binmax"), None);
}

#[tokio::test]
async fn parameters_of_every_type_reach_the_engine_and_echo_back() {
    let (server, log) = start();
    let mut client = connect(&server).await;
    let long = "L".repeat(6000); // > packet size once UTF-16 encoded
    let blob: Vec<u8> = (0..9000u32).map(|i| (i * 7) as u8).collect();
    let uuid = Uuid::parse_str("01234567-89ab-cdef-0123-456789abcdef").unwrap();
    let time = NaiveTime::from_hms_micro_opt(8, 30, 15, 250_000).unwrap();
    let none_str: Option<&str> = None;
    let none_int: Option<i32> = None;
    let row = client
        .query(
            "echo",
            &[
                &true,
                &7u8,
                &-3i16,
                &42i32,
                &-9_000_000_000i64,
                &1.25f32,
                &-2.5f64,
                &"short ☃",
                &long.as_str(),
                &Numeric::new_with_scale(-123_456, 3),
                &sample_datetime(),
                &sample_datetime().date(),
                &time,
                &uuid,
                &blob.as_slice(),
                &none_str,
                &none_int,
            ],
        )
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<bool, _>(0), Some(true));
    assert_eq!(row.get::<u8, _>(1), Some(7));
    assert_eq!(row.get::<i16, _>(2), Some(-3));
    assert_eq!(row.get::<i32, _>(3), Some(42));
    assert_eq!(row.get::<i64, _>(4), Some(-9_000_000_000));
    assert_eq!(row.get::<f64, _>(5), Some(1.25));
    assert_eq!(row.get::<f64, _>(6), Some(-2.5));
    assert_eq!(row.get::<&str, _>(7), Some("short ☃"));
    assert_eq!(row.get::<&str, _>(8), Some(long.as_str()));
    let n = row.get::<Numeric, _>(9).unwrap();
    assert_eq!((n.value(), n.scale()), (-123_456, 3));
    assert_eq!(row.get::<NaiveDateTime, _>(10), Some(sample_datetime()));
    assert_eq!(row.get::<NaiveDate, _>(11), Some(sample_datetime().date()));
    let t = row.get::<NaiveDateTime, _>(12).unwrap();
    assert_eq!(
        (t.date(), t.time()),
        (NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), time)
    );
    assert_eq!(row.get::<Uuid, _>(13), Some(uuid));
    assert_eq!(row.get::<&[u8], _>(14), Some(blob.as_slice()));
    assert_eq!(row.get::<&str, _>(15), None);
    assert_eq!(row.get::<&str, _>(16), None);

    let calls = log.calls.lock().unwrap();
    let call = calls.last().unwrap();
    assert_eq!(call.target, RpcTarget::ExecuteSql);
    let p = &call.params;
    assert_eq!(p[0].value, Value::Str("echo".into()));
    assert!(matches!(&p[1].value, Value::Str(decl) if decl.starts_with("@P1 bit")));
    let types: Vec<Option<SqlType>> = p[2..].iter().map(|p| p.ty.clone()).collect();
    assert_eq!(types[0], Some(SqlType::Bit));
    assert_eq!(types[1], Some(SqlType::TinyInt));
    assert_eq!(types[2], Some(SqlType::SmallInt));
    assert_eq!(types[4], Some(SqlType::BigInt));
    assert!(matches!(types[9], Some(SqlType::Decimal { scale: 3, .. })));
    assert_eq!(types[10], Some(SqlType::DateTime2(7)));
    assert_eq!(types[11], Some(SqlType::Date));
    assert_eq!(types[13], Some(SqlType::UniqueIdentifier));
    assert_eq!(types[15], None, "tiberius sends a NULL string as NULLTYPE");
    assert_eq!(p[2 + 15].value, Value::Null);
    assert_eq!(
        (&types[16], &p[2 + 16].value),
        (&None, &Value::Null),
        "and any NULL"
    );
    assert_eq!(p[2].name, "@P1");
}

#[tokio::test]
async fn several_statements_counts_and_large_results() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let results = client
        .simple_query("rows 3; nocount; big 70000; rows 5000")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].len(), 3);
    assert_eq!(results[1][0].get::<&str, _>(0).map(str::len), Some(70_000));
    assert_eq!(results[2].len(), 5000);
    assert_eq!(results[2][4999].get::<&str, _>("name"), Some("row 4999"));

    let counts = client.execute("rows 4; rows 2", &[]).await.unwrap();
    assert_eq!(counts.rows_affected(), &[4, 2]);
    // The connection is still in step afterwards.
    let again = client
        .simple_query("rows 1")
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
}

#[tokio::test]
async fn a_million_rows_stream() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let mut stream = client.simple_query("rows 1000000").await.unwrap();
    let mut n = 0u64;
    use futures_util::TryStreamExt;
    while let Some(item) = stream.try_next().await.unwrap() {
        if let Some(row) = item.into_row() {
            assert_eq!(row.get::<i64, _>(0), Some(n as i64));
            n += 1;
        }
    }
    assert_eq!(n, 1_000_000);
}

/// The error a batch ends with, whether tiberius reports it at once or
/// while reading the results.
async fn batch_error(client: &mut protocol_common::Client, sql: &str) -> tiberius::error::Error {
    match client.simple_query(sql).await {
        Err(e) => e,
        Ok(stream) => stream
            .into_results()
            .await
            .expect_err("the batch must fail"),
    }
}

#[tokio::test]
async fn server_errors_reach_tiberius_with_their_number() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let err = batch_error(&mut client, "error 2627").await;
    assert_eq!(server_error_code(&err), Some(2627), "{err}");
    let err = client.execute("error 50001", &[]).await.expect_err("error");
    assert_eq!(server_error_code(&err), Some(50001), "{err}");
    let err = batch_error(&mut client, "rows 1; bogus").await;
    assert_eq!(server_error_code(&err), Some(102));
    // Still usable.
    assert_eq!(
        client
            .simple_query("rows 2")
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn return_status_and_output_values_are_consumed_and_rows_after_them_arrive() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let rows = client
        .query("outputs", &[&5i32, &"x"])
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<i32, _>("after"), Some(42));
}

#[tokio::test]
async fn info_messages_do_not_disturb_results() {
    let (server, _) = start();
    let mut client = connect(&server).await;
    let results = client
        .simple_query("info; rows 2")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(results.iter().map(Vec::len).sum::<usize>(), 2);
}

#[tokio::test]
async fn many_concurrent_sessions() {
    let (server, _) = start();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let cfg = config(&server, PASSWORD);
        tasks.push(tokio::spawn(async move {
            let mut client = connect_with(cfg).await.unwrap();
            for _ in 0..20 {
                let row = client
                    .query("echo", &[&i])
                    .await
                    .unwrap()
                    .into_row()
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(row.get::<i32, _>(0), Some(i));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
