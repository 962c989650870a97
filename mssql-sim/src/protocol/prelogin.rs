//! The PRELOGIN handshake: what the client asks for, and the one reply this
//! server gives (no encryption, no MARS).

use super::cursor::{Cursor, DecodeError, DecodeResult};

const OPT_VERSION: u8 = 0x00;
const OPT_ENCRYPTION: u8 = 0x01;
const OPT_INSTOPT: u8 = 0x02;
const OPT_THREADID: u8 = 0x03;
const OPT_MARS: u8 = 0x04;
const TERMINATOR: u8 = 0xFF;

/// ENCRYPT_ON: the client wants encryption.
const ENCRYPT_ON: u8 = 0x01;
/// ENCRYPT_NOT_SUP: this server's answer.
const ENCRYPT_NOT_SUP: u8 = 0x02;
/// ENCRYPT_REQ: the client requires encryption.
const ENCRYPT_REQ: u8 = 0x03;

/// The server version reported in PRELOGIN (16.0.1000, SQL Server 2022).
const SERVER_VERSION: [u8; 6] = [16, 0, 0x03, 0xE8, 0, 0];

/// What a client's PRELOGIN said that matters here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreLogin {
    /// The ENCRYPTION option, if sent.
    pub encryption: Option<u8>,
}

impl PreLogin {
    /// Parses the option table; options other than ENCRYPTION are ignored.
    pub fn parse(payload: &[u8]) -> DecodeResult<PreLogin> {
        let mut table = Cursor::new(payload);
        let mut out = PreLogin::default();
        loop {
            let token = table.u8()?;
            if token == TERMINATOR {
                return Ok(out);
            }
            let offset = usize::from(table.u16_be()?);
            let len = usize::from(table.u16_be()?);
            let mut data = Cursor::new(payload);
            data.skip(offset)?;
            let value = data.bytes(len)?;
            if token == OPT_ENCRYPTION {
                let flag = value
                    .first()
                    .copied()
                    .ok_or_else(|| DecodeError::malformed("empty PRELOGIN ENCRYPTION option"))?;
                out.encryption = Some(flag);
            }
        }
    }

    /// The client asked for encryption (ON or REQ), which this server cannot give.
    pub fn requires_encryption(&self) -> bool {
        matches!(self.encryption, Some(ENCRYPT_ON | ENCRYPT_REQ))
    }
}

/// The PRELOGIN reply: VERSION, ENCRYPTION = NOT_SUP, INSTOPT = 0, empty
/// THREADID, MARS = 0.
pub fn reply() -> Vec<u8> {
    let options: [(u8, &[u8]); 5] = [
        (OPT_VERSION, &SERVER_VERSION),
        (OPT_ENCRYPTION, &[ENCRYPT_NOT_SUP]),
        (OPT_INSTOPT, &[0]),
        (OPT_THREADID, &[]),
        (OPT_MARS, &[0]),
    ];
    let mut table = Vec::new();
    let mut data = Vec::new();
    let data_start = options.len() * 5 + 1;
    for (token, value) in options {
        table.push(token);
        table.extend_from_slice(&((data_start + data.len()) as u16).to_be_bytes());
        table.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    table.push(TERMINATOR);
    table.extend(data);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_parses_as_not_supported() {
        let parsed = PreLogin::parse(&reply()).unwrap();
        assert_eq!(parsed.encryption, Some(ENCRYPT_NOT_SUP));
        assert!(!parsed.requires_encryption());
    }

    #[test]
    fn detects_required_encryption_and_bad_offsets() {
        let req = [OPT_ENCRYPTION, 0, 6, 0, 1, TERMINATOR, ENCRYPT_REQ];
        assert!(PreLogin::parse(&req).unwrap().requires_encryption());
        let bad = [OPT_ENCRYPTION, 0xFF, 0, 0, 1, TERMINATOR];
        assert!(PreLogin::parse(&bad).is_err());
        assert!(PreLogin::parse(&[OPT_VERSION]).is_err());
    }
}
