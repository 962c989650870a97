//! The CLI's error type and its mapping to process exit codes.
//!
//! Exit codes (also printed by `logondb --help`):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | anything else (server, network, timeout, I/O) |
//! | 2 | invalid input or usage (including clap's own usage errors and a missing target) |
//! | 3 | not found |
//! | 4 | conflict or password/login-name policy violation (every violated rule is listed) |
//! | 5 | `authenticate` rejected the credentials (bad credentials, locked, disabled) |

use std::fmt;
use std::io;

/// The exit-code table, shown in the `after_help` of `logondb --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  anything else (server, network, timeout, I/O)
  2  invalid input or usage, or no target given
  3  not found
  4  conflict or policy violation (stderr lists every violated rule)
  5  authenticate rejected the credentials (bad credentials, locked, disabled)";

/// Everything that ends a CLI run without success.
#[derive(Debug)]
pub enum CliError {
    /// Bad input caught by the CLI itself (exit 2).
    Usage(String),
    /// The looked-up logon does not exist (exit 3).
    NotFound(String),
    /// `authenticate` rejected the credentials (exit 5).
    Rejected(String),
    /// An error of the library, mapped by its kind, with what the command was about
    /// (`LoginName "bob"`), which the library's messages do not always repeat.
    Library {
        /// The library's error.
        error: logondb::Error,
        /// The login name or id the command worked on.
        subject: Option<String>,
    },
    /// Reading input or writing output failed (exit 1).
    Io(io::Error),
    /// Formatting the output failed (exit 1).
    Output(String),
}

impl CliError {
    /// The process exit code of this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::NotFound(_) => 3,
            CliError::Rejected(_) => 5,
            CliError::Library { error, .. } => library_exit_code(error),
            CliError::Io(_) | CliError::Output(_) => 1,
        }
    }

    /// Names the login or id the command was about in a library error's message.
    pub fn about(self, subject: Option<String>) -> Self {
        match self {
            CliError::Library { error, .. } => CliError::Library { error, subject },
            other => other,
        }
    }

    /// True when stdout was closed by its reader (`logondb ... | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(error) if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

fn library_exit_code(error: &logondb::Error) -> u8 {
    use logondb::Error;
    match error {
        Error::InvalidInput { .. } | Error::Config(..) => 2,
        Error::NotFound { .. } => 3,
        Error::Conflict { .. } | Error::PolicyViolation(_) => 4,
        _ => 1,
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message)
            | CliError::NotFound(message)
            | CliError::Rejected(message)
            | CliError::Output(message) => f.write_str(message),
            CliError::Library { error, subject } => {
                if let Some(subject) = subject {
                    write!(f, "{subject}: ")?;
                }
                match error {
                    logondb::Error::PolicyViolation(violations) => {
                        write!(f, "policy violated ({} rules):", violations.len())?;
                        for violation in violations {
                            write!(f, "\n  - {violation}")?;
                        }
                        Ok(())
                    }
                    error => write!(f, "{error}"),
                }
            }
            CliError::Io(error) => write!(f, "I/O error: {error}"),
        }
    }
}

impl From<logondb::Error> for CliError {
    fn from(error: logondb::Error) -> Self {
        CliError::Library {
            error,
            subject: None,
        }
    }
}

impl From<io::Error> for CliError {
    fn from(error: io::Error) -> Self {
        CliError::Io(error)
    }
}

impl From<csv::Error> for CliError {
    fn from(error: csv::Error) -> Self {
        let message = error.to_string();
        match error.into_kind() {
            csv::ErrorKind::Io(error) => CliError::Io(error),
            _ => CliError::Output(format!("CSV output failed: {message}")),
        }
    }
}

impl From<serde_json::Error> for CliError {
    fn from(error: serde_json::Error) -> Self {
        match error.io_error_kind() {
            Some(kind) => CliError::Io(io::Error::new(kind, error)),
            None => CliError::Output(format!("JSON output failed: {error}")),
        }
    }
}
