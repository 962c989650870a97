//! The one error type of the crate, with SQL Server error numbers mapped to kinds.

use std::io;

use crate::password::Violation;

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// THROW number of the procedures: no such logon.
pub const THROW_NOT_FOUND: i32 = 50404;
/// THROW number of the procedures: the login name is taken.
pub const THROW_CONFLICT: i32 = 50409;
/// THROW number of the procedures: an argument is invalid.
pub const THROW_INVALID_ARGUMENT: i32 = 50400;

/// SQL Server: deadlock victim (the victim's transaction has been rolled back).
pub const DEADLOCK_VICTIM: i32 = 1205;

/// Everything that can go wrong in `logondb`. Messages never contain a password or a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The logon (or other row) does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A unique value (a login name) is already taken.
    #[error("conflict: {what}")]
    Conflict {
        /// What collided.
        what: String,
    },
    /// The password breaks the policy; every violated rule is listed.
    #[error("password policy violated: {}", display_violations(.0))]
    PolicyViolation(Vec<Violation>),
    /// Input rejected before any round trip.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument at fault.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The command (or the connect) did not finish within its timeout; the connection was discarded.
    #[error("the command timed out")]
    Timeout,
    /// No pooled connection could be had.
    #[error("connection pool: {0}")]
    Pool(String),
    /// Any other error the server raised.
    #[error("server error {number}{}: {message}", display_location(procedure, *line))]
    Server {
        /// SQL Server error number.
        number: i32,
        /// The server's message.
        message: String,
        /// The procedure that raised it (empty for a batch).
        procedure: String,
        /// Line number in the batch or procedure.
        line: u32,
    },
    /// Network I/O failed.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    /// The wire protocol or a value's encoding was not what the driver expected.
    #[error("protocol: {0}")]
    Protocol(String),
    /// A row did not have the shape or values the model expects.
    #[error("unexpected row data: {0}")]
    Decode(String),
    /// Invalid configuration (connection string, policy row that can never be met ...).
    #[error("configuration: {0}")]
    Config(String),
    /// A migration could not be applied, or an applied one was changed.
    #[error("migration {script}: {reason}")]
    Migration {
        /// The script's file name.
        script: String,
        /// What went wrong.
        reason: String,
    },
}

fn display_violations(v: &[Violation]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn display_location(procedure: &str, line: u32) -> String {
    if procedure.is_empty() {
        format!(" (line {line})")
    } else {
        format!(" in {procedure} (line {line})")
    }
}

impl Error {
    /// Whether the failure is worth retrying: deadlock victim (1205), lock timeout (1222),
    /// timeout (-2 and the client-side [`Error::Timeout`]), Azure SQL throttling and
    /// failover (40501, 40613, 49918, 49919, 49920), and a connection reset under a call.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Server { number, .. } => {
                matches!(number, 1205 | 1222 | -2 | 40501 | 40613 | 49918..=49920)
            }
            Error::Timeout => true,
            Error::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    /// Whether the error proves that a procedure call changed nothing, so that even a
    /// write may be retried: only a deadlock victim (1205), whose transaction SQL Server has
    /// already rolled back (every procedure of the contract is one transaction).
    pub(crate) fn proves_nothing_ran(&self) -> bool {
        matches!(
            self,
            Error::Server {
                number: DEADLOCK_VICTIM,
                ..
            }
        )
    }

    /// The server error number, when the server raised this error.
    pub fn server_number(&self) -> Option<i32> {
        match self {
            Error::Server { number, .. } => Some(*number),
            _ => None,
        }
    }

    /// Whether the connection that produced this error can no longer be trusted.
    ///
    /// Only errors after which the server's response has been read to its end keep it: the
    /// server's own errors (tiberius drains the rest of the response) and the checks that
    /// run before a request is sent. A [`Error::Decode`] raised on the wire (a tiberius
    /// conversion error) stops reading mid-response, so it breaks the connection; the
    /// model's decode errors come after the call and never reach the pool's flag.
    pub(crate) fn breaks_connection(&self) -> bool {
        !matches!(
            self,
            Error::NotFound { .. }
                | Error::Conflict { .. }
                | Error::InvalidInput { .. }
                | Error::PolicyViolation(_)
                | Error::Server { .. }
        )
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn decode(what: impl Into<String>) -> Self {
        Error::Decode(what.into())
    }
}

/// Maps a server error number to its kind: the procedures' THROW numbers and SQL Server's
/// duplicate-key errors (2601, 2627) get their own variants, everything else is `Server`.
pub(crate) fn from_server(number: i32, message: String, procedure: String, line: u32) -> Error {
    match number {
        THROW_NOT_FOUND => Error::NotFound { what: message },
        THROW_CONFLICT | 2601 | 2627 => Error::Conflict { what: message },
        THROW_INVALID_ARGUMENT => Error::InvalidInput {
            field: "argument",
            reason: message,
        },
        _ => Error::Server {
            number,
            message,
            procedure,
            line,
        },
    }
}

impl From<tiberius::error::Error> for Error {
    fn from(e: tiberius::error::Error) -> Self {
        use tiberius::error::Error as T;
        match e {
            T::Server(t) => from_server(
                // Error numbers are small positive integers on the wire; -2 only comes
                // from client libraries, which report it as a (wrapped) u32.
                t.code() as i32,
                t.message().to_owned(),
                t.procedure().to_owned(),
                t.line(),
            ),
            T::Io { kind, message } => Error::Io(io::Error::new(kind, message)),
            T::Conversion(m) => Error::Decode(m.into_owned()),
            other => Error::Protocol(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(number: i32) -> Error {
        from_server(number, "msg".into(), "dbo.P".into(), 7)
    }

    #[test]
    fn throw_numbers_map_to_kinds() {
        assert!(matches!(server(50404), Error::NotFound { .. }));
        assert!(matches!(server(50409), Error::Conflict { .. }));
        assert!(matches!(server(2601), Error::Conflict { .. }));
        assert!(matches!(server(2627), Error::Conflict { .. }));
        assert!(matches!(
            server(50400),
            Error::InvalidInput {
                field: "argument",
                ..
            }
        ));
        match server(547) {
            Error::Server {
                number,
                procedure,
                line,
                ..
            } => {
                assert_eq!((number, procedure.as_str(), line), (547, "dbo.P", 7));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transient_numbers() {
        for n in [1205, 1222, -2, 40501, 40613, 49918, 49919, 49920] {
            assert!(server(n).is_transient(), "{n}");
        }
        for n in [547, 2627, 50404, 50000, 18456, 49917, 49921] {
            assert!(!server(n).is_transient(), "{n}");
        }
        assert!(Error::Timeout.is_transient());
        assert!(Error::Io(io::ErrorKind::ConnectionReset.into()).is_transient());
        assert!(!Error::Io(io::ErrorKind::PermissionDenied.into()).is_transient());
        assert!(!Error::Config("x".into()).is_transient());
    }

    #[test]
    fn only_a_deadlock_proves_a_write_did_nothing() {
        assert!(server(1205).proves_nothing_ran());
        assert!(!server(1222).proves_nothing_ran());
        assert!(!Error::Timeout.proves_nothing_ran());
    }

    #[test]
    fn server_errors_keep_the_connection() {
        assert!(!server(547).breaks_connection());
        assert!(!server(50404).breaks_connection());
        assert!(Error::Timeout.breaks_connection());
        assert!(Error::Protocol("x".into()).breaks_connection());
    }

    #[test]
    fn a_conversion_error_breaks_the_connection() {
        // tiberius raises it while decoding a row, with the rest of the response unread.
        let e: Error = tiberius::error::Error::Conversion("bad value".into()).into();
        assert!(matches!(e, Error::Decode(_)), "{e:?}");
        assert!(e.breaks_connection());
    }

    #[test]
    fn tiberius_io_errors_become_io() {
        let e: Error = tiberius::error::Error::Io {
            kind: io::ErrorKind::BrokenPipe,
            message: "gone".into(),
        }
        .into();
        assert!(matches!(e, Error::Io(ref io) if io.kind() == io::ErrorKind::BrokenPipe));
    }

    #[test]
    fn display_mentions_procedure_and_line() {
        assert_eq!(
            server(547).to_string(),
            "server error 547 in dbo.P (line 7): msg"
        );
    }
}
