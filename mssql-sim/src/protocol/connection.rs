//! One client connection: handshake, then requests until the client leaves.
//!
//! After login the connection's thread reads one request at a time and runs
//! it. An attention (cancel) that arrives while a request runs is noticed by
//! [`AttentionWatch`]: the running request's next
//! [`Reply`](crate::session::Reply) call fails with `Abort::Cancelled`.
//! One thread per connection, no hand-over between threads: a round trip
//! costs two context switches, not four.

use std::cell::Cell;
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use super::cursor::DecodeError;
use super::idle_poll::IdlePoll;
use super::login::Login7;
use super::packet::{
    packet_type, read_message, Message, PacketWriter, ReadError, DEFAULT_PACKET_SIZE,
    STATUS_RESET_CONNECTION, STATUS_RESET_SKIP_TRAN,
};
use super::prelogin::{self, PreLogin};
use super::request::{parse_batch, parse_transaction};
use super::rpc::parse_rpcs;
use super::token::{self, env, CancelCheck, TokenWriter};
use crate::server::Faults;
use crate::session::{Abort, Done, DoneKind, Engine, Reply, SessionHandler};
use crate::types::ServerMessage;

/// "The incoming tabular data stream (TDS) protocol stream is incorrect."
const TDS_STREAM_ERROR: i32 = 4002;
/// "Login failed for user ..."
const LOGIN_FAILED: i32 = 18456;
/// A feature this server does not offer.
const NOT_SUPPORTED: i32 = 40517;
/// Deadlock victim: SQL Server sends it with class 13.
const DEADLOCK_VICTIM: i32 = 1205;
/// A TLS record: alert, TLS 1.2, length 2, fatal, handshake_failure.
const TLS_HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// How often a running request looks for an attention on the socket.
const ATTENTION_POLL: Duration = Duration::from_millis(1);

/// Notices an attention while a request runs. At most once per
/// [`ATTENTION_POLL`] it peeks at the socket without blocking: the client
/// sends nothing but an attention while a response is due, so a waiting
/// packet of that type means cancel. A request that ends sooner costs no
/// system call at all.
struct AttentionWatch {
    stream: TcpStream,
    next_poll: Cell<Instant>,
    seen: Cell<bool>,
}

impl AttentionWatch {
    /// Starts watching for one request; `buffered` is what the reader already holds.
    fn arm(&self, buffered: &[u8]) {
        self.seen
            .set(buffered.first() == Some(&packet_type::ATTENTION));
        self.next_poll.set(Instant::now() + ATTENTION_POLL);
    }
}

impl CancelCheck for AttentionWatch {
    fn requested(&self) -> bool {
        if self.seen.get() {
            return true;
        }
        let now = Instant::now();
        if now < self.next_poll.get() {
            return false;
        }
        self.next_poll.set(now + ATTENTION_POLL);
        let mut first = [0u8; 1];
        let pending = self.stream.set_nonblocking(true).is_ok()
            && matches!(self.stream.peek(&mut first), Ok(1))
            && first[0] == packet_type::ATTENTION;
        let _ = self.stream.set_nonblocking(false);
        self.seen.set(pending);
        pending
    }
}

/// Serves one accepted connection until it closes; never panics on input.
pub(crate) fn serve(
    stream: TcpStream,
    engine: &dyn Engine,
    faults: &Faults,
    idle: &IdlePoll,
    spid: u16,
) {
    let _ = stream.set_nodelay(true);
    let (Ok(write_half), Ok(read_half), Ok(watched)) =
        (stream.try_clone(), stream.try_clone(), stream.try_clone())
    else {
        return;
    };
    let mut out = PacketWriter::new(write_half, DEFAULT_PACKET_SIZE, spid);
    let mut input = BufReader::new(read_half);
    if let Some(session) = handshake(&mut input, &mut out, engine, faults) {
        let watch = AttentionWatch {
            stream: watched,
            next_poll: Cell::new(Instant::now()),
            seen: Cell::new(false),
        };
        let mut conn = Connection {
            out,
            session,
            watch,
            faults,
            idle,
            acknowledged_early: 0,
        };
        conn.run(&mut input);
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Writes ERROR + DONE(error) as one whole response.
fn error_response<W: Write>(out: &mut PacketWriter<W>, message: &ServerMessage) -> io::Result<()> {
    let no_cancel = AtomicBool::new(false);
    let mut w = TokenWriter::new(out, &no_cancel);
    let done = Done {
        kind: DoneKind::Done,
        error: true,
        count: None,
        cur_cmd: 0,
    };
    match w.error(message).and_then(|()| w.done(done)) {
        Ok(()) => w.finish(),
        Err(Abort::Io(e)) => Err(e),
        Err(Abort::Cancelled) => Ok(()),
    }
}

fn message(number: i32, class: u8, text: String) -> ServerMessage {
    ServerMessage {
        class,
        ..ServerMessage::error(number, text)
    }
}

fn malformed(detail: &str) -> ServerMessage {
    message(
        TDS_STREAM_ERROR,
        20,
        format!("The incoming tabular data stream (TDS) protocol stream is incorrect: {detail}."),
    )
}

fn decode_error(e: &DecodeError) -> ServerMessage {
    match e {
        DecodeError::Malformed(d) => malformed(d),
        DecodeError::Unsupported(d) => message(
            NOT_SUPPORTED,
            16,
            format!("mssql-sim does not support {d}."),
        ),
    }
}

fn login_failed(user: &str, reason: &str) -> ServerMessage {
    ServerMessage {
        state: 1,
        class: 14,
        ..ServerMessage::error(
            LOGIN_FAILED,
            format!("Login failed for user '{user}'. Reason: {reason}"),
        )
    }
}

/// PRELOGIN (optional) and LOGIN7; the session on success.
fn handshake<W: Write>(
    input: &mut BufReader<TcpStream>,
    out: &mut PacketWriter<W>,
    engine: &dyn Engine,
    faults: &Faults,
) -> Option<Box<dyn SessionHandler>> {
    let fail = |out: &mut PacketWriter<W>, m: ServerMessage| {
        let _ = error_response(out, &m);
        None
    };
    let mut msg = match read_message(input) {
        Ok(m) => m,
        Err(ReadError::Malformed(d)) => return fail(out, malformed(&d)),
        Err(_) => return None,
    };
    let mut wants_encryption = false;
    if msg.ty == packet_type::PRELOGIN {
        match PreLogin::parse(&msg.payload) {
            Ok(p) => wants_encryption = p.requires_encryption(),
            Err(e) => return fail(out, decode_error(&e)),
        }
        out.write(&prelogin::reply())
            .and_then(|()| out.finish())
            .ok()?;
        msg = match read_message(input) {
            Ok(m) => m,
            Err(ReadError::Malformed(d)) => return fail(out, malformed(&d)),
            Err(_) => return None,
        };
        if wants_encryption && msg.ty == packet_type::PRELOGIN {
            // A client that insists on encryption starts TLS here, inside
            // PRELOGIN packets. Answer in its terms, a fatal handshake_failure
            // alert, so it reports a TLS error instead of misreading tokens.
            let _ = out.send_message(packet_type::PRELOGIN, &TLS_HANDSHAKE_FAILURE);
            return None;
        }
    }
    if msg.ty != packet_type::LOGIN7 {
        return fail(
            out,
            malformed(&format!("expected LOGIN7, got packet type {:#04x}", msg.ty)),
        );
    }
    let login = match Login7::parse(&msg.payload) {
        Ok(l) => l,
        Err(e) => return fail(out, decode_error(&e)),
    };
    if wants_encryption {
        let reason = "the client requires encryption, which mssql-sim does not support \
                      (connect with encryption disabled)";
        return fail(out, login_failed(&login.user, reason));
    }
    if faults.refusing_logins() {
        let reason = "the server is refusing new logins (fault injection)";
        return fail(out, login_failed(&login.user, reason));
    }
    let session = match engine.login(&login.user, &login.password, &login.database) {
        Ok(s) => s,
        Err(m) => return fail(out, m),
    };
    let database = engine.database_name();
    let mut tokens = Vec::new();
    token::env_change_text(&mut tokens, env::DATABASE, &database, "master");
    let changed = ServerMessage {
        state: 2,
        class: 0,
        ..ServerMessage::error(5701, format!("Changed database context to '{database}'."))
    };
    token::message(&mut tokens, false, &changed);
    token::env_change_collation(&mut tokens);
    token::env_change_text(&mut tokens, env::LANGUAGE, "us_english", "");
    token::login_ack(&mut tokens, login.tds_version);
    let size = login.packet_size.to_string();
    token::env_change_text(&mut tokens, env::PACKET_SIZE, &size, &size);
    let no_cancel = AtomicBool::new(false);
    let mut w = TokenWriter::new(out, &no_cancel);
    w.raw(&tokens).and_then(|()| w.finish()).ok()?;
    out.set_packet_size(login.packet_size);
    Some(session)
}

/// Whether the connection goes on after a request.
enum Flow {
    Continue,
    Close,
}

struct Connection<'a> {
    out: PacketWriter<TcpStream>,
    session: Box<dyn SessionHandler>,
    watch: AttentionWatch,
    faults: &'a Faults,
    idle: &'a IdlePoll,
    /// Attentions already answered by a cancelled response, whose messages
    /// are still in the channel.
    acknowledged_early: u32,
}

impl Connection<'_> {
    fn run(&mut self, input: &mut BufReader<TcpStream>) {
        loop {
            if self.idle.wait(input).is_err() {
                return;
            }
            let flow = match read_message(input) {
                Ok(m) if m.ty == packet_type::ATTENTION && self.acknowledged_early > 0 => {
                    self.acknowledged_early -= 1;
                    Flow::Continue
                }
                Ok(m) if m.ty == packet_type::ATTENTION => {
                    let no_cancel = AtomicBool::new(false);
                    match TokenWriter::new(&mut self.out, &no_cancel).finish_cancelled() {
                        Ok(()) => Flow::Continue,
                        Err(_) => Flow::Close,
                    }
                }
                Ok(m) => {
                    let _running = self.idle.running();
                    self.watch.arm(input.buffer());
                    self.request(m)
                }
                Err(ReadError::Malformed(d)) => {
                    let _ = error_response(&mut self.out, &malformed(&d));
                    Flow::Close
                }
                Err(_) => Flow::Close,
            };
            if let Flow::Close = flow {
                return;
            }
        }
    }

    fn request(&mut self, msg: Message) -> Flow {
        if let Some(delay) = self.faults.take_delay() {
            thread::sleep(delay);
        }
        if self.faults.take_drop() {
            self.out.truncate_next_packet();
        }
        if msg.status & (STATUS_RESET_CONNECTION | STATUS_RESET_SKIP_TRAN) != 0 {
            self.session.reset();
        }
        if let Some(number) = self.faults.take_failure() {
            let (class, text) = if number == DEADLOCK_VICTIM {
                (
                    13,
                    "Transaction (Process ID 51) was deadlocked on lock resources with \
                      another process and has been chosen as the deadlock victim. \
                      Rerun the transaction."
                        .to_string(),
                )
            } else {
                (16, format!("Error {number} injected by mssql-sim."))
            };
            return self.respond_error(&message(number, class, text));
        }
        let mut w = TokenWriter::new(&mut self.out, &self.watch);
        let session = &mut self.session;
        let outcome = match msg.ty {
            packet_type::SQL_BATCH => {
                parse_batch(&msg.payload).map(|sql| session.batch(&sql, &mut w))
            }
            packet_type::RPC => parse_rpcs(&msg.payload)
                .map(|calls| calls.iter().try_for_each(|call| session.rpc(call, &mut w))),
            packet_type::TRANSACTION => {
                parse_transaction(&msg.payload).map(|req| session.transaction(req, &mut w))
            }
            other => Err(DecodeError::malformed(format!(
                "unexpected packet type {other:#04x} after login"
            ))),
        };
        match outcome {
            Ok(Ok(())) => to_flow(w.finish()),
            Ok(Err(Abort::Cancelled)) => {
                // The attention itself is still to be read; it needs no second answer.
                self.acknowledged_early += 1;
                to_flow(w.finish_cancelled())
            }
            Ok(Err(Abort::Io(_))) => match w.take_encode_failure() {
                Some(detail) => {
                    let m = message(
                        TDS_STREAM_ERROR,
                        16,
                        format!("mssql-sim could not encode a result: {detail}."),
                    );
                    let done = Done {
                        kind: DoneKind::Done,
                        error: true,
                        count: None,
                        cur_cmd: 0,
                    };
                    let sent = w.error(&m).and_then(|()| w.done(done));
                    match sent {
                        Ok(()) => to_flow(w.finish()),
                        Err(_) => Flow::Close,
                    }
                }
                None => Flow::Close,
            },
            Err(e) => {
                drop(w);
                let flow = self.respond_error(&decode_error(&e));
                match e {
                    DecodeError::Malformed(_) => Flow::Close,
                    DecodeError::Unsupported(_) => flow,
                }
            }
        }
    }

    fn respond_error(&mut self, m: &ServerMessage) -> Flow {
        to_flow(error_response(&mut self.out, m))
    }
}

fn to_flow(result: io::Result<()>) -> Flow {
    match result {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Close,
    }
}
