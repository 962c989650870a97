//! Random and mutated packets against a running server: no panic in any
//! server thread, and sessions that behave keep working.

mod protocol_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use protocol_common::raw::{self, RawClient};
use protocol_common::{start, PASSWORD, USER};

/// xorshift64*: a fixed seed makes every run throw the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Flips, overwrites, truncates or extends `data`.
    fn mutate(&mut self, mut data: Vec<u8>) -> Vec<u8> {
        for _ in 0..1 + self.below(4) {
            match self.below(4) {
                0 if !data.is_empty() => {
                    let i = self.below(data.len());
                    data[i] ^= 1 << self.below(8);
                }
                1 if !data.is_empty() => {
                    let i = self.below(data.len());
                    data[i] = self.next() as u8;
                }
                2 if !data.is_empty() => data.truncate(self.below(data.len())),
                _ => {
                    let n = self.below(16);
                    let extra = self.bytes(n);
                    data.extend(extra);
                }
            }
        }
        data
    }
}

fn valid_requests() -> Vec<(u8, Vec<u8>)> {
    let mut rpc = raw::all_headers();
    let mut params = raw::param("@a", true, &[0x26, 4, 4, 1, 0, 0, 0]);
    let mut s = vec![0xE7, 0xFF, 0xFF, 9, 4, 0xD0, 0, 0x34];
    s.extend_from_slice(&4u64.to_le_bytes());
    s.extend_from_slice(&[4, 0, 0, 0, b'h', 0, b'i', 0, 0, 0, 0, 0]);
    params.extend(raw::param("@s", false, &s));
    params.extend(raw::param("@d", false, &[0x6A, 5, 9, 2, 5, 1, 1, 0, 0, 0]));
    params.extend(raw::param(
        "@t",
        false,
        &[0x2A, 7, 8, 0, 0, 0, 0, 0, 1, 0, 0],
    ));
    rpc.extend(raw::rpc_by_name("dbo.P", &params));
    rpc.push(0xFF);
    rpc.extend(raw::rpc_by_name("dbo.Q", &[]));
    let mut tm = raw::all_headers();
    tm.extend_from_slice(&[5, 0, 0, 0]);
    vec![
        (raw::SQL_BATCH, raw::batch("rows 3; error 50000")),
        (raw::RPC, rpc),
        (raw::TRANSACTION, tm),
    ]
}

fn panics_in_server_threads() -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("mssql-sim"))
        {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        default(info);
    }));
    count
}

/// Sends `bytes` on a fresh connection (after logging in, if asked) and
/// reads until the server closes or stops answering.
fn throw(addr: std::net::SocketAddr, login: bool, bytes: &[u8]) {
    let mut c = if login {
        RawClient::login(addr, USER, PASSWORD).expect("login").0
    } else {
        RawClient::connect(addr).expect("connect")
    };
    c.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may close before everything is written; that is fine.
    let _ = c.send_and_close(bytes);
    c.read_to_close();
}

#[test]
fn random_and_mutated_packets_never_break_the_server() {
    let panics = panics_in_server_threads();
    let (server, _) = start();
    let addr = server.local_addr();
    let (mut bystander, _) = RawClient::login(addr, USER, PASSWORD).unwrap();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let login7 = raw::login7(USER, PASSWORD, "", 4096);
    let requests = valid_requests();
    for round in 0..400 {
        // Pure noise, before login.
        let noise_len = rng.below(300);
        throw(addr, false, &rng.bytes(noise_len));
        // A mutated PRELOGIN or LOGIN7, framed correctly or not.
        let (ty, payload) = if round % 2 == 0 {
            (raw::PRELOGIN, raw::prelogin(0))
        } else {
            (raw::LOGIN7, login7.clone())
        };
        let mut bytes = raw::packets(ty, 0, &rng.mutate(payload), 4096);
        if round % 3 == 0 {
            bytes = rng.mutate(bytes);
        }
        throw(addr, false, &bytes);
        // A mutated request after a good login.
        let (ty, payload) = &requests[round % requests.len()];
        let mut bytes = raw::packets(*ty, 0, &rng.mutate(payload.clone()), 512);
        if round % 4 == 0 {
            bytes = rng.mutate(bytes);
        }
        throw(addr, true, &bytes);
        // A random packet type and header.
        let mut header = rng.bytes(8);
        header[1] |= 1;
        throw(addr, true, &header);
    }
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a server thread panicked");
    // The session opened before the storm still works, and so do new ones.
    let t = bystander
        .request(raw::SQL_BATCH, &raw::batch("nocount"))
        .unwrap();
    assert_eq!(t.dones, vec![(0xFD, 0, 0)]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut client = protocol_common::connect(&server).await;
        let rows = client
            .simple_query("rows 5")
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        assert_eq!(rows.len(), 5);
    });
}
