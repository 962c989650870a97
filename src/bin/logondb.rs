//! `logondb`: every logon operation of the library from the shell, against a SQL Server
//! (`--url` or `LOGONDB_URL`) or the embedded simulator (`--embedded`).
//!
//! Exit codes: 0 success, 1 anything else, 2 invalid input or usage (no target
//! included), 3 not found, 4 conflict or policy violation, 5 `authenticate` rejected;
//! see [`exit`] for the table. Rows go to stdout, messages to stderr, and a password
//! hash never leaves the library.

// A crate root looks for its modules beside itself (src/bin/); ours live in src/bin/logondb/.
#[path = "logondb/args.rs"]
mod args;
#[path = "logondb/commands.rs"]
mod commands;
#[path = "logondb/exit.rs"]
mod exit;
#[path = "logondb/output.rs"]
mod output;
#[path = "logondb/secret.rs"]
mod secret;
#[path = "logondb/target.rs"]
mod target;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap answers --help and --version itself, and exits 2 on a usage error.
    let cli = args::Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(exit::CliError::from)
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("logondb: error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
