//! Response tokens, and [`TokenWriter`], the [`Reply`] that streams them.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use super::packet::PacketWriter;
use super::type_info::{write_type_info, write_value, COLLATION};
use crate::session::{Abort, Done, DoneKind, Reply, TranChange};
use crate::types::{Column, ServerMessage, SqlType, Value};

/// Token types.
mod code {
    pub const RETURNSTATUS: u8 = 0x79;
    pub const COLMETADATA: u8 = 0x81;
    pub const ERROR: u8 = 0xAA;
    pub const INFO: u8 = 0xAB;
    pub const RETURNVALUE: u8 = 0xAC;
    pub const LOGINACK: u8 = 0xAD;
    pub const ROW: u8 = 0xD1;
    pub const ENVCHANGE: u8 = 0xE3;
    pub const DONE: u8 = 0xFD;
    pub const DONEPROC: u8 = 0xFE;
    pub const DONEINPROC: u8 = 0xFF;
}

/// DONE status bits.
pub mod done_status {
    /// More results follow in this response.
    pub const MORE: u16 = 0x01;
    /// The statement failed.
    pub const ERROR: u16 = 0x02;
    /// The row count is valid.
    pub const COUNT: u16 = 0x10;
    /// Acknowledges an attention.
    pub const ATTENTION: u16 = 0x20;
}

/// ENVCHANGE types.
pub mod env {
    /// Database.
    pub const DATABASE: u8 = 1;
    /// Language.
    pub const LANGUAGE: u8 = 2;
    /// Packet size.
    pub const PACKET_SIZE: u8 = 4;
    /// SQL collation.
    pub const COLLATION: u8 = 7;
    /// Transaction began.
    pub const BEGIN_TRAN: u8 = 8;
    /// Transaction committed.
    pub const COMMIT_TRAN: u8 = 9;
    /// Transaction rolled back.
    pub const ROLLBACK_TRAN: u8 = 10;
}

/// The server name in ERROR and INFO tokens.
pub const SERVER_NAME: &str = "mssql-sim";
const PROGRAM_NAME: &str = "Microsoft SQL Server";
const PROGRAM_VERSION: [u8; 4] = [16, 0, 0x03, 0xE8];
/// Messages longer than this (in UTF-16 units) are cut, to keep tokens in bounds.
const MAX_MESSAGE_UNITS: usize = 8000;

fn utf16_units(s: &str, max: usize) -> Vec<u16> {
    s.encode_utf16().take(max).collect()
}

fn put_utf16(buf: &mut Vec<u8>, units: &[u16]) {
    buf.extend(units.iter().flat_map(|u| u.to_le_bytes()));
}

/// A B_VARCHAR (length byte in characters), cut at 255 characters.
fn b_varchar(buf: &mut Vec<u8>, s: &str) {
    let units = utf16_units(s, 255);
    buf.push(units.len() as u8);
    put_utf16(buf, &units);
}

/// A US_VARCHAR (u16 length in characters).
fn us_varchar(buf: &mut Vec<u8>, s: &str, max: usize) {
    let units = utf16_units(s, max.min(usize::from(u16::MAX)));
    buf.extend_from_slice(&(units.len() as u16).to_le_bytes());
    put_utf16(buf, &units);
}

/// Appends a token whose body starts with a u16 length, filled by `body`.
fn with_u16_len(buf: &mut Vec<u8>, token: u8, body: impl FnOnce(&mut Vec<u8>)) {
    buf.push(token);
    let len_at = buf.len();
    buf.extend_from_slice(&[0, 0]);
    body(buf);
    let len = (buf.len() - len_at - 2) as u16;
    buf[len_at..len_at + 2].copy_from_slice(&len.to_le_bytes());
}

/// An ERROR (`is_error`) or INFO token.
pub fn message(buf: &mut Vec<u8>, is_error: bool, m: &ServerMessage) {
    with_u16_len(buf, if is_error { code::ERROR } else { code::INFO }, |b| {
        b.extend_from_slice(&m.number.to_le_bytes());
        b.push(m.state);
        b.push(m.class);
        us_varchar(b, &m.message, MAX_MESSAGE_UNITS);
        b_varchar(b, SERVER_NAME);
        b_varchar(b, &m.procedure);
        b.extend_from_slice(&m.line.to_le_bytes());
    });
}

/// An ENVCHANGE whose values are B_VARCHAR strings.
pub fn env_change_text(buf: &mut Vec<u8>, ty: u8, new: &str, old: &str) {
    with_u16_len(buf, code::ENVCHANGE, |b| {
        b.push(ty);
        b_varchar(b, new);
        b_varchar(b, old);
    });
}

/// An ENVCHANGE whose values are B_VARBYTE byte strings.
pub fn env_change_bytes(buf: &mut Vec<u8>, ty: u8, new: &[u8], old: &[u8]) {
    with_u16_len(buf, code::ENVCHANGE, |b| {
        b.push(ty);
        for v in [new, old] {
            b.push(v.len() as u8);
            b.extend_from_slice(v);
        }
    });
}

/// ENVCHANGE collation with this server's collation.
pub fn env_change_collation(buf: &mut Vec<u8>) {
    env_change_bytes(buf, env::COLLATION, &COLLATION, &[]);
}

/// LOGINACK echoing the client's TDS version (big-endian on the wire).
pub fn login_ack(buf: &mut Vec<u8>, tds_version: u32) {
    with_u16_len(buf, code::LOGINACK, |b| {
        b.push(1); // SQL_TSQL
        b.extend_from_slice(&tds_version.to_be_bytes());
        b_varchar(b, PROGRAM_NAME);
        b.extend_from_slice(&PROGRAM_VERSION);
    });
}

/// A DONE-family token (13 bytes).
pub fn done(buf: &mut Vec<u8>, kind: DoneKind, status: u16, cur_cmd: u16, count: u64) {
    buf.push(match kind {
        DoneKind::Done => code::DONE,
        DoneKind::InProc => code::DONEINPROC,
        DoneKind::Proc => code::DONEPROC,
    });
    buf.extend_from_slice(&status.to_le_bytes());
    buf.extend_from_slice(&cur_cmd.to_le_bytes());
    buf.extend_from_slice(&count.to_le_bytes());
}

/// Streams one response to the client as the engine produces it.
///
/// The last DONE written is held back until another token follows (then it
/// gets the MORE bit) or the response ends (then it goes out without it).
/// Whether the client has asked to cancel the running request.
pub trait CancelCheck {
    fn requested(&self) -> bool;
}

impl CancelCheck for AtomicBool {
    fn requested(&self) -> bool {
        self.load(Ordering::SeqCst)
    }
}

pub struct TokenWriter<'a, W: Write> {
    out: &'a mut PacketWriter<W>,
    cancel: &'a dyn CancelCheck,
    columns: Vec<Column>,
    pending_done: Option<Vec<u8>>,
    scratch: Vec<u8>,
    encode_failure: Option<String>,
}

impl<'a, W: Write> TokenWriter<'a, W> {
    /// A writer for one response; `cancel` says when an attention arrived.
    pub fn new(out: &'a mut PacketWriter<W>, cancel: &'a dyn CancelCheck) -> Self {
        TokenWriter {
            out,
            cancel,
            columns: Vec::new(),
            pending_done: None,
            scratch: Vec::new(),
            encode_failure: None,
        }
    }

    /// Why the last call failed, if a value could not be encoded (an engine bug).
    pub fn take_encode_failure(&mut self) -> Option<String> {
        self.encode_failure.take()
    }

    /// Writes the token in `scratch`, after the held-back DONE (with MORE).
    fn emit(&mut self) -> Result<(), Abort> {
        if self.cancel.requested() {
            self.scratch.clear();
            return Err(Abort::Cancelled);
        }
        self.flush_pending(true)?;
        self.out.write(&self.scratch)?;
        self.scratch.clear();
        Ok(())
    }

    fn flush_pending(&mut self, more: bool) -> io::Result<()> {
        if let Some(mut d) = self.pending_done.take() {
            if more {
                d[1] |= done_status::MORE as u8;
            }
            self.out.write(&d)?;
        }
        Ok(())
    }

    fn encode(&mut self, f: impl FnOnce(&mut Vec<u8>) -> Result<(), String>) -> Result<(), Abort> {
        self.scratch.clear();
        if let Err(e) = f(&mut self.scratch) {
            self.scratch.clear();
            self.encode_failure = Some(e.clone());
            return Err(Abort::Io(io::Error::new(io::ErrorKind::InvalidData, e)));
        }
        self.emit()
    }

    /// Ends the response: the held-back DONE goes out as the last token (a
    /// final DONE is added if the engine wrote none).
    pub fn finish(mut self) -> io::Result<()> {
        if self.pending_done.is_none() {
            let mut d = Vec::new();
            done(&mut d, DoneKind::Done, 0, 0, 0);
            self.pending_done = Some(d);
        }
        self.flush_pending(false)?;
        self.out.finish()
    }

    /// Ends a cancelled response with DONE + ATTENTION.
    pub fn finish_cancelled(mut self) -> io::Result<()> {
        self.flush_pending(true)?;
        let mut d = Vec::new();
        done(&mut d, DoneKind::Done, done_status::ATTENTION, 0, 0);
        self.out.write(&d)?;
        self.out.finish()
    }

    /// Writes pre-encoded tokens (login replies), ignoring the cancel flag.
    pub fn raw(&mut self, tokens: &[u8]) -> io::Result<()> {
        self.flush_pending(true)?;
        self.out.write(tokens)
    }
}

impl<W: Write> Reply for TokenWriter<'_, W> {
    fn columns(&mut self, columns: &[Column]) -> Result<(), Abort> {
        self.columns = columns.to_vec();
        self.encode(|b| {
            b.push(code::COLMETADATA);
            let count = u16::try_from(columns.len())
                .ok()
                .filter(|n| *n < u16::MAX)
                .ok_or("too many columns")?;
            b.extend_from_slice(&count.to_le_bytes());
            for c in columns {
                b.extend_from_slice(&0u32.to_le_bytes()); // user type
                b.extend_from_slice(&u16::from(c.nullable).to_le_bytes());
                write_type_info(b, &c.ty)?;
                b_varchar(b, &c.name);
            }
            Ok(())
        })
    }

    fn row(&mut self, values: &[Value]) -> Result<(), Abort> {
        let columns = std::mem::take(&mut self.columns);
        let result = self.encode(|b| {
            if values.len() != columns.len() {
                return Err(format!(
                    "row of {} values for {} columns",
                    values.len(),
                    columns.len()
                ));
            }
            b.push(code::ROW);
            for (c, v) in columns.iter().zip(values) {
                if matches!(v, Value::Null) && !c.nullable {
                    return Err(format!("NULL in NOT NULL column {}", c.name));
                }
                write_value(b, &c.ty, v)?;
            }
            Ok(())
        });
        self.columns = columns;
        result
    }

    fn done(&mut self, d: Done) -> Result<(), Abort> {
        if self.cancel.requested() {
            return Err(Abort::Cancelled);
        }
        self.flush_pending(true)?;
        let mut status = 0;
        if d.error {
            status |= done_status::ERROR;
        }
        if d.count.is_some() {
            status |= done_status::COUNT;
        }
        let mut buf = Vec::with_capacity(13);
        done(&mut buf, d.kind, status, d.cur_cmd, d.count.unwrap_or(0));
        self.pending_done = Some(buf);
        Ok(())
    }

    fn error(&mut self, m: &ServerMessage) -> Result<(), Abort> {
        self.encode(|b| {
            message(b, true, m);
            Ok(())
        })
    }

    fn info(&mut self, m: &ServerMessage) -> Result<(), Abort> {
        self.encode(|b| {
            message(b, false, m);
            Ok(())
        })
    }

    fn return_status(&mut self, status: i32) -> Result<(), Abort> {
        self.encode(|b| {
            b.push(code::RETURNSTATUS);
            b.extend_from_slice(&status.to_le_bytes());
            Ok(())
        })
    }

    fn return_value(
        &mut self,
        ordinal: u16,
        name: &str,
        ty: &SqlType,
        value: &Value,
    ) -> Result<(), Abort> {
        self.encode(|b| {
            b.push(code::RETURNVALUE);
            b.extend_from_slice(&ordinal.to_le_bytes());
            b_varchar(b, name);
            b.push(0x01); // output parameter
            b.extend_from_slice(&0u32.to_le_bytes()); // user type
            b.extend_from_slice(&1u16.to_le_bytes()); // nullable
            write_type_info(b, ty)?;
            write_value(b, ty, value)
        })
    }

    fn transaction(&mut self, change: TranChange) -> Result<(), Abort> {
        self.encode(|b| {
            match change {
                TranChange::Begin(d) => env_change_bytes(b, env::BEGIN_TRAN, &d.to_le_bytes(), &[]),
                TranChange::Commit(d) => {
                    env_change_bytes(b, env::COMMIT_TRAN, &[], &d.to_le_bytes())
                }
                TranChange::Rollback(d) => {
                    env_change_bytes(b, env::ROLLBACK_TRAN, &[], &d.to_le_bytes())
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(f: impl FnOnce(&mut TokenWriter<'_, &mut Vec<u8>>)) -> Vec<u8> {
        let mut out = Vec::new();
        let cancel = AtomicBool::new(false);
        let mut pw = PacketWriter::new(&mut out, 4096, 1);
        let mut w = TokenWriter::new(&mut pw, &cancel);
        f(&mut w);
        w.finish().unwrap();
        drop(pw);
        out.split_off(8)
    }

    fn done_of(kind: DoneKind, count: Option<u64>) -> Done {
        Done {
            kind,
            error: false,
            count,
            cur_cmd: 0xC1,
        }
    }

    #[test]
    fn more_is_set_on_all_but_the_last_done() {
        let body = response(|w| {
            w.done(done_of(DoneKind::InProc, Some(3))).unwrap();
            w.return_status(0).unwrap();
            w.done(done_of(DoneKind::Proc, None)).unwrap();
        });
        assert_eq!(body[0], code::DONEINPROC);
        assert_eq!(
            u16::from_le_bytes([body[1], body[2]]),
            done_status::MORE | done_status::COUNT
        );
        assert_eq!(u64::from_le_bytes(body[5..13].try_into().unwrap()), 3);
        assert_eq!(body[13], code::RETURNSTATUS);
        assert_eq!(body[18], code::DONEPROC);
        assert_eq!(u16::from_le_bytes([body[19], body[20]]), 0);
        assert_eq!(body.len(), 31);
    }

    #[test]
    fn a_response_without_done_gets_one() {
        let body = response(|_| {});
        assert_eq!(body, vec![code::DONE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn cancel_and_bad_rows_abort() {
        let mut out = Vec::new();
        let cancel = AtomicBool::new(false);
        let mut pw = PacketWriter::new(&mut out, 4096, 1);
        let mut w = TokenWriter::new(&mut pw, &cancel);
        let cols = [Column {
            name: "a".into(),
            ty: SqlType::Int,
            nullable: false,
        }];
        w.columns(&cols).unwrap();
        assert!(matches!(w.row(&[Value::Null]), Err(Abort::Io(_))));
        assert!(w.take_encode_failure().is_some());
        assert!(matches!(w.row(&[]), Err(Abort::Io(_))));
        w.row(&[Value::Int(1)]).unwrap();
        cancel.store(true, Ordering::SeqCst);
        assert!(matches!(w.row(&[Value::Int(2)]), Err(Abort::Cancelled)));
        w.finish_cancelled().unwrap();
        drop(pw);
        let tail = &out[out.len() - 13..];
        assert_eq!(
            (tail[0], tail[1]),
            (code::DONE, done_status::ATTENTION as u8)
        );
    }
}
