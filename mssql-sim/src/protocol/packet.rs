//! TDS packet framing: the 8-byte header, reassembly of a message from its
//! packets, and a writer that splits a response into packets of the
//! negotiated size as it fills.

use std::io::{self, Read, Write};

/// Packet types (the first header byte).
pub mod packet_type {
    /// SQL batch request.
    pub const SQL_BATCH: u8 = 0x01;
    /// Remote procedure call request.
    pub const RPC: u8 = 0x03;
    /// Tabular result (every server response).
    pub const TABULAR: u8 = 0x04;
    /// Attention (cancel) signal.
    pub const ATTENTION: u8 = 0x06;
    /// Transaction-manager request.
    pub const TRANSACTION: u8 = 0x0E;
    /// LOGIN7 record.
    pub const LOGIN7: u8 = 0x10;
    /// PRELOGIN handshake.
    pub const PRELOGIN: u8 = 0x12;
}

/// Header status bit: last packet of the message.
pub const STATUS_EOM: u8 = 0x01;
/// Header status bit: reset the session before running this request.
pub const STATUS_RESET_CONNECTION: u8 = 0x08;
/// Header status bit: reset the session but keep its transaction.
pub const STATUS_RESET_SKIP_TRAN: u8 = 0x10;
/// Length of the packet header.
pub const HEADER_LEN: usize = 8;
/// The largest request message accepted (all packets together).
pub const MAX_MESSAGE_LEN: usize = 64 << 20;
/// The packet size used until LOGIN7 negotiates one.
pub const DEFAULT_PACKET_SIZE: usize = 4096;
/// The smallest and largest packet sizes a client may negotiate.
pub const PACKET_SIZE_RANGE: (usize, usize) = (512, 32767);

/// A complete client message.
#[derive(Debug)]
pub struct Message {
    /// The packet type.
    pub ty: u8,
    /// The status byte of the first packet (carries the reset bits).
    pub status: u8,
    /// The payloads of all packets, concatenated.
    pub payload: Vec<u8>,
}

/// Why no message could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection between messages.
    Closed,
    /// The socket failed, or closed in the middle of a packet.
    Io,
    /// The framing is invalid; the description goes into the ERROR token.
    Malformed(String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// Reads packets until one carries end-of-message.
pub fn read_message(input: &mut impl Read) -> Result<Message, ReadError> {
    let mut message: Option<Message> = None;
    loop {
        let mut header = [0u8; HEADER_LEN];
        if !read_header(input, &mut header, message.is_none())? {
            return Err(ReadError::Closed);
        }
        let (ty, status) = (header[0], header[1]);
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if len < HEADER_LEN {
            return Err(ReadError::Malformed(format!(
                "packet length {len} is shorter than its header"
            )));
        }
        let msg = message.get_or_insert_with(|| Message {
            ty,
            status,
            payload: Vec::new(),
        });
        if msg.ty != ty {
            return Err(ReadError::Malformed(format!(
                "packet of type {ty:#04x} inside a message of type {:#04x}",
                msg.ty
            )));
        }
        let body = len - HEADER_LEN;
        if msg.payload.len() + body > MAX_MESSAGE_LEN {
            return Err(ReadError::Malformed(format!(
                "request larger than {MAX_MESSAGE_LEN} bytes"
            )));
        }
        let start = msg.payload.len();
        msg.payload.resize(start + body, 0);
        input.read_exact(&mut msg.payload[start..])?;
        if status & STATUS_EOM != 0 {
            return message.ok_or_else(|| ReadError::Malformed("empty message".into()));
        }
    }
}

/// Fills `header`; `Ok(false)` on a clean end of stream before its first
/// byte, when `at_boundary` says a message may end there.
fn read_header(input: &mut impl Read, header: &mut [u8], at_boundary: bool) -> io::Result<bool> {
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 && at_boundary => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Writes one response message as packets of the negotiated size, sending
/// each packet as soon as it is full.
pub struct PacketWriter<W: Write> {
    out: W,
    packet_size: usize,
    spid: u16,
    packet_id: u8,
    /// Header space followed by the payload not yet sent.
    buf: Vec<u8>,
    /// Fault injection: send half of the next packet, then fail.
    truncate: bool,
    failed: bool,
}

impl<W: Write> PacketWriter<W> {
    /// A writer of packets of `packet_size` bytes, headers carrying `spid`.
    pub fn new(out: W, packet_size: usize, spid: u16) -> Self {
        let mut buf = Vec::with_capacity(packet_size + HEADER_LEN);
        buf.resize(HEADER_LEN, 0);
        PacketWriter {
            out,
            packet_size,
            spid,
            packet_id: 1,
            buf,
            truncate: false,
            failed: false,
        }
    }

    /// Changes the packet size for the following messages.
    pub fn set_packet_size(&mut self, packet_size: usize) {
        self.packet_size = packet_size;
    }

    /// Makes the next packet go out cut in half, after which every write
    /// fails: the "drop the connection mid-response" fault.
    pub fn truncate_next_packet(&mut self) {
        self.truncate = true;
    }

    /// Appends token bytes, sending every packet that fills up.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.check()?;
        self.buf.extend_from_slice(bytes);
        // Keep the last (possibly exactly full) packet back: `finish` needs
        // something to mark end-of-message.
        while self.buf.len() > self.packet_size {
            self.send(self.packet_size, false)?;
        }
        Ok(())
    }

    /// Sends `body` at once as a whole one-packet message of type `ty`
    /// (outside the token stream: the TLS alert of the handshake).
    pub fn send_message(&mut self, ty: u8, body: &[u8]) -> io::Result<()> {
        self.check()?;
        let len = u16::try_from(body.len() + HEADER_LEN)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let mut packet = vec![ty, STATUS_EOM];
        packet.extend_from_slice(&len.to_be_bytes());
        packet.extend_from_slice(&self.spid.to_be_bytes());
        packet.extend_from_slice(&[1, 0]);
        packet.extend_from_slice(body);
        self.out.write_all(&packet)?;
        self.out.flush()
    }

    /// Sends what is buffered as the last packet of the message.
    pub fn finish(&mut self) -> io::Result<()> {
        self.check()?;
        self.send(self.buf.len(), true)?;
        self.packet_id = 1;
        self.out.flush()
    }

    fn check(&self) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "connection already failed",
            ));
        }
        Ok(())
    }

    /// Sends the first `len` buffered bytes (header included) as one packet.
    fn send(&mut self, len: usize, eom: bool) -> io::Result<()> {
        let wire_len = u16::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        self.buf[0] = packet_type::TABULAR;
        self.buf[1] = if eom { STATUS_EOM } else { 0 };
        self.buf[2..4].copy_from_slice(&wire_len.to_be_bytes());
        self.buf[4..6].copy_from_slice(&self.spid.to_be_bytes());
        self.buf[6] = self.packet_id;
        self.buf[7] = 0;
        self.packet_id = self.packet_id.wrapping_add(1);
        if self.truncate {
            self.failed = true;
            self.out.write_all(&self.buf[..len / 2])?;
            self.out.flush()?;
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "response dropped by fault injection",
            ));
        }
        let result = self.out.write_all(&self.buf[..len]);
        self.failed = result.is_err();
        result?;
        self.buf.drain(HEADER_LEN..len);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(ty: u8, status: u8, body: &[u8]) -> Vec<u8> {
        let len = (body.len() + HEADER_LEN) as u16;
        let mut p = vec![ty, status];
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(&[0, 0, 1, 0]);
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn reassembles_until_eom() {
        let mut bytes = packet(1, 0x08, b"ab");
        bytes.extend(packet(1, STATUS_EOM, b"cd"));
        let msg = read_message(&mut bytes.as_slice()).unwrap();
        assert_eq!(
            (msg.ty, msg.status, msg.payload.as_slice()),
            (1, 0x08, &b"abcd"[..])
        );
    }

    #[test]
    fn rejects_bad_framing() {
        let short = [1u8, 1, 0, 4, 0, 0, 0, 0];
        assert!(matches!(
            read_message(&mut &short[..]),
            Err(ReadError::Malformed(_))
        ));
        let mut mixed = packet(1, 0, b"a");
        mixed.extend(packet(3, 1, b"b"));
        assert!(matches!(
            read_message(&mut mixed.as_slice()),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(read_message(&mut &[][..]), Err(ReadError::Closed)));
        assert!(matches!(
            read_message(&mut &[1u8, 1, 0][..]),
            Err(ReadError::Io)
        ));
    }

    #[test]
    fn splits_at_packet_size_and_marks_last() {
        let mut out = Vec::new();
        let mut w = PacketWriter::new(&mut out, 16, 7);
        w.write(&[0xAB; 20]).unwrap();
        w.finish().unwrap();
        // 20 bytes of payload at 8 per packet: 8 + 8 + 4.
        let lens: Vec<u8> = vec![out[3], out[16 + 3], out[32 + 3]];
        assert_eq!(lens, vec![16, 16, 12]);
        assert_eq!((out[1], out[17], out[33]), (0, 0, STATUS_EOM));
        assert_eq!((out[6], out[22], out[38]), (1, 2, 3));
        assert_eq!(out.len(), 44);
    }
}
