//! A minimal synchronous TDS client for packets tiberius never sends
//! (attention, transaction manager, named RPCs, fixed-width types) and for
//! deliberately broken input.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

pub const SQL_BATCH: u8 = 0x01;
pub const RPC: u8 = 0x03;
pub const ATTENTION: u8 = 0x06;
pub const TRANSACTION: u8 = 0x0E;
pub const LOGIN7: u8 = 0x10;
pub const PRELOGIN: u8 = 0x12;

pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Frames `payload` as packets of at most `size` bytes.
pub fn packets(ty: u8, status: u8, payload: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[]]
    } else {
        payload.chunks(size - 8).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        out.push(ty);
        out.push(status | u8::from(last));
        out.extend_from_slice(&((chunk.len() + 8) as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, (i + 1) as u8, 0]);
        out.extend_from_slice(chunk);
    }
    out
}

pub fn prelogin(encryption: u8) -> Vec<u8> {
    vec![
        0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF, 0x0C, 0, 0, 0, 0, 0, encryption,
    ]
}

pub fn login7(user: &str, password: &str, database: &str, packet_size: u32) -> Vec<u8> {
    let obfuscated: Vec<u8> = utf16(password)
        .iter()
        .map(|b| b.rotate_left(4) ^ 0xA5)
        .collect();
    let fields: [(usize, Vec<u8>); 9] = [
        (4, utf16("host")),
        (user.encode_utf16().count(), utf16(user)),
        (password.encode_utf16().count(), obfuscated),
        (3, utf16("raw")),
        (3, utf16("srv")),
        (0, vec![]),
        (3, utf16("lib")),
        (0, vec![]),
        (database.encode_utf16().count(), utf16(database)),
    ];
    let mut fixed = vec![0u8; 36];
    fixed[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
    fixed[8..12].copy_from_slice(&packet_size.to_le_bytes());
    let data_start = 36 + 9 * 4 + 6 + 12 + 4;
    let mut table = Vec::new();
    let mut data = Vec::new();
    for (chars, bytes) in fields {
        table.extend_from_slice(&((data_start + data.len()) as u16).to_le_bytes());
        table.extend_from_slice(&(chars as u16).to_le_bytes());
        data.extend(bytes);
    }
    table.extend_from_slice(&[0; 22]);
    let mut out = fixed;
    out.extend(table);
    out.extend(data);
    let len = out.len() as u32;
    out[0..4].copy_from_slice(&len.to_le_bytes());
    out
}

/// ALL_HEADERS with a transaction descriptor header.
pub fn all_headers() -> Vec<u8> {
    let mut h = vec![22, 0, 0, 0, 18, 0, 0, 0, 2, 0];
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

pub fn batch(sql: &str) -> Vec<u8> {
    let mut p = all_headers();
    p.extend(utf16(sql));
    p
}

/// One RPC by name (no ALL_HEADERS) with already-encoded parameters.
pub fn rpc_by_name(name: &str, params: &[u8]) -> Vec<u8> {
    let mut p = (name.encode_utf16().count() as u16).to_le_bytes().to_vec();
    p.extend(utf16(name));
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(params);
    p
}

/// An RPC parameter: name, status, then TYPE_INFO and value bytes.
pub fn param(name: &str, output: bool, typed_value: &[u8]) -> Vec<u8> {
    let mut p = vec![name.encode_utf16().count() as u8];
    p.extend(utf16(name));
    p.push(u8::from(output));
    p.extend_from_slice(typed_value);
    p
}

pub struct RawClient {
    pub stream: TcpStream,
    pub packet_size: usize,
}

impl RawClient {
    pub fn connect(addr: SocketAddr) -> io::Result<RawClient> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(RawClient {
            stream,
            packet_size: 4096,
        })
    }

    /// PRELOGIN and LOGIN7; the login response's tokens.
    pub fn login(addr: SocketAddr, user: &str, password: &str) -> io::Result<(RawClient, Tokens)> {
        let mut c = RawClient::connect(addr)?;
        c.send(PRELOGIN, 0, &prelogin(0x02))?;
        c.read_message()?;
        c.send(LOGIN7, 0, &login7(user, password, "", 4096))?;
        let tokens = Tokens::parse(&c.read_message()?);
        Ok((c, tokens))
    }

    pub fn send(&mut self, ty: u8, status: u8, payload: &[u8]) -> io::Result<()> {
        self.stream
            .write_all(&packets(ty, status, payload, self.packet_size))
    }

    /// Sends bytes, then closes the sending side.
    pub fn send_and_close(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.shutdown(Shutdown::Write)
    }

    /// One response message's payload.
    pub fn read_message(&mut self) -> io::Result<Vec<u8>> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 8];
            self.stream.read_exact(&mut header)?;
            assert_eq!(header[0], 0x04, "server packets are tabular results");
            let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
            assert!(len >= 8 && len <= self.packet_size, "packet length {len}");
            let start = payload.len();
            payload.resize(start + len - 8, 0);
            self.stream.read_exact(&mut payload[start..])?;
            if header[1] & 1 != 0 {
                return Ok(payload);
            }
        }
    }

    pub fn request(&mut self, ty: u8, payload: &[u8]) -> io::Result<Tokens> {
        self.send(ty, 0, payload)?;
        Ok(Tokens::parse(&self.read_message()?))
    }

    /// Reads until the server closes, returning everything it sent.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = self.stream.read_to_end(&mut all);
        all
    }
}

/// The tokens of a response that tests look at; parsing stops at the
/// first token it does not know (COLMETADATA/ROW).
#[derive(Debug, Default)]
pub struct Tokens {
    pub errors: Vec<i32>,
    pub infos: Vec<i32>,
    pub env_changes: Vec<(u8, Vec<u8>)>,
    pub login_ack: bool,
    pub return_status: Option<i32>,
    /// (ordinal, name, INTN value)
    pub return_values: Vec<(u16, String, Option<i64>)>,
    /// (token, status, count)
    pub dones: Vec<(u8, u16, u64)>,
    /// The bytes from the first unparsed token on.
    pub rest: Vec<u8>,
}

fn le16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

impl Tokens {
    pub fn parse(b: &[u8]) -> Tokens {
        let mut t = Tokens::default();
        let mut i = 0;
        while i < b.len() {
            let next = match b[i] {
                0xAA | 0xAB => le16(b, i + 1).map(|len| {
                    let number = i32::from_le_bytes(b[i + 3..i + 7].try_into().unwrap());
                    if b[i] == 0xAA {
                        t.errors.push(number)
                    } else {
                        t.infos.push(number)
                    }
                    i + 3 + len
                }),
                0xE3 => le16(b, i + 1).map(|len| {
                    t.env_changes
                        .push((b[i + 3], b[i + 4..i + 3 + len].to_vec()));
                    i + 3 + len
                }),
                0xAD => le16(b, i + 1).map(|len| {
                    t.login_ack = true;
                    i + 3 + len
                }),
                0x79 => {
                    t.return_status = Some(i32::from_le_bytes(b[i + 1..i + 5].try_into().unwrap()));
                    Some(i + 5)
                }
                0xAC => {
                    let ordinal = le16(b, i + 1).unwrap() as u16;
                    let name_len = usize::from(b[i + 3]) * 2;
                    let name = String::from_utf16(
                        &b[i + 4..i + 4 + name_len]
                            .chunks(2)
                            .map(|c| u16::from_le_bytes([c[0], c[1]]))
                            .collect::<Vec<_>>(),
                    )
                    .unwrap();
                    let at = i + 4 + name_len + 1 + 4 + 2;
                    assert_eq!(b[at], 0x26, "test parser knows INTN return values only");
                    let len = usize::from(b[at + 2]);
                    let mut v = [0u8; 8];
                    v[..len].copy_from_slice(&b[at + 3..at + 3 + len]);
                    let value = (len > 0).then(|| i64::from_le_bytes(v));
                    t.return_values.push((ordinal, name, value));
                    Some(at + 3 + len)
                }
                0xFD..=0xFF if i + 13 <= b.len() => {
                    let status = le16(b, i + 1).unwrap() as u16;
                    let count = u64::from_le_bytes(b[i + 5..i + 13].try_into().unwrap());
                    t.dones.push((b[i], status, count));
                    Some(i + 13)
                }
                _ => None,
            };
            match next {
                Some(n) => i = n,
                None => {
                    t.rest = b[i..].to_vec();
                    break;
                }
            }
        }
        t
    }

    /// The status of the response's last DONE: the last 13 bytes.
    pub fn final_done_status(payload: &[u8]) -> u16 {
        let d = &payload[payload.len() - 13..];
        assert!(
            matches!(d[0], 0xFD..=0xFF),
            "response ends with a DONE token"
        );
        u16::from_le_bytes([d[1], d[2]])
    }
}
