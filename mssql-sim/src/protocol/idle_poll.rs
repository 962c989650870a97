//! Waiting for a client's next request by polling its socket for a moment
//! before blocking.
//!
//! A blocked thread that a client's packet wakes on another CPU costs a
//! cross-CPU wake-up, and in a virtual machine that is an inter-processor
//! interrupt through the hypervisor: tens of microseconds, more than the
//! whole request takes to run. A client that sends its next request soon
//! after the last reply (a test, a pool) finds the thread still polling
//! and pays none of it. The poll is bounded three ways: by a window after
//! each reply; by the number of polls started since, so that at most one
//! CPU fewer than the machine has is ever spent polling (each start ends
//! the oldest poll beyond that: the latest replier is the likeliest to be
//! asked next); and by other requests, for while any request in the process
//! is being served, pollers stop rather than take CPU time from it (on a
//! busy machine the wake-ups they would save cost less anyway).

use std::io::{self, BufRead, BufReader};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What pollers watch, across every server in the process: tests start
/// many servers in one process, and the CPUs are shared all the same.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    polls_started: AtomicUsize,
    requests_running: AtomicUsize,
}

static ACTIVITY: Activity = Activity {
    polls_started: AtomicUsize::new(0),
    requests_running: AtomicUsize::new(0),
};

/// How long a connection's thread polls for the next request, shared by
/// every connection of one server.
#[derive(Debug)]
pub(crate) struct IdlePoll {
    window: Duration,
    /// How many of the latest pollers may poll at once.
    pollers: usize,
    activity: &'static Activity,
}

impl IdlePoll {
    /// Polls for up to `window` after each reply, on at most one CPU fewer
    /// than the machine has (at least one). A zero window never polls.
    pub(crate) fn new(window: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        IdlePoll {
            window,
            pollers: cpus.saturating_sub(1).max(1),
            activity: &ACTIVITY,
        }
    }

    /// Marks a request as running until the guard drops; pollers stop
    /// meanwhile.
    pub(crate) fn running(&self) -> Running {
        self.activity
            .requests_running
            .fetch_add(1, Ordering::AcqRel);
        Running(self.activity)
    }

    /// Returns once `input` has bytes buffered, the client has gone, the
    /// window ran out, newer pollers took over or a request started running;
    /// the caller's blocking read follows. An error means the socket could not
    /// be made blocking again, and the connection must close.
    pub(crate) fn wait(&self, input: &mut BufReader<TcpStream>) -> io::Result<()> {
        if self.window.is_zero() || !input.buffer().is_empty() {
            return Ok(());
        }
        let me = self.start();
        if input.get_ref().set_nonblocking(true).is_err() {
            return Ok(());
        }
        let start = Instant::now();
        loop {
            match input.fill_buf() {
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        && self.still_mine(me)
                        && self.no_request_running()
                        && start.elapsed() < self.window =>
                {
                    // Yield rather than spin: a thread with real work on
                    // this CPU runs first, and the CPU still never idles.
                    std::thread::yield_now();
                }
                // Bytes, end of stream, an error, or a reason to stop: the
                // blocking read that follows sees each for itself.
                _ => break,
            }
        }
        input.get_ref().set_nonblocking(false)
    }

    /// Takes this poll's number in the order of starts.
    fn start(&self) -> usize {
        self.activity.polls_started.fetch_add(1, Ordering::AcqRel)
    }

    /// Whether fewer than `pollers` polls started after poll `me`.
    fn still_mine(&self, me: usize) -> bool {
        let started = self.activity.polls_started.load(Ordering::Acquire);
        started.wrapping_sub(me) <= self.pollers
    }

    fn no_request_running(&self) -> bool {
        self.activity.requests_running.load(Ordering::Acquire) == 0
    }
}

/// A running request (see [`IdlePoll::running`]).
pub(crate) struct Running(&'static Activity);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.requests_running.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A poll with slots of its own, apart from other tests' servers.
    fn private_poll(window: Duration, pollers: usize) -> IdlePoll {
        IdlePoll {
            window,
            pollers,
            activity: Box::leak(Box::default()),
        }
    }

    fn pair() -> (TcpStream, BufReader<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, BufReader::new(server))
    }

    #[test]
    fn a_request_after_the_window_is_read_by_a_blocking_read() {
        let (mut client, mut server) = pair();
        private_poll(Duration::from_millis(1), 1)
            .wait(&mut server)
            .unwrap();
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            client.write_all(b"late").unwrap();
            client
        });
        // Left non-blocking, this read would fail with WouldBlock at once.
        let mut got = [0u8; 4];
        server.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"late");
        drop(late.join());
    }

    #[test]
    fn a_request_within_the_window_is_buffered_when_the_poll_returns() {
        let (mut client, mut server) = pair();
        client.write_all(b"soon").unwrap();
        private_poll(Duration::from_secs(5), 1)
            .wait(&mut server)
            .unwrap();
        assert_eq!(server.buffer(), b"soon");
    }

    #[test]
    fn a_newer_poll_takes_over_from_the_oldest() {
        let poll = private_poll(Duration::from_secs(5), 2);
        let (first, second) = (poll.start(), poll.start());
        assert!(poll.still_mine(first) && poll.still_mine(second));
        let third = poll.start();
        assert!(!poll.still_mine(first), "three polls at once, two allowed");
        assert!(poll.still_mine(second) && poll.still_mine(third));
    }

    /// A thread polling an idle connection with a 60 s window, once it has
    /// started.
    fn polling_for_a_minute() -> (&'static IdlePoll, std::thread::JoinHandle<TcpStream>) {
        let (client, mut server) = pair();
        let poll: &'static IdlePoll = Box::leak(Box::new(private_poll(Duration::from_secs(60), 1)));
        let polling = std::thread::spawn(move || {
            poll.wait(&mut server).unwrap();
            client
        });
        while poll.activity.polls_started.load(Ordering::Acquire) == 0 {
            std::thread::yield_now();
        }
        (poll, polling)
    }

    /// Joins the poller, failing if it ran out its window instead of stopping.
    fn ends_early(polling: std::thread::JoinHandle<TcpStream>) {
        let start = Instant::now();
        polling.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the poll ran out its 60 s window"
        );
    }

    #[test]
    fn a_poll_ends_when_a_newer_one_takes_over() {
        let (poll, polling) = polling_for_a_minute();
        poll.start();
        ends_early(polling);
    }

    #[test]
    fn a_poll_ends_when_a_request_starts_running() {
        let (poll, polling) = polling_for_a_minute();
        let running = poll.running();
        ends_early(polling);
        drop(running);
        assert!(poll.no_request_running());
    }
}
