//! SQL Server data types and values as they cross the boundary between the
//! T-SQL engine and the TDS protocol layer.

use chrono::{NaiveDate, NaiveDateTime};

/// A SQL Server column or parameter type. Lengths are in characters for the
/// character types and in bytes for `varbinary`; `None` means `(MAX)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SqlType {
    Bit,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Decimal { precision: u8, scale: u8 },
    NVarChar(Option<u16>),
    VarChar(Option<u16>),
    DateTime2(u8),
    DateTime,
    Date,
    UniqueIdentifier,
    VarBinary(Option<u16>),
}

/// A value. Integers of every width travel as `Int`; the column's
/// [`SqlType`] says how wide they are on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bit(bool),
    Int(i64),
    Float(f64),
    /// Unscaled value and scale: `Decimal(12345, 2)` is 123.45.
    Decimal(i128, u8),
    Str(String),
    Bytes(Vec<u8>),
    DateTime(NaiveDateTime),
    Date(NaiveDate),
    /// The 16 bytes in the textual (big-endian) order of the GUID string.
    Guid([u8; 16]),
}

/// One column of a result set.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
}

/// An ERROR or INFO message, numbered as SQL Server numbers them.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerMessage {
    pub number: i32,
    pub state: u8,
    /// Severity: 0-10 informational, 11-16 user errors, 20+ fatal to the connection.
    pub class: u8,
    pub message: String,
    pub procedure: String,
    pub line: i32,
}

impl ServerMessage {
    /// A user error (class 16, state 1) with no procedure.
    pub fn error(number: i32, message: impl Into<String>) -> Self {
        ServerMessage {
            number,
            state: 1,
            class: 16,
            message: message.into(),
            procedure: String::new(),
            line: 1,
        }
    }
}
