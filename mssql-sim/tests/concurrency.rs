//! Many sessions at once: each has its own state, writes are serialized,
//! committed work survives and rolled-back work is never seen.

use std::time::Duration;

mod sim_common;

use mssql_sim::Sim;
use sim_common::{connect, run, Conn};

const SCHEMA: &str =
    "CREATE TABLE dbo.W (ID int IDENTITY(1,1) NOT NULL PRIMARY KEY, Who nvarchar(20) NOT NULL);";

async fn count(c: &mut Conn) -> i32 {
    let row = c
        .simple_query("SELECT COUNT(*) FROM dbo.W")
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    row.get::<i32, _>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_writes_survive_and_rolled_back_ones_vanish() {
    let sim = Sim::builder().script("schema.sql", SCHEMA).start().unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let mut c = connect(&sim).await;
        tasks.push(tokio::spawn(async move {
            for round in 0..5 {
                let end = if i % 2 == 0 { "COMMIT" } else { "ROLLBACK" };
                run(
                    &mut c,
                    &format!(
                        "BEGIN TRAN; INSERT INTO dbo.W (Who) VALUES (N'c{i}r{round}'); {end};"
                    ),
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut c = connect(&sim).await;
    assert_eq!(count(&mut c).await, 12 * 5);
    let odd = c
        .simple_query("SELECT COUNT(*) FROM dbo.W WHERE Who LIKE N'c1r%' OR Who LIKE N'c3r%'")
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(odd.get::<i32, _>(0), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncommitted_work_is_not_seen_until_it_commits() {
    let sim = Sim::builder().script("schema.sql", SCHEMA).start().unwrap();
    let mut writer = connect(&sim).await;
    let mut reader = connect(&sim).await;
    run(
        &mut writer,
        "BEGIN TRAN; INSERT INTO dbo.W (Who) VALUES (N'pending');",
    )
    .await;
    let read = tokio::spawn(async move { count(&mut reader).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !read.is_finished(),
        "a reader must wait for the open transaction"
    );
    run(&mut writer, "ROLLBACK;").await;
    assert_eq!(read.await.unwrap(), 0, "rolled-back work is never seen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_rolls_back_and_frees_the_others() {
    let sim = Sim::builder().script("schema.sql", SCHEMA).start().unwrap();
    let mut gone = connect(&sim).await;
    run(
        &mut gone,
        "BEGIN TRAN; INSERT INTO dbo.W (Who) VALUES (N'lost');",
    )
    .await;
    drop(gone);
    let mut c = connect(&sim).await;
    let n = tokio::time::timeout(Duration::from_secs(5), count(&mut c))
        .await
        .expect("not blocked by the dead session");
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_settings_stay_in_their_session() {
    let sim = Sim::builder().script("schema.sql", SCHEMA).start().unwrap();
    let mut quiet = connect(&sim).await;
    let mut loud = connect(&sim).await;
    run(&mut quiet, "SET NOCOUNT ON; DECLARE @x int = 1;").await;
    let counted = loud
        .execute("INSERT INTO dbo.W (Who) VALUES (N'a')", &[])
        .await
        .unwrap();
    assert_eq!(counted.total(), 1);
    let silent = quiet
        .execute("INSERT INTO dbo.W (Who) VALUES (N'b')", &[])
        .await
        .unwrap();
    assert_eq!(silent.total(), 0);
}
