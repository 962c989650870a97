//! The `logondb` binary end to end, against the embedded simulator seeded with the demo
//! data of sql/seed (alice Normal, bob Locked, carol New, frank with a second logon
//! frank.api, gone with a deleted user, admin.ann and the deleted admin.old; every
//! password is `Demo-Passw0rd!`).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const DEMO_PASSWORD: &str = "Demo-Passw0rd!";
const BIN: &str = env!("CARGO_BIN_EXE_logondb");

/// The binary, without any target from the caller's environment.
fn logondb() -> Command {
    let mut command = Command::new(BIN);
    command.env_remove("LOGONDB_URL");
    command
}

/// An embedded database kept in a file of its own, so commands see each other's writes.
struct Db {
    _dir: TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logons.db");
        Db { _dir: dir, path }
    }

    /// `logondb --embedded-db PATH ARGS...`.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut command = logondb();
        command.arg("--embedded-db").arg(&self.path).args(args);
        command
    }

    /// The JSON rows that `ARGS --format json` prints, after checking it succeeded.
    fn json(&self, args: &[&str]) -> Vec<Value> {
        let output = self.cmd(args).args(["--format", "json"]).assert().success();
        json_lines(&output.get_output().stdout)
    }

    /// The one logon called `name`.
    fn logon(&self, name: &str) -> Value {
        let mut rows = self.json(&["get", "--logon-name", name]);
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        rows.remove(0)
    }
}

/// `--embedded ARGS...`: an in-memory database for one command.
fn embedded(args: &[&str]) -> Command {
    let mut command = logondb();
    command.arg("--embedded").args(args);
    command
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

fn names(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|row| row["LoginName"].as_str().unwrap())
        .collect()
}

fn int(row: &Value, field: &str) -> i64 {
    row[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} in {row}"))
}

// ---- reads ----

#[test]
fn get_finds_a_login_name_in_any_case() {
    embedded(&["get", "--logon-name", "ALICE"])
        .assert()
        .success()
        .stdout(predicate::str::contains("LoginName"))
        .stdout(predicate::str::contains("alice"))
        .stdout(predicate::str::contains("bob").not());
}

#[test]
fn get_of_an_unknown_name_exits_3_and_names_it() {
    embedded(&["get", "--logon-name", "nobody"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("nobody"));
}

#[test]
fn get_by_user_id_and_by_logon_id_find_the_same_logon() {
    let db = Db::new();
    let alice = db.logon("alice");
    let user_id = int(&alice, "UserID").to_string();
    let logon_id = int(&alice, "UserLogonID").to_string();

    assert_eq!(names(&db.json(&["get", "--user-id", &user_id])), ["alice"]);
    assert_eq!(
        db.json(&["by-logon-id", "--user-logon-id", &logon_id]),
        [alice]
    );
    db.cmd(&["by-logon-id", "--user-logon-id", "987654"])
        .assert()
        .code(3);
}

#[test]
fn deleted_logons_show_only_with_include_deleted() {
    let db = Db::new();
    db.cmd(&["get", "--logon-name", "gone"]).assert().code(3);
    let gone = db.json(&["get", "--logon-name", "gone", "--include-deleted"]);
    assert_eq!(names(&gone), ["gone"]);
    let user_id = int(&gone[0], "UserID").to_string();
    assert!(db.json(&["from-user-ids", &user_id]).is_empty());
    assert_eq!(
        names(&db.json(&["from-user-ids", &user_id, "--include-deleted"])),
        ["gone"]
    );
    db.cmd(&["get", "--admin", "--logon-name", "admin.old"])
        .assert()
        .code(3);
    let admins = db.json(&[
        "get",
        "--admin",
        "--logon-name",
        "admin.old",
        "--include-deleted",
    ]);
    assert_eq!(names(&admins), ["admin.old"]);
    assert!(admins[0]["DeletedDate"].is_string(), "{admins:?}");
}

#[test]
fn admin_logons_have_their_own_rows_and_ids() {
    let db = Db::new();
    let ann = db.json(&["get", "--admin", "--logon-name", "Admin.Ann"]);
    assert_eq!(names(&ann), ["admin.ann"]);
    assert!(ann[0].get("AdminUserLogonID").is_some(), "{ann:?}");
    assert!(ann[0].get("GroupID").is_some(), "{ann:?}");
    let id = int(&ann[0], "AdminUserLogonID").to_string();
    assert_eq!(
        db.json(&["by-logon-id", "--admin", "--user-logon-id", &id]),
        ann
    );
    // An admin is not an end user.
    db.cmd(&["get", "--logon-name", "admin.ann"])
        .assert()
        .code(3);
}

#[test]
fn associated_lists_every_logon_of_the_user() {
    let db = Db::new();
    let user_id = int(&db.logon("frank"), "UserID").to_string();
    let mut found = names(&db.json(&["associated", "--user-id", &user_id]))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    found.sort();
    assert_eq!(found, ["frank", "frank.api"]);
    db.cmd(&["associated", "--user-id", "987654"])
        .assert()
        .code(3);
}

#[test]
fn from_user_ids_reads_arguments_a_file_and_stdin_alike() {
    let db = Db::new();
    let alice = int(&db.logon("alice"), "UserID").to_string();
    let bob = int(&db.logon("bob"), "UserID").to_string();
    let mut expected = vec!["alice".to_owned(), "bob".to_owned()];
    expected.sort();
    let sorted = |rows: Vec<Value>| {
        let mut found: Vec<String> = names(&rows).into_iter().map(str::to_owned).collect();
        found.sort();
        found
    };

    assert_eq!(sorted(db.json(&["from-user-ids", &alice, &bob])), expected);

    let file = db._dir.path().join("ids.txt");
    std::fs::write(&file, format!("{alice},\n{bob}\n")).unwrap();
    assert_eq!(
        sorted(db.json(&["from-user-ids", "--file", file.to_str().unwrap()])),
        expected
    );

    let output = db
        .cmd(&["--format", "json", "from-user-ids"])
        .write_stdin(format!("{alice} {bob}\n"))
        .assert()
        .success();
    assert_eq!(sorted(json_lines(&output.get_output().stdout)), expected);

    db.cmd(&["from-user-ids"])
        .write_stdin("1 two\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"two\""));
}

#[test]
fn inactive_since_2030_lists_the_seeded_logons_as_csv() {
    let output = embedded(&["inactive-since", "--date", "2030-01-01", "--format", "csv"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], ["UserLogonID", "UserID", "LoginName"]);
    assert!(header.contains(&"Status") && header.contains(&"LastLogon"));
    assert!(!header.contains(&"UserPassword"), "{header:?}");
    let login = header.iter().position(|&h| h == "LoginName").unwrap();
    let last_logon = header.iter().position(|&h| h == "LastLogon").unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    let found: Vec<&str> = rows.iter().map(|row| row[login]).collect();
    for name in [
        "alice",
        "bob",
        "carol",
        "dave",
        "frank",
        "frank.api",
        "oscar",
    ] {
        assert!(found.contains(&name), "{name} missing from {found:?}");
    }
    // ISO 8601 dates; carol never logged on, so her LastLogon is empty.
    let alice = &rows[found.iter().position(|&n| n == "alice").unwrap()];
    assert!(
        chrono::NaiveDateTime::parse_from_str(alice[last_logon], "%Y-%m-%dT%H:%M:%S%.f").is_ok(),
        "{}",
        alice[last_logon]
    );
    let carol = &rows[found.iter().position(|&n| n == "carol").unwrap()];
    assert_eq!(carol[last_logon], "");
    assert!(!stdout.contains("$argon2"));
}

#[test]
fn inactive_since_filters_by_status_and_refuses_an_unknown_one() {
    let output = embedded(&[
        "--format",
        "json",
        "inactive-since",
        "--date",
        "2030-01-01",
        "--status",
        "Locked",
    ])
    .assert()
    .success();
    assert_eq!(names(&json_lines(&output.get_output().stdout)), ["bob"]);

    embedded(&[
        "inactive-since",
        "--date",
        "2030-01-01",
        "--status",
        "Sleeping",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("Sleeping"));
    embedded(&["inactive-since", "--date", "01/01/2030"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--date"));
}

#[test]
fn active_since_pages_newest_first() {
    let db = Db::new();
    let first = db.json(&["active-since", "--days", "30", "--return-count", "2"]);
    assert_eq!(names(&first), ["alice", "frank"]);
    let second = db.json(&[
        "active-since",
        "--days",
        "30",
        "--return-count",
        "2",
        "--page-number",
        "2",
    ]);
    assert_eq!(names(&second), ["bob"]);
}

#[test]
fn active_since_with_return_count_0_exits_2_naming_the_field() {
    embedded(&["active-since", "--days", "30", "--return-count", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("return_count"));
}

// ---- writes ----

#[test]
fn unlock_then_get_in_the_same_file_shows_normal() {
    let db = Db::new();
    assert_eq!(db.logon("bob")["Status"], "Locked");
    db.cmd(&["unlock", "--logon-name", "bob"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unlocked"));
    let bob = db.logon("bob");
    assert_eq!(bob["Status"], "Normal");
    assert_eq!(bob["NumInvalidAttempts"], 0);
    db.cmd(&["get", "--logon-name", "bob"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Normal"));
}

#[test]
fn unlock_of_an_unknown_name_exits_3() {
    embedded(&["unlock", "--logon-name", "nobody"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("nobody"));
}

#[test]
fn authenticate_accepts_the_demo_password_and_rejects_the_rest_with_5() {
    let db = Db::new();
    let output = db
        .cmd(&["--format", "json", "authenticate", "--logon-name", "alice"])
        .write_stdin(format!("{DEMO_PASSWORD}\n"))
        .assert()
        .success();
    assert_eq!(names(&json_lines(&output.get_output().stdout)), ["alice"]);

    db.cmd(&["authenticate", "--logon-name", "alice"])
        .write_stdin("Wrong-Passw0rd!\n")
        .assert()
        .code(5)
        .stdout("")
        .stderr(predicate::str::contains("BadCredentials"));
    db.cmd(&["authenticate", "--logon-name", "bob"])
        .write_stdin(format!("{DEMO_PASSWORD}\n"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("Locked"));
    db.cmd(&["authenticate", "--logon-name", "nobody"])
        .write_stdin(format!("{DEMO_PASSWORD}\n"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("BadCredentials"));
    assert_eq!(db.logon("alice")["NumInvalidAttempts"], 1);
}

#[test]
fn a_password_flag_works_but_warns_about_the_shell_history() {
    embedded(&[
        "authenticate",
        "--logon-name",
        "alice",
        "--password",
        DEMO_PASSWORD,
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains("shell history"));
}

#[test]
fn reset_password_prints_a_generated_password_that_authenticates() {
    let db = Db::new();
    let rows = db.json(&["reset-password", "--logon-name", "alice"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let password = rows[0]["Password"].as_str().unwrap().to_owned();
    assert_ne!(password, DEMO_PASSWORD);
    assert_eq!(db.logon("alice")["PasswordChangeRequired"], true);

    db.cmd(&["authenticate", "--logon-name", "alice"])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
    db.cmd(&["authenticate", "--logon-name", "alice"])
        .write_stdin(format!("{DEMO_PASSWORD}\n"))
        .assert()
        .code(5);
}

#[test]
fn reset_password_to_a_chosen_one_prints_no_password() {
    let db = Db::new();
    db.cmd(&[
        "reset-password",
        "--logon-name",
        "carol",
        "--read-password",
        "--no-force-change",
    ])
    .write_stdin("Chosen-Passw0rd!7\n")
    .assert()
    .success()
    .stdout(predicate::str::contains("password reset"))
    .stdout(predicate::str::contains("Chosen").not());
    assert_eq!(db.logon("carol")["PasswordChangeRequired"], false);
    db.cmd(&["authenticate", "--logon-name", "carol"])
        .write_stdin("Chosen-Passw0rd!7\n")
        .assert()
        .success();
}

#[test]
fn generate_password_passes_validate_password() {
    let db = Db::new();
    for group in ["1", "2"] {
        let rows = db.json(&["generate-password", "--group-id", group]);
        let password = rows[0]["Password"].as_str().unwrap().to_owned();
        db.cmd(&["validate-password", "--group-id", group])
            .write_stdin(format!("{password}\n"))
            .assert()
            .success()
            .stdout(predicate::str::contains("true"));
    }
}

#[test]
fn validate_password_exits_4_listing_every_violated_rule() {
    let output = embedded(&["validate-password"])
        .write_stdin("aaa\n")
        .assert()
        .code(4)
        .stdout("");
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    let rules = stderr
        .lines()
        .filter(|line| line.starts_with("  - "))
        .count();
    assert!(
        rules >= 3,
        "expected several rules (length, digit, upper case ...): {stderr}"
    );
}

#[test]
fn change_password_replaces_the_password_and_refuses_the_current_one() {
    let db = Db::new();
    db.cmd(&["change-password", "--logon-name", "alice"])
        .write_stdin(format!("{DEMO_PASSWORD}\n"))
        .assert()
        .code(4);
    db.cmd(&["change-password", "--logon-name", "alice"])
        .write_stdin("Fresh-Passw0rd!42\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("password changed"));
    db.cmd(&["authenticate", "--logon-name", "alice"])
        .write_stdin("Fresh-Passw0rd!42\n")
        .assert()
        .success();
    db.cmd(&["change-password", "--logon-name", "nobody"])
        .write_stdin("Fresh-Passw0rd!42\n")
        .assert()
        .code(3);
}

#[test]
fn accept_password_status_turns_new_into_normal() {
    let db = Db::new();
    assert_eq!(db.logon("carol")["Status"], "New");
    db.cmd(&["accept-password-status", "--logon-name", "carol"])
        .assert()
        .success();
    assert_eq!(db.logon("carol")["Status"], "Normal");
}

#[test]
fn rename_moves_the_logon_and_refuses_a_taken_name_with_4() {
    let db = Db::new();
    db.cmd(&[
        "rename",
        "--logon-name",
        "alice",
        "--new-logon-name",
        "alice2",
    ])
    .assert()
    .success();
    assert_eq!(db.logon("alice2")["LoginName"], "alice2");
    db.cmd(&["get", "--logon-name", "alice"]).assert().code(3);
    db.cmd(&[
        "rename",
        "--logon-name",
        "bob",
        "--new-logon-name",
        "ALICE2",
    ])
    .assert()
    .code(4);
    db.cmd(&[
        "rename",
        "--logon-name",
        "nobody",
        "--new-logon-name",
        "somebody",
    ])
    .assert()
    .code(3);
}

#[test]
fn delete_by_name_and_by_id_and_3_for_an_unknown_logon() {
    let db = Db::new();
    let bob_id = int(&db.logon("bob"), "UserLogonID");
    let deleted = db.json(&["delete", "--logon-name", "bob"]);
    assert_eq!(int(&deleted[0], "UserLogonID"), bob_id);
    assert_eq!(deleted[0]["UserSoftDeleted"], true);
    db.cmd(&["get", "--logon-name", "bob"]).assert().code(3);

    // frank keeps a logon, so his user is not soft-deleted.
    let frank_api = int(&db.logon("frank.api"), "UserLogonID").to_string();
    let deleted = db.json(&["delete", "--user-logon-id", &frank_api]);
    assert_eq!(deleted[0]["UserSoftDeleted"], false);

    db.cmd(&["delete", "--user-logon-id", "987654"])
        .assert()
        .code(3);
}

#[test]
fn migrate_on_a_seeded_database_applies_nothing_new_from_either_source() {
    let db = Db::new();
    // The first command creates and migrates the file.
    db.logon("alice");
    let compiled_in = db.json(&["migrate"]);
    assert!(compiled_in.is_empty(), "{compiled_in:?}");
    db.cmd(&["migrate", "--scripts-dir", env!("CARGO_MANIFEST_DIR")])
        .assert()
        .success()
        .stderr(predicate::str::contains("0 migrations applied"));
    db.cmd(&["migrate", "--scripts-dir", "/nonexistent/logondb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/logondb"));
}

// ---- formats ----

#[test]
fn json_rows_carry_the_seed_field_names_and_no_password() {
    let output = embedded(&["--format", "json", "get", "--logon-name", "alice"])
        .assert()
        .success();
    let stdout = &output.get_output().stdout;
    let rows = json_lines(stdout);
    let row = rows[0].as_object().unwrap();
    for field in [
        "UserLogonID",
        "UserID",
        "LoginName",
        "UISourceID",
        "LastChange",
        "LastLogon",
        "Status",
        "StatusReason",
        "LastFailed",
        "CreateDate",
        "NumInvalidAttempts",
        "AutoGenerated",
        "PasswordChangeRequired",
        "PasswordHasNeverChanged",
        "NumInvalidOobAttempts",
    ] {
        assert!(row.contains_key(field), "{field} missing: {row:?}");
    }
    assert!(!row.contains_key("UserPassword"), "{row:?}");
    assert!(!String::from_utf8_lossy(stdout).contains("argon2"));
}

#[test]
fn the_table_aligns_every_column_under_its_header() {
    let output = embedded(&["inactive-since", "--date", "2030-01-01"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() > 5, "{stdout}");
    let header = lines[0];
    assert!(header.starts_with("UserLogonID  UserID"), "{header}");
    assert!(!header.contains("UserPassword"));
    let login_column = header.find("LoginName").unwrap();
    for line in &lines[1..] {
        let before = &line[..login_column];
        assert!(
            before.ends_with("  ") && !line[login_column..].starts_with(' '),
            "LoginName not at column {login_column}: {line:?}"
        );
    }
}

// ---- targets and exit codes ----

#[test]
fn no_target_exits_2_naming_both_ways() {
    logondb()
        .args(["get", "--logon-name", "alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--url"))
        .stderr(predicate::str::contains("LOGONDB_URL"))
        .stderr(predicate::str::contains("--embedded"));
}

#[test]
fn url_and_embedded_together_are_a_usage_error() {
    logondb()
        .args([
            "--url",
            "server=tcp:127.0.0.1,1433",
            "--embedded",
            "get",
            "--logon-name",
            "a",
        ])
        .assert()
        .code(2);
}

#[test]
fn a_malformed_connection_string_exits_2_naming_where_it_came_from() {
    logondb()
        .args(["--url", "nonsense", "get", "--logon-name", "alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--url"));
    logondb()
        .env("LOGONDB_URL", "jdbc:sqlserver://")
        .args(["get", "--logon-name", "alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("LOGONDB_URL"));
}

#[test]
fn an_unreachable_server_exits_1() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!(
        "server=tcp:127.0.0.1,{port};user=sa;password=x;database=logondb;encrypt=DANGER_PLAINTEXT;TrustServerCertificate=true"
    );
    logondb()
        .env("LOGONDB_URL", url)
        .args(["get", "--logon-name", "alice"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("logondb: error"));
}

#[test]
fn usage_errors_exit_2() {
    embedded(&["get"]).assert().code(2);
    embedded(&["get", "--logon-name", "a", "--user-id", "1"])
        .assert()
        .code(2);
    embedded(&["delete"]).assert().code(2);
    embedded(&["active-since", "--days", "many"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_the_exit_codes_and_every_subcommand_has_an_example() {
    logondb()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("5  authenticate rejected"));
    for sub in [
        "get",
        "by-logon-id",
        "associated",
        "from-user-ids",
        "inactive-since",
        "active-since",
        "unlock",
        "reset-password",
        "generate-password",
        "validate-password",
        "change-password",
        "accept-password-status",
        "rename",
        "delete",
        "authenticate",
        "migrate",
        "serve-embedded",
        "completions",
    ] {
        logondb()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"))
            .stdout(predicate::str::contains("logondb "));
    }
}

#[test]
fn completions_cover_the_subcommands() {
    logondb()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("inactive-since"))
        .stdout(predicate::str::contains("--embedded-db"));
}

#[test]
fn serve_embedded_prints_a_connection_string_that_the_cli_can_use() {
    let db = Db::new();
    let mut server = StdCommand::new(BIN)
        .args(["serve-embedded", "--embedded-db"])
        .arg(&db.path)
        .env_remove("LOGONDB_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim();
    let result = logondb()
        .args([
            "--url",
            url,
            "--format",
            "json",
            "get",
            "--logon-name",
            "alice",
        ])
        .output()
        .unwrap();
    // Ctrl-C stops the server cleanly.
    StdCommand::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(url.to_lowercase().contains("server="), "{url:?}");
    assert!(result.status.success(), "{result:?}");
    assert_eq!(names(&json_lines(&result.stdout)), ["alice"]);
    assert!(status.success(), "{status:?}");
}
