//! The command line: global options and one subcommand per library function.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveDateTime};
use clap::{ArgGroup, Args, Parser, Subcommand};
use clap_complete::Shell;
use logondb::{Config, LogonStatus, Password};

use crate::exit::EXIT_CODES_HELP;
use crate::output::Format;

/// What `logondb --help` shows after the options.
const MAIN_AFTER_HELP: &str = "\
Examples:
  logondb --embedded get --logon-name alice
  LOGONDB_URL='server=tcp:db,1433;user=ops;password=...;database=Logons' logondb unlock --logon-name bob
  logondb --embedded-db ./demo.db --format csv inactive-since --date 2030-01-01

A target is required: --url (or the environment variable LOGONDB_URL) for a SQL Server,
or --embedded / --embedded-db PATH for the in-process simulator seeded with demo data.
";

/// Typed access to the UserLogon / AdminUserLogon tables from the shell.
#[derive(Debug, Parser)]
#[command(name = "logondb", version, about, after_help = format!("{MAIN_AFTER_HELP}\n{EXIT_CODES_HELP}"))]
pub struct Cli {
    /// Where the logons live.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format of the rows.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true, help_heading = "Output")]
    pub format: Format,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The database to work on: a SQL Server, or the embedded simulator.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Connection string of a SQL Server (ADO `server=tcp:host,port;...` or
    /// `jdbc:sqlserver://...`). Without it, the environment variable LOGONDB_URL is used.
    #[arg(
        long,
        global = true,
        help_heading = "Target",
        value_name = "CONNECTION_STRING",
        value_parser = parse_config,
        conflicts_with_all = ["embedded", "embedded_db"]
    )]
    pub url: Option<Config>,

    /// Use an in-process mssql-sim seeded with the compiled-in scripts and demo data
    /// (in memory: its writes are gone when the command ends).
    #[arg(long, global = true, help_heading = "Target")]
    pub embedded: bool,

    /// Keep the embedded database in this file, so a sequence of commands sees its own
    /// writes (implies --embedded; the file is created and seeded when missing).
    #[arg(long, global = true, help_heading = "Target", value_name = "PATH")]
    pub embedded_db: Option<PathBuf>,
}

/// One subcommand per library function, plus `migrate`, `serve-embedded` and `completions`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Logons by login name (case-insensitive) or by user id.
    #[command(
        after_help = "Examples:\n  logondb --embedded get --logon-name ALICE\n  logondb --embedded get --user-id 1 --include-deleted\n  logondb --embedded get --admin --logon-name admin"
    )]
    Get(GetArgs),

    /// One logon by its own id (UserLogonID, or AdminUserLogonID with --admin).
    #[command(after_help = "Example:\n  logondb --embedded by-logon-id --user-logon-id 1")]
    ByLogonId(ByLogonIdArgs),

    /// Every logon of one user, on every UI source.
    #[command(after_help = "Example:\n  logondb --embedded associated --user-id 1")]
    Associated(UserIdArgs),

    /// Logons of many users in one round trip; ids from the arguments, --file or stdin.
    #[command(
        after_help = "Examples:\n  logondb --embedded from-user-ids 1 2 3\n  printf '1\\n2\\n' | logondb --embedded --format json from-user-ids"
    )]
    FromUserIds(FromUserIdsArgs),

    /// Logons without a logon since a date (or never logged on and created before it); streams.
    #[command(
        after_help = "Example:\n  logondb --embedded --format csv inactive-since --date 2030-01-01 --status Normal"
    )]
    InactiveSince(InactiveSinceArgs),

    /// Logons that logged on within the last N days, newest first, paged.
    #[command(
        after_help = "Example:\n  logondb --embedded active-since --days 30 --return-count 10 --page-number 1"
    )]
    ActiveSince(ActiveSinceArgs),

    /// Unlock a locked logon: status Normal, attempt counters reset.
    #[command(after_help = "Example:\n  logondb --embedded unlock --logon-name bob")]
    Unlock(LogonNameArgs),

    /// Reset a password: to a generated one (printed once) unless --read-password or --password.
    #[command(
        after_help = "Examples:\n  logondb --embedded reset-password --logon-name bob\n  logondb --embedded reset-password --logon-name bob --read-password --no-force-change"
    )]
    ResetPassword(ResetPasswordArgs),

    /// Generate a random password that passes the policy (of a group, or the default).
    #[command(after_help = "Example:\n  logondb --embedded generate-password --group-id 1")]
    GeneratePassword(GroupArgs),

    /// Check a password against the policy; exit 4 lists every violated rule.
    #[command(
        after_help = "Example:\n  echo 'short' | logondb --embedded validate-password --group-id 1"
    )]
    ValidatePassword(ValidatePasswordArgs),

    /// Set an end user's new password (validated, checked against the history).
    #[command(
        after_help = "Example:\n  logondb --embedded change-password --logon-name alice   # prompts without echo"
    )]
    ChangePassword(LogonPasswordArgs),

    /// Accept the current password: clears the forced-change state.
    #[command(
        after_help = "Example:\n  logondb --embedded accept-password-status --logon-name alice"
    )]
    AcceptPasswordStatus(LogonNameArgs),

    /// Rename a logon (exit 4 when the new name is taken in any case).
    #[command(
        after_help = "Example:\n  logondb --embedded rename --logon-name alice --new-logon-name alice2"
    )]
    Rename(RenameArgs),

    /// Delete a logon and its password history; the user is soft-deleted with its last logon.
    #[command(
        after_help = "Examples:\n  logondb --embedded delete --logon-name bob\n  logondb --embedded delete --user-logon-id 2"
    )]
    Delete(DeleteArgs),

    /// Verify a password; exit 5 when rejected (bad credentials, locked, disabled).
    #[command(
        after_help = "Example:\n  echo 'Demo-Passw0rd!' | logondb --embedded authenticate --logon-name alice"
    )]
    Authenticate(LogonPasswordArgs),

    /// Apply the versioned migrations and the repeatable scripts (procedures, seed data).
    #[command(
        after_help = "Examples:\n  logondb --url \"$PROD_URL\" migrate\n  logondb --url \"$PROD_URL\" migrate --scripts-dir ./checkout   # uses ./checkout/migrations and ./checkout/sql"
    )]
    Migrate(MigrateArgs),

    /// Start the embedded server, print its connection string and serve until Ctrl-C.
    #[command(
        after_help = "Example:\n  logondb serve-embedded --embedded-db ./demo.db\n  # in another shell: logondb --url '<printed string>' get --logon-name alice"
    )]
    ServeEmbedded,

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  logondb completions bash > /etc/bash_completion.d/logondb"
    )]
    Completions(CompletionsArgs),
}

/// `get`: by name or by user id.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["logon_name", "user_id"])))]
pub struct GetArgs {
    /// The login name (case-insensitive).
    #[arg(long)]
    pub logon_name: Option<String>,
    /// The user id (AdminUserID with --admin).
    #[arg(long)]
    pub user_id: Option<i32>,
    /// Look in AdminUserLogon instead of UserLogon.
    #[arg(long)]
    pub admin: bool,
    /// Include logons whose user (or admin logon) is deleted.
    #[arg(long)]
    pub include_deleted: bool,
}

/// `by-logon-id`.
#[derive(Debug, Args)]
pub struct ByLogonIdArgs {
    /// The logon's own id.
    #[arg(long)]
    pub user_logon_id: i32,
    /// Look in AdminUserLogon instead of UserLogon.
    #[arg(long)]
    pub admin: bool,
}

/// A user id.
#[derive(Debug, Args)]
pub struct UserIdArgs {
    /// The user id.
    #[arg(long)]
    pub user_id: i32,
}

/// `from-user-ids`.
#[derive(Debug, Args)]
pub struct FromUserIdsArgs {
    /// User ids; without them (and without --file) they are read from stdin.
    #[arg(value_name = "USER_ID")]
    pub user_ids: Vec<i32>,
    /// Read the user ids from this file (separated by white space or commas).
    #[arg(long, value_name = "PATH", conflicts_with = "user_ids")]
    pub file: Option<PathBuf>,
    /// Include logons of deleted users.
    #[arg(long)]
    pub include_deleted: bool,
}

/// `inactive-since`.
#[derive(Debug, Args)]
pub struct InactiveSinceArgs {
    /// The cut-off in UTC: YYYY-MM-DD (midnight) or YYYY-MM-DDTHH:MM:SS.
    #[arg(long, value_parser = parse_date_time)]
    pub date: NaiveDateTime,
    /// Only logons with this status code (Normal, New, Locked, Expired, Disabled,
    /// InitialPwdExpired, Tac, Cqr, Token, NewTacNotRequired).
    #[arg(long, value_parser = parse_status)]
    pub status: Option<LogonStatus>,
}

/// `active-since`.
#[derive(Debug, Args)]
pub struct ActiveSinceArgs {
    /// How many days back (1..=36500).
    #[arg(long)]
    pub days: i32,
    /// Rows per page (1..=MAX_RETURN_COUNT of the library).
    #[arg(long, default_value_t = 100)]
    pub return_count: i32,
    /// Which page, from 1.
    #[arg(long, default_value_t = 1)]
    pub page_number: i32,
}

/// A login name.
#[derive(Debug, Args)]
pub struct LogonNameArgs {
    /// The login name (case-insensitive).
    #[arg(long)]
    pub logon_name: String,
}

/// A password on the command line, which is discouraged.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The password itself. Leaks into the shell history: without it the password is
    /// prompted for (no echo) or read as one line from stdin.
    #[arg(long, value_name = "PASSWORD", value_parser = parse_password)]
    pub password: Option<Password>,
}

/// A login name and its password.
#[derive(Debug, Args)]
pub struct LogonPasswordArgs {
    /// The login.
    #[command(flatten)]
    pub logon: LogonNameArgs,
    /// The password.
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `reset-password`.
#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// The login.
    #[command(flatten)]
    pub logon: LogonNameArgs,
    /// Read the new password (prompt or stdin) instead of generating one.
    #[arg(long, conflicts_with = "password")]
    pub read_password: bool,
    /// The new password on the command line (leaks into the shell history).
    #[arg(long, value_name = "PASSWORD", value_parser = parse_password)]
    pub password: Option<Password>,
    /// Do not require the user to change the password at the next logon.
    #[arg(long)]
    pub no_force_change: bool,
}

/// An optional group whose policy applies.
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// The group whose password policy applies (default: the UI source's default policy).
    #[arg(long)]
    pub group_id: Option<i32>,
}

/// `validate-password`.
#[derive(Debug, Args)]
pub struct ValidatePasswordArgs {
    /// The group whose policy applies (checked before the zone).
    #[arg(long)]
    pub group_id: Option<i32>,
    /// The zone whose policy applies.
    #[arg(long)]
    pub zone_id: Option<i32>,
    /// The password to check.
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `rename`.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The current login name.
    #[arg(long)]
    pub logon_name: String,
    /// The new login name.
    #[arg(long)]
    pub new_logon_name: String,
}

/// `delete`: by name or by logon id.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["logon_name", "user_logon_id"])))]
pub struct DeleteArgs {
    /// The login name.
    #[arg(long)]
    pub logon_name: Option<String>,
    /// The logon's id.
    #[arg(long)]
    pub user_logon_id: Option<i32>,
}

/// `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Use DIR/migrations and DIR/sql from disk instead of the scripts compiled into the binary.
    #[arg(long, value_name = "DIR")]
    pub scripts_dir: Option<PathBuf>,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Parses `YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM:SS[.fff]` (a space instead of the T too).
fn parse_date_time(text: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| format!("{text:?} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)"))
}

/// Parses `--url` at once: a bad string is a usage error, and `Debug` of the arguments
/// shows the library's redacted summary instead of the password in it.
fn parse_config(text: &str) -> Result<Config, String> {
    Config::parse(text).map_err(|error| error.to_string())
}

/// Wraps a `--password` value at once, so `Debug` of the arguments never shows it.
fn parse_password(text: &str) -> Result<Password, std::convert::Infallible> {
    Ok(Password::from(text))
}

fn parse_status(text: &str) -> Result<LogonStatus, String> {
    text.parse::<LogonStatus>()
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_an_example_in_its_help() {
        for sub in Cli::command().get_subcommands() {
            let after = sub.get_after_help().map(|help| help.to_string());
            assert!(
                after
                    .as_deref()
                    .is_some_and(|help| help.contains("logondb ")),
                "{} has no example",
                sub.get_name()
            );
        }
    }

    #[test]
    fn dates_parse_as_midnight_or_with_a_time() {
        let midnight = parse_date_time("2030-01-01").unwrap();
        assert_eq!(midnight.to_string(), "2030-01-01 00:00:00");
        let with_time = parse_date_time("2030-01-01T12:30:00.250").unwrap();
        assert_eq!(with_time.to_string(), "2030-01-01 12:30:00.250");
        assert!(parse_date_time("01/02/2030")
            .unwrap_err()
            .contains("01/02/2030"));
    }
}
