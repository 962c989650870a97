//! The LOGIN7 record: fixed part, offset/length table, obfuscated password.

use std::fmt;

use super::cursor::{Cursor, DecodeError, DecodeResult};
use super::packet::{DEFAULT_PACKET_SIZE, PACKET_SIZE_RANGE};

/// Length of the fixed part before the offset table.
const FIXED_LEN: usize = 36;
/// OptionFlags2 bit: integrated (Windows) security.
const INTEGRATED_SECURITY: u8 = 0x80;

/// The fields of a LOGIN7 this server uses. Debug output omits the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Login7 {
    /// The client's TDS version, as the little-endian u32 it sent.
    pub tds_version: u32,
    /// The packet size the client asked for, clamped to what the server allows.
    pub packet_size: usize,
    pub user: String,
    pub password: String,
    pub app_name: String,
    /// The requested database; empty for the default.
    pub database: String,
}

impl fmt::Debug for Login7 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login7")
            .field("tds_version", &format_args!("{:#010x}", self.tds_version))
            .field("packet_size", &self.packet_size)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("app_name", &self.app_name)
            .field("database", &self.database)
            .finish()
    }
}

/// Reverses the LOGIN7 password obfuscation (swap nibbles, then XOR 0xA5).
fn deobfuscate(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| (b ^ 0xA5).rotate_left(4)).collect()
}

impl Login7 {
    /// Parses a LOGIN7 payload; SSPI (integrated) logins are refused as unsupported.
    pub fn parse(payload: &[u8]) -> DecodeResult<Login7> {
        let mut cur = Cursor::new(payload);
        let declared_len = cur.u32()? as usize;
        if declared_len > payload.len() || declared_len < FIXED_LEN {
            return Err(DecodeError::malformed(format!(
                "LOGIN7 length {declared_len} with {} bytes sent",
                payload.len()
            )));
        }
        let record = &payload[..declared_len.min(payload.len())];
        let tds_version = cur.u32()?;
        let requested = cur.u32()? as usize;
        cur.skip(12)?; // client program version, process id, connection id
        let _flags1 = cur.u8()?;
        let flags2 = cur.u8()?;
        cur.skip(10)?; // type flags, flags3, time zone, LCID
        if flags2 & INTEGRATED_SECURITY != 0 {
            return Err(DecodeError::unsupported(
                "integrated (Windows) authentication; use SQL authentication",
            ));
        }
        let mut field = || -> DecodeResult<(usize, usize)> {
            Ok((usize::from(cur.u16()?), usize::from(cur.u16()?)))
        };
        let [_host, user, password, app, _server, _ext, _iface, _lang, database] =
            [(); 9].map(|_| field());
        let text = |f: DecodeResult<(usize, usize)>| -> DecodeResult<Vec<u8>> {
            let (offset, chars) = f?;
            let mut c = Cursor::new(record);
            c.skip(offset)?;
            Ok(c.bytes(chars * 2)?.to_vec())
        };
        let utf16 = |bytes: Vec<u8>| super::cursor::utf16_to_string(&bytes);
        let packet_size = match requested {
            0 => DEFAULT_PACKET_SIZE,
            n => n.clamp(PACKET_SIZE_RANGE.0, PACKET_SIZE_RANGE.1),
        };
        Ok(Login7 {
            tds_version,
            packet_size,
            user: utf16(text(user)?)?,
            password: utf16(deobfuscate(&text(password)?))?,
            app_name: utf16(text(app)?)?,
            database: utf16(text(database)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obfuscate(bytes: &[u8]) -> Vec<u8> {
        bytes.iter().map(|b| b.rotate_left(4) ^ 0xA5).collect()
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn record(user: &str, password: &str, database: &str) -> Vec<u8> {
        let fields = [
            "host", user, password, "app", "srv", "", "iface", "", database,
        ];
        let mut fixed = vec![0u8; FIXED_LEN];
        fixed[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
        fixed[8..12].copy_from_slice(&8192u32.to_le_bytes());
        let table_len = 9 * 4 + 6 + 3 * 4 + 4;
        let mut table = Vec::new();
        let mut data = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let bytes = if i == 2 {
                obfuscate(&utf16(f))
            } else {
                utf16(f)
            };
            table.extend_from_slice(&((FIXED_LEN + table_len + data.len()) as u16).to_le_bytes());
            table.extend_from_slice(&(f.encode_utf16().count() as u16).to_le_bytes());
            data.extend(bytes);
        }
        table.extend_from_slice(&[0; 6 + 12 + 4]);
        let mut out = fixed;
        out.extend(table);
        out.extend(data);
        let len = out.len() as u32;
        out[0..4].copy_from_slice(&len.to_le_bytes());
        out
    }

    #[test]
    fn parses_fields_and_password() {
        let login = Login7::parse(&record("sa", "Pä55wörd!", "simdb")).unwrap();
        assert_eq!(login.user, "sa");
        assert_eq!(login.password, "Pä55wörd!");
        assert_eq!(login.database, "simdb");
        assert_eq!(login.packet_size, 8192);
        assert_eq!(login.tds_version, 0x7400_0004);
        assert!(!format!("{login:?}").contains("Pä55"));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let full = record("sa", "pw", "db");
        for cut in 0..full.len() {
            let mut part = full[..cut].to_vec();
            if part.len() >= 4 {
                part[0..4].copy_from_slice(&(cut as u32).to_le_bytes());
            }
            assert!(Login7::parse(&part).is_err(), "cut at {cut}");
        }
    }
}
