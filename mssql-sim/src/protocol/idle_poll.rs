//! Waiting for a client's next request by polling its socket for a moment
//! before blocking.
//!
//! A blocked thread that a client's packet wakes on another CPU costs a
//! cross-CPU wake-up, and in a virtual machine that is an inter-processor
//! interrupt through the hypervisor: tens of microseconds, more than the
//! whole request takes to run. A client that sends its next request soon
//! after the last reply (a test, a pool) finds the thread still polling
//! and pays none of it. The poll is bounded twice: by a window after each
//! reply, and by a number of slots so that pollers never take every CPU
//! from the clients and from the threads doing real work.

use std::io::{self, BufRead, BufReader};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Threads polling right now, across every server in the process: tests
/// start many servers in one process, and the CPUs are shared all the same.
static POLLING: AtomicUsize = AtomicUsize::new(0);

/// How long a connection's thread polls for the next request, shared by
/// every connection of one server.
#[derive(Debug)]
pub(crate) struct IdlePoll {
    window: Duration,
    slots: usize,
    polling: &'static AtomicUsize,
}

impl IdlePoll {
    /// Polls for up to `window` after each reply, on at most one CPU fewer
    /// than the machine has (at least one). A zero window never polls.
    pub(crate) fn new(window: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        IdlePoll {
            window,
            slots: cpus.saturating_sub(1).max(1),
            polling: &POLLING,
        }
    }

    /// Returns once `input` has bytes buffered, the client has gone, or the
    /// window (or a free slot) ran out; the caller's blocking read follows.
    pub(crate) fn wait(&self, input: &mut BufReader<TcpStream>) {
        if self.window.is_zero() || !input.buffer().is_empty() {
            return;
        }
        let Some(_slot) = self.take_slot() else {
            return;
        };
        if input.get_ref().set_nonblocking(true).is_err() {
            return;
        }
        let start = Instant::now();
        loop {
            match input.fill_buf() {
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock && start.elapsed() < self.window =>
                {
                    // Yield rather than spin: a thread with real work on
                    // this CPU runs first, and the CPU still never idles.
                    std::thread::yield_now();
                }
                // Bytes, end of stream, an error, or time up: the blocking
                // read that follows sees each for itself.
                _ => break,
            }
        }
        let _ = input.get_ref().set_nonblocking(false);
    }

    fn take_slot(&self) -> Option<Slot> {
        self.polling
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.slots).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.polling))
    }
}

/// One poller's share of the slots, given back on drop.
struct Slot(&'static AtomicUsize);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A poll with slots of its own, apart from other tests' servers.
    fn private_poll(window: Duration, slots: usize) -> IdlePoll {
        IdlePoll {
            window,
            slots,
            polling: Box::leak(Box::new(AtomicUsize::new(0))),
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
        private_poll(Duration::from_millis(1), 1).wait(&mut server);
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
        private_poll(Duration::from_secs(5), 1).wait(&mut server);
        assert_eq!(server.buffer(), b"soon");
    }

    #[test]
    fn no_more_threads_poll_than_there_are_slots() {
        let poll = private_poll(Duration::from_millis(1), 1);
        let first = poll.take_slot().expect("a free slot");
        assert!(poll.take_slot().is_none(), "a second poller got in");
        drop(first);
        assert!(poll.take_slot().is_some(), "the slot did not come back");
    }
}
