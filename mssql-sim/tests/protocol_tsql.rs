//! FreeTDS `tsql` (Debian's freetds-bin) as a second, independent client.
//! The test fails if tsql is missing: CI installs it.

mod protocol_common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use protocol_common::{start, PASSWORD, USER};

fn tsql(port: u16, password: &str, input: &str) -> Output {
    let mut child = Command::new("tsql")
        .args([
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            USER,
            "-P",
            password,
        ])
        .env("TDSVER", "7.4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("FreeTDS tsql must be installed (apt-get install freetds-bin)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn tsql_logs_in_runs_a_batch_and_sees_an_error() {
    let (server, log) = start();
    let out = tsql(
        server.local_addr().port(),
        PASSWORD,
        "rows 3\ngo\nerror 50123\ngo\ntypes\ngo\nexit\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{stdout}\n{stderr}");
    // The MAX columns make the output long: show its start on failure.
    let all = all.replace(&"m".repeat(10_000), "<nvmax>");
    assert!(stdout.contains("row 2"), "{all}");
    assert!(stdout.contains("(3 rows affected)"), "{all}");
    assert!(
        all.contains("50123") && all.contains("fake error 50123"),
        "{all}"
    );
    // Every type of the result set decodes in FreeTDS too.
    for needle in [
        "Grüße ☃",
        "café",
        "Feb 29 2024 01:45PM",
        "Dec 31 1999 11:59PM",
        "6F9A1952-4021-4E6C-8F1A-001122334455",
        "deadbeef",
    ] {
        assert!(
            all.to_lowercase().contains(&needle.to_lowercase()),
            "{needle} missing in {}",
            all.chars().take(3000).collect::<String>()
        );
    }
    assert_eq!(log.batches.lock().unwrap().len(), 3);
}

#[test]
fn tsql_with_a_wrong_password_is_refused() {
    let (server, log) = start();
    let out = tsql(server.local_addr().port(), "wrong", "rows 1\ngo\nexit\n");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("18456") || all.contains("Login failed"),
        "{all}"
    );
    assert!(log.batches.lock().unwrap().is_empty());
}
