//! `LogonStatus`: the codes of the `Status` column.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The status of a logon, stored as its code (`Tac`, `Cqr` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogonStatus {
    /// May log on.
    Normal,
    /// Created, first logon pending.
    New,
    /// Locked after too many failed attempts (or by staff).
    Locked,
    /// The password expired.
    Expired,
    /// Switched off.
    Disabled,
    /// The initial password expired before first use.
    InitialPwdExpired,
    /// A temporary access code is required (`Tac`).
    #[serde(rename = "Tac")]
    TacRequired,
    /// A challenge question is pending (`Cqr`).
    #[serde(rename = "Cqr")]
    ChallengeRequested,
    /// A token is required.
    Token,
    /// New, without a temporary access code.
    NewTacNotRequired,
}

impl LogonStatus {
    /// Every status, in declaration order.
    pub const ALL: [LogonStatus; 10] = [
        LogonStatus::Normal,
        LogonStatus::New,
        LogonStatus::Locked,
        LogonStatus::Expired,
        LogonStatus::Disabled,
        LogonStatus::InitialPwdExpired,
        LogonStatus::TacRequired,
        LogonStatus::ChallengeRequested,
        LogonStatus::Token,
        LogonStatus::NewTacNotRequired,
    ];

    /// The code stored in the database.
    pub fn as_code(self) -> &'static str {
        match self {
            LogonStatus::Normal => "Normal",
            LogonStatus::New => "New",
            LogonStatus::Locked => "Locked",
            LogonStatus::Expired => "Expired",
            LogonStatus::Disabled => "Disabled",
            LogonStatus::InitialPwdExpired => "InitialPwdExpired",
            LogonStatus::TacRequired => "Tac",
            LogonStatus::ChallengeRequested => "Cqr",
            LogonStatus::Token => "Token",
            LogonStatus::NewTacNotRequired => "NewTacNotRequired",
        }
    }
}

impl fmt::Display for LogonStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_code())
    }
}

impl FromStr for LogonStatus {
    type Err = Error;

    /// Parses a stored code exactly (`Tac`, not `TacRequired`); anything else is an error.
    fn from_str(code: &str) -> Result<Self, Error> {
        LogonStatus::ALL
            .into_iter()
            .find(|s| s.as_code() == code)
            .ok_or_else(|| Error::invalid("status", format!("unknown logon status code {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in LogonStatus::ALL {
            assert_eq!(s.as_code().parse::<LogonStatus>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_code())
            );
            let back: LogonStatus = serde_json::from_str(&format!("\"{}\"", s.as_code())).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn seed_codes() {
        assert_eq!(LogonStatus::TacRequired.as_code(), "Tac");
        assert_eq!(LogonStatus::ChallengeRequested.as_code(), "Cqr");
        assert_eq!(
            "Tac".parse::<LogonStatus>().unwrap(),
            LogonStatus::TacRequired
        );
    }

    #[test]
    fn unknown_codes_are_errors() {
        for bad in ["", "TacRequired", "normal", "Locked ", "Bogus"] {
            assert!(
                matches!(
                    bad.parse::<LogonStatus>(),
                    Err(Error::InvalidInput {
                        field: "status",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
