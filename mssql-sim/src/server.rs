//! The TCP server: a listener thread, one thread per connection, and the
//! fault injection that tests use to simulate a misbehaving SQL Server.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::protocol::{self, IdlePoll};
use crate::session::Engine;

/// The default [`ServerConfig::idle_poll`]: longer than a client's usual
/// turn-around between a reply and its next request, short enough to cost
/// an idle server nothing.
pub const DEFAULT_IDLE_POLL: Duration = Duration::from_micros(200);

/// Where the server listens. Credentials are the engine's business: the
/// server hands every LOGIN7's user and password to [`Engine::login`].
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// How long a connection's thread polls for the client's next request
    /// after a reply before it blocks (zero: block at once). Polling spares
    /// a client that asks again soon the cross-CPU wake-up of a blocked
    /// thread, at the price of that much CPU time per reply.
    pub idle_poll: Duration,
}

impl Default for ServerConfig {
    /// 127.0.0.1 on a free port.
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            idle_poll: DEFAULT_IDLE_POLL,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Faults to inject, shared by all connections of a server. Each is
/// consumed by the first request (SQL batch, RPC or transaction-manager
/// request, on any connection) that comes after it is armed, except
/// [`Faults::refuse_logins`], which stays until turned off.
#[derive(Debug, Default)]
pub struct Faults {
    delay: Mutex<Option<Duration>>,
    drop_response: AtomicBool,
    fail_statement: Mutex<Option<i32>>,
    refuse_logins: AtomicBool,
}

impl Faults {
    /// Waits `delay` before answering the next request.
    pub fn delay_next_reply(&self, delay: Duration) {
        *lock(&self.delay) = Some(delay);
    }

    /// Sends only part of the next response, then closes that connection.
    pub fn drop_next_response(&self) {
        self.drop_response.store(true, Ordering::SeqCst);
    }

    /// Answers the next request with error `number` (class 16, or 13 for a
    /// 1205 deadlock, as SQL Server does) without running it.
    pub fn fail_next_statement(&self, number: i32) {
        *lock(&self.fail_statement) = Some(number);
    }

    /// While `refuse` is true, every LOGIN7 is answered with login error 18456.
    pub fn refuse_logins(&self, refuse: bool) {
        self.refuse_logins.store(refuse, Ordering::SeqCst);
    }

    pub(crate) fn take_delay(&self) -> Option<Duration> {
        lock(&self.delay).take()
    }

    pub(crate) fn take_drop(&self) -> bool {
        self.drop_response.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn take_failure(&self) -> Option<i32> {
        lock(&self.fail_statement).take()
    }

    pub(crate) fn refusing_logins(&self) -> bool {
        self.refuse_logins.load(Ordering::SeqCst)
    }
}

/// State shared by the listener and the connection threads.
struct Shared {
    stopping: AtomicBool,
    next_id: AtomicU64,
    /// A handle on every live connection's socket, to end them at shutdown.
    connections: Mutex<HashMap<u64, TcpStream>>,
}

/// A running server. Dropping it (or [`ServerHandle::shutdown`]) stops
/// accepting and closes every live connection.
pub struct ServerHandle {
    addr: SocketAddr,
    faults: Arc<Faults>,
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Binds `config.addr` and serves TDS connections on background threads.
pub fn start(engine: Arc<dyn Engine>, config: ServerConfig) -> io::Result<ServerHandle> {
    let listener = TcpListener::bind(config.addr)?;
    let addr = listener.local_addr()?;
    let faults = Arc::new(Faults::default());
    let shared = Arc::new(Shared {
        stopping: AtomicBool::new(false),
        next_id: AtomicU64::new(0),
        connections: Mutex::new(HashMap::new()),
    });
    let (f, s) = (Arc::clone(&faults), Arc::clone(&shared));
    let idle = Arc::new(IdlePoll::new(config.idle_poll));
    let handle = thread::Builder::new()
        .name("mssql-sim-accept".into())
        .spawn(move || accept_loop(listener, engine, f, idle, s))?;
    Ok(ServerHandle {
        addr,
        faults,
        shared,
        listener: Some(handle),
    })
}

fn accept_loop(
    listener: TcpListener,
    engine: Arc<dyn Engine>,
    faults: Arc<Faults>,
    idle: Arc<IdlePoll>,
    shared: Arc<Shared>,
) {
    let spids = AtomicU16::new(51);
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        // Accept errors (e.g. out of file descriptors) only lose that client.
        let Ok(stream) = stream else { continue };
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.connections).insert(id, clone);
        }
        let spid = spids.fetch_add(1, Ordering::SeqCst).max(51);
        let (engine, faults, idle, registry) = (
            Arc::clone(&engine),
            Arc::clone(&faults),
            Arc::clone(&idle),
            Arc::clone(&shared),
        );
        let spawned = thread::Builder::new()
            .name(format!("mssql-sim-conn-{spid}"))
            .spawn(move || {
                protocol::serve(stream, engine.as_ref(), &faults, &idle, spid);
                lock(&registry.connections).remove(&id);
            });
        if spawned.is_err() {
            if let Some(s) = lock(&shared.connections).remove(&id) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault injection switches of this server.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// Stops accepting and closes every live connection; their sessions end
    /// (and roll back) as their threads notice.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept; it sees the flag and returns.
        if TcpStream::connect(self.addr).is_ok() {
            let _ = listener.join();
        }
        for (_, stream) in lock(&self.shared.connections).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
