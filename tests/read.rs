//! Reads: every seed row, every lookup, and bad input rejected before the database.

mod common;

use chrono::{Duration as Days, Utc};
use common::{logon, setup};
use futures_util::TryStreamExt;
use logondb::{Error, LogonQuery, LogonStatus, MAX_RETURN_COUNT};

#[tokio::test]
async fn every_seed_logon_has_its_status() {
    let t = setup().await;
    let expected = [
        ("alice", LogonStatus::Normal),
        ("bob", LogonStatus::Locked),
        ("carol", LogonStatus::New),
        ("dave", LogonStatus::Disabled),
        ("erin", LogonStatus::Expired),
        ("frank", LogonStatus::Normal),
        ("frank.api", LogonStatus::Normal),
        ("gone", LogonStatus::Normal),
    ];
    for (name, status) in expected {
        let row = logon(&t.db, name).await;
        assert_eq!(row.login_name, name);
        assert_eq!(row.status, status, "{name}");
        assert!(
            row.user_password.as_phc().starts_with("$argon2id$"),
            "{name}"
        );
        assert!(row.user_logon_id > 0 && row.user_id > 0);
    }
    let carol = logon(&t.db, "carol").await;
    assert!(carol.password_change_required);
    assert!(carol.last_logon.is_none());
    let bob = logon(&t.db, "bob").await;
    assert!(bob.num_invalid_attempts > 0);
}

#[tokio::test]
async fn names_compare_case_insensitively() {
    let t = setup().await;
    let upper = t.db.get_login_by_name("ALICE", false).await.unwrap();
    assert_eq!(upper.len(), 1);
    assert_eq!(upper[0].login_name, "alice");
}

#[tokio::test]
async fn deleted_users_are_hidden_unless_asked_for() {
    let t = setup().await;
    assert!(t
        .db
        .get_login_by_name("gone", false)
        .await
        .unwrap()
        .is_empty());
    let gone = t.db.get_login_by_name("gone", true).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert!(t
        .db
        .get_login_by_id(gone[0].user_id, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        t.db.get_login_by_id(gone[0].user_id, true)
            .await
            .unwrap()
            .len(),
        1
    );
    // By its own id a logon is found whatever its user's state.
    let by_id =
        t.db.get_login_by_logon_id(gone[0].user_logon_id)
            .await
            .unwrap();
    assert_eq!(by_id, gone[0]);
}

#[tokio::test]
async fn admin_logons() {
    let t = setup().await;
    let ann =
        t.db.get_admin_login_by_name("admin.ann", false)
            .await
            .unwrap();
    assert_eq!(ann.len(), 1);
    assert!(ann[0].deleted_date.is_none());
    assert!(t
        .db
        .get_admin_login_by_name("admin.old", false)
        .await
        .unwrap()
        .is_empty());
    let old =
        t.db.get_admin_login_by_name("admin.old", true)
            .await
            .unwrap();
    assert_eq!(old.len(), 1);
    assert!(old[0].deleted_date.is_some());
    let by_user =
        t.db.get_admin_login_by_id(ann[0].admin_user_id, false)
            .await
            .unwrap();
    assert!(by_user.iter().any(|r| r.login_name == "admin.ann"));
    let by_id =
        t.db.get_admin_login_by_logon_id(ann[0].admin_user_logon_id)
            .await
            .unwrap();
    assert_eq!(by_id, ann[0]);
    let via_get =
        t.db.get_admin(LogonQuery::ByName("ADMIN.ANN"), false)
            .await
            .unwrap();
    assert_eq!(via_get, ann);
    assert!(matches!(
        t.db.get_admin_login_by_logon_id(i32::MAX).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn one_user_with_two_logons() {
    let t = setup().await;
    let frank = logon(&t.db, "frank").await;
    let api = logon(&t.db, "frank.api").await;
    assert_eq!(frank.user_id, api.user_id);
    assert_ne!(frank.ui_source_id, api.ui_source_id);
    let all =
        t.db.get_list_of_associated_logons(frank.user_id)
            .await
            .unwrap();
    let mut names: Vec<_> = all.iter().map(|r| r.login_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["frank", "frank.api"]);
    assert_eq!(
        t.db.get(LogonQuery::ByUserId(frank.user_id), false)
            .await
            .unwrap(),
        all
    );
    assert_eq!(
        t.db.get(LogonQuery::ByName("frank"), false).await.unwrap(),
        vec![frank]
    );
}

#[tokio::test]
async fn logon_by_logon_id() {
    let t = setup().await;
    let alice = logon(&t.db, "alice").await;
    assert_eq!(
        t.db.get_login_by_logon_id(alice.user_logon_id)
            .await
            .unwrap(),
        alice
    );
    assert!(matches!(
        t.db.get_login_by_logon_id(i32::MAX).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn logons_of_a_list_of_users_in_one_call() {
    let t = setup().await;
    let alice = logon(&t.db, "alice").await;
    let frank = logon(&t.db, "frank").await;
    let gone = logon(&t.db, "gone").await;
    let ids = [
        alice.user_id,
        frank.user_id,
        gone.user_id,
        alice.user_id,
        i32::MAX,
    ];
    let rows =
        t.db.get_logons_from_user_id_list(&ids, false)
            .await
            .unwrap();
    let mut names: Vec<_> = rows.iter().map(|r| r.login_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["alice", "frank", "frank.api"]);
    let with_deleted = t.db.get_logons_from_user_id_list(&ids, true).await.unwrap();
    assert_eq!(with_deleted.len(), 4);
    // Far more ids than SQL Server's 2,100 parameters.
    let many: Vec<i32> = (1..=5000).collect();
    let rows =
        t.db.get_logons_from_user_id_list(&many, true)
            .await
            .unwrap();
    assert!(rows.len() >= 10, "{}", rows.len());
}

#[tokio::test]
async fn logons_without_login_since() {
    let t = setup().await;
    let cutoff = (Utc::now() - Days::days(300)).naive_utc();
    let rows =
        t.db.get_logons_without_login_since(cutoff, None)
            .await
            .unwrap();
    for r in &rows {
        match r.last_logon {
            Some(last) => assert!(last < cutoff, "{}", r.login_name),
            None => assert!(r.create_date < cutoff, "{}", r.login_name),
        }
    }
    let names: Vec<_> = rows.iter().map(|r| r.login_name.as_str()).collect();
    assert!(
        names.contains(&"dave") && names.contains(&"frank.api"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"alice") && !names.contains(&"gone"),
        "{names:?}"
    );
    let disabled =
        t.db.get_logons_without_login_since(cutoff, Some(LogonStatus::Disabled))
            .await
            .unwrap();
    assert!(!disabled.is_empty());
    assert!(disabled.iter().all(|r| r.status == LogonStatus::Disabled));
    let streamed: Vec<_> =
        t.db.stream_logons_without_login_since(cutoff, None)
            .try_collect()
            .await
            .unwrap();
    assert_eq!(streamed, rows);
}

#[tokio::test]
async fn active_users_are_paged_newest_first() {
    let t = setup().await;
    let all =
        t.db.get_active_users_since(365, MAX_RETURN_COUNT, 1)
            .await
            .unwrap();
    assert!(all.len() >= 3);
    let cutoff = (Utc::now() - Days::days(366)).naive_utc();
    assert!(all
        .iter()
        .all(|r| r.last_logon.is_some_and(|l| l >= cutoff)));
    assert!(all.windows(2).all(|w| w[0].last_logon >= w[1].last_logon));
    assert!(!all.iter().any(|r| r.login_name == "gone"));
    let mut paged = Vec::new();
    for page in 1.. {
        let rows = t.db.get_active_users_since(365, 2, page).await.unwrap();
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 2);
        paged.extend(rows);
    }
    assert_eq!(paged, all);
    let recent = t.db.get_active_users_since(2, 100, 1).await.unwrap();
    assert!(recent.iter().any(|r| r.login_name == "alice"));
    assert!(!recent.iter().any(|r| r.login_name == "dave"));
}

#[tokio::test]
async fn a_name_full_of_quotes_and_sql_is_just_a_name() {
    let t = setup().await;
    for name in [
        "'; DROP TABLE dbo.UserLogon; --",
        "alice' OR '1'='1",
        "\"]); DELETE FROM dbo.[User]; --",
        "N'x' + CHAR(39)",
    ] {
        assert!(
            t.db.get_login_by_name(name, true).await.unwrap().is_empty(),
            "{name}"
        );
    }
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn bad_input_never_reaches_the_database() {
    let t = setup().await;
    // On a real server the harness has already used the pool (to migrate).
    let checkouts_before = t.db.pool_stats().checkouts;
    let long = "x".repeat(129);
    let since = chrono::NaiveDate::from_ymd_opt(1800, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let checks: Vec<(&str, logondb::Result<usize>)> = vec![
        (
            "name",
            t.db.get_login_by_name("", false).await.map(|v| v.len()),
        ),
        (
            "name",
            t.db.get_login_by_name(&long, false).await.map(|v| v.len()),
        ),
        (
            "name",
            t.db.get_login_by_name("a\u{7}b", false)
                .await
                .map(|v| v.len()),
        ),
        (
            "name",
            t.db.get_admin_login_by_name(" ", false)
                .await
                .map(|v| v.len()),
        ),
        (
            "user_id",
            t.db.get_login_by_id(0, false).await.map(|v| v.len()),
        ),
        (
            "user_id",
            t.db.get_list_of_associated_logons(-1)
                .await
                .map(|v| v.len()),
        ),
        (
            "admin_user_id",
            t.db.get_admin_login_by_id(0, true).await.map(|v| v.len()),
        ),
        (
            "user_logon_id",
            t.db.get_login_by_logon_id(-7).await.map(|_| 1),
        ),
        (
            "admin_user_logon_id",
            t.db.get_admin_login_by_logon_id(0).await.map(|_| 1),
        ),
        (
            "user_ids",
            t.db.get_logons_from_user_id_list(&[], false)
                .await
                .map(|v| v.len()),
        ),
        (
            "user_ids",
            t.db.get_logons_from_user_id_list(&[1, -2], false)
                .await
                .map(|v| v.len()),
        ),
        (
            "since",
            t.db.get_logons_without_login_since(since, None)
                .await
                .map(|v| v.len()),
        ),
        (
            "days",
            t.db.get_active_users_since(0, 10, 1).await.map(|v| v.len()),
        ),
        (
            "days",
            t.db.get_active_users_since(36_501, 10, 1)
                .await
                .map(|v| v.len()),
        ),
        (
            "return_count",
            t.db.get_active_users_since(30, 0, 1).await.map(|v| v.len()),
        ),
        (
            "return_count",
            t.db.get_active_users_since(30, MAX_RETURN_COUNT + 1, 1)
                .await
                .map(|v| v.len()),
        ),
        (
            "page_number",
            t.db.get_active_users_since(30, 10, 0)
                .await
                .map(|v| v.len()),
        ),
        (
            "page_number",
            t.db.get_active_users_since(30, 10, -1)
                .await
                .map(|v| v.len()),
        ),
    ];
    for (want, got) in checks {
        match got {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, want),
            other => panic!("{want}: {other:?}"),
        }
    }
    let streamed: Result<Vec<_>, _> =
        t.db.stream_logons_without_login_since(since, None)
            .try_collect()
            .await;
    assert!(matches!(
        streamed,
        Err(Error::InvalidInput { field: "since", .. })
    ));
    // Nothing above touched the pool.
    assert_eq!(t.db.pool_stats().checkouts, checkouts_before);
}
