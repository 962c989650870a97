//! Checked little-endian reads over a byte slice: every read either returns
//! the bytes asked for or a [`DecodeError`], never panics.

use std::fmt;

/// Why a client's bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not valid TDS (truncated, bad lengths, bad text); the
    /// connection is closed after the error is reported.
    Malformed(String),
    /// Valid TDS that this server does not implement (e.g. a MONEY parameter);
    /// the request is refused and the connection stays usable.
    Unsupported(String),
}

impl DecodeError {
    /// A [`DecodeError::Malformed`] with the given description.
    pub fn malformed(what: impl Into<String>) -> Self {
        DecodeError::Malformed(what.into())
    }

    /// A [`DecodeError::Unsupported`] with the given description.
    pub fn unsupported(what: impl Into<String>) -> Self {
        DecodeError::Unsupported(what.into())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed(s) => write!(f, "malformed TDS stream: {s}"),
            DecodeError::Unsupported(s) => write!(f, "unsupported: {s}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Result of a decoding step.
pub type DecodeResult<T> = Result<T, DecodeError>;

/// A read position in a byte slice.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next byte without consuming it.
    pub fn peek_u8(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| {
                DecodeError::malformed(format!(
                    "needed {n} bytes at offset {}, {} left",
                    self.pos,
                    self.remaining()
                ))
            })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> DecodeResult<()> {
        self.bytes(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> DecodeResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> DecodeResult<u16> {
        self.array().map(u16::from_le_bytes)
    }

    /// A big-endian u16 (PRELOGIN offsets).
    pub fn u16_be(&mut self) -> DecodeResult<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> DecodeResult<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> DecodeResult<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A little-endian unsigned integer of 1 to 8 bytes.
    pub fn uint_le(&mut self, n: usize) -> DecodeResult<u64> {
        if n > 8 {
            return Err(DecodeError::malformed(format!("{n}-byte integer")));
        }
        let bytes = self.bytes(n)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// `chars` UTF-16LE code units as a string.
    pub fn utf16(&mut self, chars: usize) -> DecodeResult<String> {
        let byte_len = chars
            .checked_mul(2)
            .ok_or_else(|| DecodeError::malformed("string length overflow"))?;
        utf16_to_string(self.bytes(byte_len)?)
    }

    /// A B_VARCHAR: one byte of length in characters, then UTF-16LE.
    pub fn b_varchar(&mut self) -> DecodeResult<String> {
        let len = self.u8()?;
        self.utf16(usize::from(len))
    }
}

/// Decodes UTF-16LE bytes; an odd length or an unpaired surrogate is malformed.
pub fn utf16_to_string(bytes: &[u8]) -> DecodeResult<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::malformed("odd byte count in UTF-16 text"));
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| DecodeError::malformed("invalid UTF-16 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.u16().unwrap(), 0x0201);
        assert!(c.u16().is_err());
        assert_eq!(c.u8().unwrap(), 3);
        assert!(c.bytes(usize::MAX).is_err());
        assert!(c.utf16(usize::MAX).is_err());
    }

    #[test]
    fn uint_le_of_any_width() {
        let mut c = Cursor::new(&[0x01, 0x02, 0x03]);
        assert_eq!(c.uint_le(3).unwrap(), 0x030201);
        assert!(Cursor::new(&[0; 9]).uint_le(9).is_err());
    }

    #[test]
    fn utf16_rejects_lone_surrogates() {
        assert!(utf16_to_string(&[0x00, 0xD8]).is_err());
        assert_eq!(utf16_to_string(&[0x41, 0x00]).unwrap(), "A");
    }
}
