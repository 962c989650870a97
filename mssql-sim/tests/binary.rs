//! The `mssql-sim` binary: serves the project's scripts from the shell.

mod sim_common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tiberius::{Client, Config};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncWriteCompatExt;

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_the_scripts() {
    let root = sim_common::root();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mssql-sim"))
        .args(["--port", "0", "--password", "Bin-Passw0rd"])
        // Blocking at once (no idle poll) is the other way to serve.
        .args(["--idle-poll-us", "0"])
        .arg("--script-dir")
        .arg(root.join("migrations"))
        .arg("--script-dir")
        .arg(root.join("sql"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("mssql-sim runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    let (host, port) = addr.rsplit_once(':').unwrap();
    let ado =
        format!("server=tcp:{host},{port};user=sa;password=Bin-Passw0rd;encrypt=DANGER_PLAINTEXT");
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let mut c = Client::connect(Config::from_ado_string(&ado).unwrap(), tcp.compat_write())
        .await
        .unwrap();
    let row = c
        .simple_query("SELECT Status FROM dbo.UserLogon WHERE LoginName = N'BOB'")
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<&str, _>(0), Some("Locked"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_failing_script_stops_the_binary_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("mssql-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("V1__bad.sql"),
        "SELECT 1;\nGO\nSELECT * FROM dbo.Missing;\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mssql-sim"))
        .args(["--port", "0", "--script-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("V1__bad.sql:3") && err.contains("Msg 208"),
        "{err}"
    );
}

#[test]
fn bad_options_exit_2() {
    for bad in [
        &["--port", "http"][..],
        &["--idle-poll-us", "-5"],
        &["--db"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mssql-sim"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
