//! `mssql-sim --port 14330 --password 'Sim-Passw0rd' --script-dir migrations --script-dir sql [--db PATH]`
//!
//! Serves on 127.0.0.1 until killed. User `sa`; port 0 picks a free one.

use std::process::ExitCode;

const USAGE: &str = "usage: mssql-sim [--port N] [--user NAME] [--password PW] [--script-dir DIR]... [--db PATH] [--idle-poll-us N]\n\
Runs an embedded SQL Server (TDS 7.4, no TLS) on 127.0.0.1 until killed.\n\
  --port N          port to listen on (default 14330; 0 picks a free one)\n\
  --user NAME       login name (default sa)\n\
  --password PW     login password (default Sim-Passw0rd)\n\
  --script-dir DIR  apply DIR's .sql files at start-up, in natural name order (repeatable)\n\
  --db PATH         keep the database in PATH (reopened with its data; scripts only apply to a new one)\n\
  --idle-poll-us N  poll N microseconds for a client's next request before blocking (default 200; 0 never polls)";

fn main() -> ExitCode {
    let mut builder = mssql_sim::Sim::builder().port(14330);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(value) = args.next() else {
            eprintln!("mssql-sim: {flag} needs a value\n{USAGE}");
            return ExitCode::from(2);
        };
        builder = match flag.as_str() {
            "--port" => match value.parse() {
                Ok(p) => builder.port(p),
                Err(_) => {
                    eprintln!("mssql-sim: --port takes a number from 0 to 65535, not '{value}'");
                    return ExitCode::from(2);
                }
            },
            "--user" => builder.user(value),
            "--password" => builder.password(value),
            "--script-dir" => builder.script_dir(value),
            "--db" => builder.database_file(value),
            "--idle-poll-us" => {
                match value.parse() {
                    Ok(us) => builder.idle_poll(std::time::Duration::from_micros(us)),
                    Err(_) => {
                        eprintln!("mssql-sim: --idle-poll-us takes a number of microseconds, not '{value}'");
                        return ExitCode::from(2);
                    }
                }
            }
            other => {
                eprintln!("mssql-sim: unknown option '{other}'\n{USAGE}");
                return ExitCode::from(2);
            }
        };
    }
    match builder.start() {
        Ok(sim) => {
            println!("listening on {}", sim.addr());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
