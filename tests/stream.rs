//! The streaming sweep: every matching row, in order, on one connection.

mod common;

use futures_util::TryStreamExt;

#[tokio::test]
async fn the_stream_yields_every_row_the_list_form_returns() {
    let sim = common::start_sim_with_script(Some(&common::bulk_logons(3000)));
    let t = common::connect_sim(sim, |c| c.pool_size(2)).await;
    let since = chrono::Utc::now().naive_utc() - chrono::Duration::days(5);
    let listed =
        t.db.get_logons_without_login_since(since, None)
            .await
            .unwrap();
    assert!(listed.len() >= 3000);
    let mut count = 0;
    let mut last_id = 0;
    let mut stream = t.db.stream_logons_without_login_since(since, None);
    while let Some(row) = stream.try_next().await.unwrap() {
        assert!(row.user_logon_id > last_id, "ordered by UserLogonID");
        assert_eq!(row, listed[count]);
        last_id = row.user_logon_id;
        count += 1;
    }
    assert_eq!(count, listed.len());
    assert_eq!(t.db.pool_stats().connections_closed_broken, 0);
}
