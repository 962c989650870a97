//! Requests tiberius never sends, checked at the byte level with a raw client.

mod protocol_common;

use std::io::Write;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use chrono::NaiveDate;
use mssql_sim::session::RpcTarget;
use mssql_sim::types::{SqlType, Value};
use protocol_common::raw::{self, param, RawClient, Tokens};
use protocol_common::{start, PASSWORD, USER};

const DONE_MORE: u16 = 0x01;
const DONE_ERROR: u16 = 0x02;
const DONE_ATTN: u16 = 0x20;

fn login(server: &mssql_sim::server::ServerHandle) -> RawClient {
    let (client, tokens) = RawClient::login(server.local_addr(), USER, PASSWORD).unwrap();
    assert!(tokens.login_ack, "{tokens:?}");
    assert_eq!(tokens.infos, vec![5701]);
    let types: Vec<u8> = tokens.env_changes.iter().map(|e| e.0).collect();
    assert_eq!(types, vec![1, 7, 2, 4]);
    client
}

#[test]
fn attention_cancels_a_running_request() {
    let (server, _) = start();
    let mut c = login(&server);
    c.send(raw::SQL_BATCH, 0, &raw::batch("slow")).unwrap();
    thread::sleep(Duration::from_millis(50));
    c.send(raw::ATTENTION, 0, &[]).unwrap();
    let response = c.read_message().unwrap();
    assert_eq!(Tokens::final_done_status(&response) & DONE_ATTN, DONE_ATTN);
    assert!(response.len() < 2000 * 10, "stopped early");
    // In step afterwards: the attention was answered exactly once.
    let t = c.request(raw::SQL_BATCH, &raw::batch("nocount")).unwrap();
    assert_eq!(t.dones, vec![(0xFD, 0, 0)]);
}

#[test]
fn attention_while_idle_is_acknowledged() {
    let (server, _) = start();
    let mut c = login(&server);
    let t = c.request(raw::ATTENTION, &[]).unwrap();
    assert_eq!(t.dones, vec![(0xFD, DONE_ATTN, 0)]);
    let t = c.request(raw::SQL_BATCH, &raw::batch("nocount")).unwrap();
    assert_eq!(t.dones, vec![(0xFD, 0, 0)]);
}

#[test]
fn transaction_manager_requests() {
    let (server, _) = start();
    let mut c = login(&server);
    let descriptor = 0x1122_3344_5566_7788u64.to_le_bytes();
    for (tm, env, new, old) in [
        (5u16, 8u8, &descriptor[..], &[][..]),
        (7, 9, &[], &descriptor),
        (8, 10, &[], &descriptor),
    ] {
        let mut p = raw::all_headers();
        p.extend_from_slice(&tm.to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        let t = c.request(raw::TRANSACTION, &p).unwrap();
        let mut expected = vec![new.len() as u8];
        expected.extend_from_slice(new);
        expected.push(old.len() as u8);
        expected.extend_from_slice(old);
        assert_eq!(t.env_changes, vec![(env, expected)]);
        assert_eq!(t.dones, vec![(0xFD, 0, 0)]);
    }
    let mut p = raw::all_headers();
    p.extend_from_slice(&6u16.to_le_bytes());
    let t = c.request(raw::TRANSACTION, &p).unwrap();
    assert_eq!(t.errors, vec![40517], "promote is not supported");
}

fn int_param(name: &str, output: bool, v: i32) -> Vec<u8> {
    let mut tv = vec![0x26, 4, 4];
    tv.extend_from_slice(&v.to_le_bytes());
    param(name, output, &tv)
}

#[test]
fn batched_named_rpcs_with_output_parameters() {
    let (server, log) = start();
    let mut c = login(&server);
    let mut params = int_param("@in", false, 1);
    params.extend(int_param("@out", true, 99));
    let call = raw::rpc_by_name("dbo.Unlock", &params);
    let mut p = raw::all_headers();
    p.extend(&call);
    p.push(0xFF);
    p.extend(&call);
    p.push(0x80);
    p.extend(raw::rpc_by_name("dbo.Other", &[]));
    c.send(raw::RPC, 0, &p).unwrap();
    let response = c.read_message().unwrap();
    let t = Tokens::parse(&response);
    assert_eq!(t.return_status, Some(7));
    assert_eq!(t.return_values[0], (1, "@out".to_string(), Some(99)));
    assert_eq!(
        Tokens::final_done_status(&response),
        0,
        "the last DONE has no MORE bit"
    );
    let calls = log.calls.lock().unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].target, RpcTarget::Named("dbo.Unlock".into()));
    assert_eq!(calls[2].target, RpcTarget::Named("dbo.Other".into()));
    assert!(calls[0].params[1].output && !calls[0].params[0].output);
}

#[test]
fn every_done_but_the_last_carries_more() {
    let (server, _) = start();
    let mut c = login(&server);
    let t = c
        .request(raw::SQL_BATCH, &raw::batch("nocount; nocount; error 50000"))
        .unwrap();
    assert_eq!(
        t.dones,
        vec![
            (0xFD, DONE_MORE, 0),
            (0xFD, DONE_MORE, 0),
            (0xFD, DONE_ERROR, 0)
        ]
    );
    assert_eq!(t.errors, vec![50000]);
}

#[test]
fn types_tiberius_never_sends_decode() {
    let (server, log) = start();
    let mut c = login(&server);
    let collation = [0x09, 0x04, 0xD0, 0x00, 0x34];
    let mut vc_max = vec![0xA7, 0xFF, 0xFF];
    vc_max.extend_from_slice(&collation);
    vc_max.extend_from_slice(&5u64.to_le_bytes());
    vc_max.extend_from_slice(&[
        2, 0, 0, 0, b'a', b'b', 3, 0, 0, 0, b'c', b'd', 0xE9, 0, 0, 0, 0,
    ]);
    let mut bigchar = vec![0xAF, 4, 0];
    bigchar.extend_from_slice(&collation);
    bigchar.extend_from_slice(&[4, 0, b'x', b'y', b' ', b' ']);
    let mut nchar = vec![0xEF, 4, 0];
    nchar.extend_from_slice(&collation);
    nchar.extend_from_slice(&[0xFF, 0xFF]);
    // 2000-01-02 03:04:05: 36525 days after 1900, 11045 s * 300 ticks.
    let mut datetime = vec![0x3D];
    datetime.extend_from_slice(&36525i32.to_le_bytes());
    datetime.extend_from_slice(&(11_045u32 * 300).to_le_bytes());
    let cases: Vec<(Vec<u8>, Option<SqlType>, Value)> = vec![
        (vec![0x30, 250], Some(SqlType::TinyInt), Value::Int(250)),
        (
            vec![0x34, 0x00, 0x80],
            Some(SqlType::SmallInt),
            Value::Int(-32768),
        ),
        (
            vec![0x38, 0xFE, 0xFF, 0xFF, 0xFF],
            Some(SqlType::Int),
            Value::Int(-2),
        ),
        (
            vec![0x7F, 1, 0, 0, 0, 0, 0, 0, 0x80],
            Some(SqlType::BigInt),
            Value::Int(i64::MIN + 1),
        ),
        (vec![0x32, 0], Some(SqlType::Bit), Value::Bit(false)),
        (
            vec![0x3E, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F],
            Some(SqlType::Float),
            Value::Float(1.0),
        ),
        (vec![0x6D, 4, 0], Some(SqlType::Float), Value::Null),
        (
            datetime,
            Some(SqlType::DateTime),
            Value::DateTime(
                NaiveDate::from_ymd_opt(2000, 1, 2)
                    .unwrap()
                    .and_hms_opt(3, 4, 5)
                    .unwrap(),
            ),
        ),
        (vec![0x6F, 8, 0], Some(SqlType::DateTime), Value::Null),
        (
            vec![0x6C, 5, 9, 2, 5, 0, 0x39, 0x30, 0, 0],
            Some(SqlType::Decimal {
                precision: 9,
                scale: 2,
            }),
            Value::Decimal(-12345, 2),
        ),
        (
            vec![0x24, 16, 0],
            Some(SqlType::UniqueIdentifier),
            Value::Null,
        ),
        (vec![0x28, 0], Some(SqlType::Date), Value::Null),
        (
            vec![0x29, 0, 3, 0x10, 0x0E, 0x00],
            Some(SqlType::DateTime2(0)),
            Value::DateTime(
                NaiveDate::from_ymd_opt(1900, 1, 1)
                    .unwrap()
                    .and_hms_opt(1, 0, 0)
                    .unwrap(),
            ),
        ),
        (
            vec![0xAD, 2, 0, 2, 0, 1, 2],
            Some(SqlType::VarBinary(Some(2))),
            Value::Bytes(vec![1, 2]),
        ),
        (
            vc_max,
            Some(SqlType::VarChar(None)),
            Value::Str("abcdé".into()),
        ),
        (
            bigchar,
            Some(SqlType::VarChar(Some(4))),
            Value::Str("xy  ".into()),
        ),
        (nchar, Some(SqlType::NVarChar(Some(2))), Value::Null),
        (vec![0x1F], None, Value::Null),
    ];
    let mut params = Vec::new();
    for (i, (bytes, _, _)) in cases.iter().enumerate() {
        params.extend(param(&format!("@p{i}"), false, bytes));
    }
    let mut p = raw::all_headers();
    p.extend(raw::rpc_by_name("dbo.Types", &params));
    let t = c.request(raw::RPC, &p).unwrap();
    assert!(t.errors.is_empty(), "{t:?}");
    let calls = log.calls.lock().unwrap();
    let got: Vec<(Option<SqlType>, Value)> = calls[0]
        .params
        .iter()
        .map(|p| (p.ty.clone(), p.value.clone()))
        .collect();
    let expected: Vec<(Option<SqlType>, Value)> =
        cases.into_iter().map(|(_, t, v)| (t, v)).collect();
    assert_eq!(got, expected);
}

#[test]
fn unsupported_parameter_type_is_refused_but_the_connection_stays() {
    let (server, _) = start();
    let mut c = login(&server);
    let mut p = raw::all_headers();
    p.extend(raw::rpc_by_name(
        "dbo.P",
        &param("@m", false, &[0x6E, 8, 0]),
    ));
    let t = c.request(raw::RPC, &p).unwrap();
    assert_eq!(t.errors, vec![40517]);
    let t = c.request(raw::SQL_BATCH, &raw::batch("nocount")).unwrap();
    assert_eq!(t.dones, vec![(0xFD, 0, 0)]);
}

#[test]
fn reset_connection_bit_resets_the_session() {
    let (server, log) = start();
    let mut c = login(&server);
    c.send(raw::SQL_BATCH, 0x08, &raw::batch("nocount"))
        .unwrap();
    c.read_message().unwrap();
    assert_eq!(log.resets.load(Ordering::SeqCst), 1);
    c.request(raw::SQL_BATCH, &raw::batch("nocount")).unwrap();
    assert_eq!(log.resets.load(Ordering::SeqCst), 1);
}

#[test]
fn small_negotiated_packets_both_ways() {
    let (server, log) = start();
    let mut c = RawClient::connect(server.local_addr()).unwrap();
    c.send(raw::PRELOGIN, 0, &raw::prelogin(0x00)).unwrap();
    c.read_message().unwrap();
    c.send(raw::LOGIN7, 0, &raw::login7(USER, PASSWORD, "simdb", 512))
        .unwrap();
    let t = Tokens::parse(&c.read_message().unwrap());
    let size_change = t.env_changes.iter().find(|e| e.0 == 4).unwrap();
    assert_eq!(&size_change.1[..7], &[3, b'5', 0, b'1', 0, b'2', 0]);
    c.packet_size = 512;
    let sql = format!("rows 300; {}", " ".repeat(3000));
    c.send(raw::SQL_BATCH, 0, &raw::batch(&sql)).unwrap();
    let response = c.read_message().unwrap(); // asserts every packet <= 512 bytes
    assert!(response.len() > 512 * 10);
    assert_eq!(log.batches.lock().unwrap()[0], sql);
}

fn assert_closed_with_error(c: &mut RawClient, number: i32) {
    let all = c.read_to_close();
    assert!(all.len() > 8, "an error response before closing");
    let t = Tokens::parse(&all[8..]);
    assert_eq!(t.errors, vec![number], "{t:?}");
}

#[test]
fn bad_input_gets_an_error_and_a_closed_connection() {
    let (server, _) = start();
    // Unknown packet type after login.
    let mut c = login(&server);
    c.send(0x42, 0, b"junk").unwrap();
    assert_closed_with_error(&mut c, 4002);
    // Truncated LOGIN7.
    let mut c = RawClient::connect(server.local_addr()).unwrap();
    let login7 = raw::login7(USER, PASSWORD, "", 4096);
    c.send(raw::LOGIN7, 0, &login7[..login7.len() - 5]).unwrap();
    assert_closed_with_error(&mut c, 4002);
    // A packet length shorter than the header.
    let mut c = login(&server);
    c.stream.write_all(&[1, 1, 0, 3, 0, 0, 0, 0]).unwrap();
    assert_closed_with_error(&mut c, 4002);
    // Malformed RPC.
    let mut c = login(&server);
    let mut p = raw::all_headers();
    p.extend(raw::rpc_by_name(
        "dbo.P",
        &param("@x", false, &[0x26, 4, 9]),
    ));
    c.send(raw::RPC, 0, &p).unwrap();
    assert_closed_with_error(&mut c, 4002);
    // Wrong password over the raw client too.
    let (mut c, t) = RawClient::login(server.local_addr(), USER, "nope").unwrap();
    assert_eq!(t.errors, vec![18456]);
    assert_eq!(t.dones, vec![(0xFD, DONE_ERROR, 0)]);
    assert!(c.read_to_close().is_empty());
}

#[test]
fn oversized_request_is_refused() {
    let (server, _) = start();
    let mut c = login(&server);
    let mut writer = c.stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let mut packet = vec![0u8; 32_000];
        packet[..8].copy_from_slice(&[1, 0, 0x7D, 0x00, 0, 0, 0, 0]);
        for _ in 0..(70 << 20) / 32_000 {
            if writer.write_all(&packet).is_err() {
                return true;
            }
        }
        false
    });
    let response = c.read_message().unwrap();
    assert_eq!(Tokens::parse(&response).errors, vec![4002]);
    assert!(sender.join().unwrap(), "the server stopped reading");
}
