//! mssql-sim's speed: cold start with the project's scripts, the round trip
//! of a parameterized point lookup on an indexed column, and queries/s with
//! 16 concurrent clients.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mssql_sim::Sim;
use std::time::Duration;
use tiberius::{Client, Config};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn seeded() -> Sim {
    seeded_with(mssql_sim::server::DEFAULT_IDLE_POLL)
}

fn seeded_with(idle_poll: Duration) -> Sim {
    Sim::builder()
        .script_dir(root().join("migrations"))
        .script_dir(root().join("sql"))
        .idle_poll(idle_poll)
        .start()
        .expect("scripts apply")
}

async fn connect(sim: &Sim) -> Client<Compat<TcpStream>> {
    let config = Config::from_ado_string(&sim.ado_connection_string()).unwrap();
    let tcp = TcpStream::connect(sim.addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    Client::connect(config, tcp.compat_write()).await.unwrap()
}

const LOOKUP: &str =
    "SELECT UserLogonID, LoginName, Status FROM dbo.UserLogon WHERE LoginName = @P1";

async fn lookup(c: &mut Client<Compat<TcpStream>>) {
    let row = c
        .query(LOOKUP, &[&"alice"])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap();
    assert!(row.is_some());
}

fn benches(c: &mut Criterion) {
    c.bench_function("cold_start_with_project_scripts", |b| b.iter(seeded));
    // The default polls for the next request before blocking; beside it,
    // the same server blocking at once, to show what the poll buys.
    round_trips(c, "", &seeded());
    round_trips(c, "/no_idle_poll", &seeded_with(Duration::ZERO));
}

fn round_trips(c: &mut Criterion, variant: &str, sim: &Sim) {
    // One client on a current-thread runtime: the round trip itself, without
    // tokio's cross-thread wake-ups.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut client = single.block_on(connect(sim));
    c.bench_function(&format!("point_lookup_round_trip{variant}"), |b| {
        b.iter(|| single.block_on(lookup(&mut client)))
    });
    // The floor: a request that asks the engine for almost nothing.
    c.bench_function(&format!("select_1_round_trip{variant}"), |b| {
        b.iter(|| {
            single.block_on(async {
                let row = client
                    .simple_query("SELECT 1")
                    .await
                    .unwrap()
                    .into_row()
                    .await
                    .unwrap();
                assert!(row.is_some());
            })
        })
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients: Vec<_> = (0..16).map(|_| rt.block_on(connect(sim))).collect();
    let clients = std::sync::Arc::new(tokio::sync::Mutex::new(clients));
    let per_client = 50;
    let mut group = c.benchmark_group(format!("concurrent_16_clients{variant}"));
    group.throughput(Throughput::Elements(16 * per_client));
    group.bench_function("point_lookups", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut all = clients.lock().await;
                let tasks = all.drain(..).map(|mut c| {
                    tokio::spawn(async move {
                        for _ in 0..per_client {
                            lookup(&mut c).await;
                        }
                        c
                    })
                });
                let done = futures_util::future::join_all(tasks).await;
                all.extend(done.into_iter().map(|r| r.unwrap()));
            })
        })
    });
    group.finish();
}

criterion_group!(sim_benches, benches);
criterion_main!(sim_benches);
