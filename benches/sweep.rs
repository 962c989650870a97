//! logondb against mssql-sim: get_logons_without_login_since streaming
//! 1,000,000 rows, with the peak heap above the idle process reported (a
//! counting allocator, kept to this benchmark: it would tax every allocation
//! of the per-call benchmarks).

// The suite's harness: the same server set-up as the tests.
#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use futures_util::StreamExt;
use logondb::{Config, LogonDb};
use mssql_sim::Sim;

/// Counts live heap bytes and their high-water mark.
struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Doubles the seed's logons until over a million are live (1.1 M in all) (one shared hash, as
/// the issue allows); names stay unique because each round appends its number.
const MILLION: &str = "
DECLARE @round int = 1, @have int = (SELECT COUNT(*) FROM dbo.UserLogon);
WHILE @have < 1100000
BEGIN
    INSERT INTO dbo.UserLogon (UserID, LoginName, UserPassword, UISourceID, LastChange, LastLogon, Status, CreateDate)
    SELECT TOP (1100000 - @have) UserID, LoginName + N'.' + CAST(@round AS nvarchar(10)), UserPassword,
           UISourceID, LastChange, LastLogon, Status, CreateDate
    FROM dbo.UserLogon;
    SET @have = (SELECT COUNT(*) FROM dbo.UserLogon);
    SET @round = @round + 1;
END;
";

/// The server holding 1.1 M logons and a handle on it; its data takes a
/// while to build, so only when the sweep is selected.
fn million_logons(rt: &tokio::runtime::Runtime) -> (Sim, LogonDb) {
    let sim = common::start_sim_with_script(Some(MILLION));
    let db = rt
        .block_on(LogonDb::connect(
            Config::parse(&sim.ado_connection_string())
                .unwrap()
                .command_timeout(Duration::from_secs(120)),
        ))
        .unwrap();
    (sim, db)
}

fn million_row_sweep(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut server = None;
    let since = NaiveDate::from_ymd_opt(2030, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut worst_peak = None;
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("stream_1m_logons_without_login_since", |b| {
        let (_, db) = server.get_or_insert_with(|| million_logons(&rt));
        b.iter_batched(
            || PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed),
            |()| {
                let base = LIVE.load(Ordering::Relaxed);
                let n = rt.block_on(async {
                    let mut s = db.stream_logons_without_login_since(since, None);
                    let mut n = 0u64;
                    while let Some(row) = s.next().await {
                        row.unwrap();
                        n += 1;
                    }
                    n
                });
                assert!(n >= 1_000_000, "{n} rows");
                let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
                worst_peak = worst_peak.max(Some(peak));
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    if let Some(peak) = worst_peak {
        eprintln!(
            "sweep: peak heap above the idle process while streaming 1,000,000 rows: {:.1} MiB",
            peak as f64 / 1048576.0
        );
    }
}

criterion_group!(benches, million_row_sweep);
criterion_main!(benches);
