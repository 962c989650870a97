//! Writes: unlock, accept, rename, delete, reset and change of passwords, with their errors.

mod common;

use common::{logon, setup, DEMO_PASSWORD};
use logondb::{password, DeleteTarget, Error, LogonStatus, Password, Violation};

#[tokio::test]
async fn unlock_clears_the_lock_and_counters() {
    let t = setup().await;
    let bob = logon(&t.db, "bob").await;
    assert_eq!(bob.status, LogonStatus::Locked);
    t.db.unlock("BOB").await.unwrap();
    let bob = logon(&t.db, "bob").await;
    assert_eq!(bob.status, LogonStatus::Normal);
    assert_eq!(
        (bob.num_invalid_attempts, bob.num_invalid_oob_attempts),
        (0, 0)
    );
    assert!(bob.status_reason.is_none());
    // Other statuses stay.
    t.db.unlock("dave").await.unwrap();
    assert_eq!(logon(&t.db, "dave").await.status, LogonStatus::Disabled);
    assert!(matches!(
        t.db.unlock("nobody").await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        t.db.unlock("").await,
        Err(Error::InvalidInput { field: "name", .. })
    ));
}

#[tokio::test]
async fn accepting_the_password_status() {
    let t = setup().await;
    t.db.set_password_status_as_accepted("carol").await.unwrap();
    let carol = logon(&t.db, "carol").await;
    assert_eq!(carol.status, LogonStatus::Normal);
    assert!(!carol.password_change_required);
    assert!(matches!(
        t.db.set_password_status_as_accepted("nobody").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn renames() {
    let t = setup().await;
    let alice = logon(&t.db, "alice").await;
    t.db.change_user_logonname("alice", "alice.archer")
        .await
        .unwrap();
    assert!(t
        .db
        .get_login_by_name("alice", true)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        logon(&t.db, "alice.archer").await.user_logon_id,
        alice.user_logon_id
    );
    // A different case of its own name is fine; another logon's name in any case is not.
    t.db.change_user_logonname("alice.archer", "Alice.Archer")
        .await
        .unwrap();
    assert!(matches!(
        t.db.change_user_logonname("alice.archer", "BOB").await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        t.db.change_user_logonname("nobody", "new.name").await,
        Err(Error::NotFound { .. })
    ));
    for bad in ["", "ab", " padded", "x\ny"] {
        assert!(
            matches!(
                t.db.change_user_logonname("bob", bad).await,
                Err(Error::InvalidInput {
                    field: "new_name",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
    // heidi's zone caps login names at 32 characters.
    let long = "h".repeat(40);
    assert!(matches!(
        t.db.change_user_logonname("heidi", &long).await,
        Err(Error::InvalidInput {
            field: "new_name",
            ..
        })
    ));
    t.db.change_user_logonname("alice.archer", &long)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_name_full_of_quotes_and_sql_is_stored_as_is() {
    let t = setup().await;
    let evil = "o'brien'; DROP TABLE dbo.UserLogon; --";
    t.db.change_user_logonname("frank", evil).await.unwrap();
    let row = logon(&t.db, evil).await;
    assert_eq!(row.login_name, evil);
    assert_eq!(
        t.db.get_login_by_name("alice", false).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn two_concurrent_renames_to_one_name_give_one_winner() {
    let t = setup().await;
    let (a, b) = tokio::join!(
        t.db.change_user_logonname("alice", "winner"),
        t.db.change_user_logonname("erin", "winner")
    );
    let outcomes = [a, b];
    assert_eq!(
        outcomes.iter().filter(|r| r.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|r| matches!(r, Err(Error::Conflict { .. })))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        t.db.get_login_by_name("winner", true).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn deletes() {
    let t = setup().await;
    let frank = logon(&t.db, "frank").await;
    let first = t.db.delete(DeleteTarget::LoginName("frank")).await.unwrap();
    assert_eq!(first.user_logon_id, frank.user_logon_id);
    assert!(!first.user_soft_deleted, "frank.api is left");
    let api = logon(&t.db, "frank.api").await;
    let last =
        t.db.delete(DeleteTarget::UserLogonId(api.user_logon_id))
            .await
            .unwrap();
    assert!(last.user_soft_deleted);
    assert!(t
        .db
        .get_list_of_associated_logons(frank.user_id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        t.db.delete(DeleteTarget::LoginName("frank")).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        t.db.delete(DeleteTarget::UserLogonId(0)).await,
        Err(Error::InvalidInput {
            field: "user_logon_id",
            ..
        })
    ));
    // alice has password history rows: they go with the logon.
    t.db.delete(DeleteTarget::LoginName("alice")).await.unwrap();
    assert!(t
        .db
        .get_login_by_name("alice", true)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn reset_with_a_generated_password() {
    let t = setup().await;
    let generated =
        t.db.reset_password("bob", None, true)
            .await
            .unwrap()
            .expect("generated");
    let bob = logon(&t.db, "bob").await;
    assert!(password::verify(&generated, &bob.user_password));
    assert!(bob.auto_generated && bob.password_change_required);
    assert_eq!(
        (bob.status, bob.num_invalid_attempts),
        (LogonStatus::Normal, 0)
    );
    let policy = t.db.password_policy(None).await.unwrap();
    assert_eq!(password::validate(&policy, &generated), vec![]);
}

#[tokio::test]
async fn reset_with_a_given_password() {
    let t = setup().await;
    let pw = Password::new("Fresh-Start-42x");
    assert!(t
        .db
        .reset_password("erin", Some(&pw), false)
        .await
        .unwrap()
        .is_none());
    let erin = logon(&t.db, "erin").await;
    assert!(password::verify(&pw, &erin.user_password));
    assert!(!erin.auto_generated && !erin.password_change_required);
    match t
        .db
        .reset_password("erin", Some(&Password::new("short")), true)
        .await
    {
        Err(Error::PolicyViolation(v)) => {
            assert!(
                v.iter().any(|v| matches!(v, Violation::TooShort { .. })),
                "{v:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.db.reset_password("nobody", None, true).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn users_change_their_own_password_but_not_to_a_recent_one() {
    let t = setup().await;
    let demo = Password::new(DEMO_PASSWORD);
    // The current password is refused.
    match t.db.change_endusers_password("carol", &demo).await {
        Err(Error::PolicyViolation(v)) => {
            assert!(matches!(v[..], [Violation::RecentlyUsed { .. }]))
        }
        other => panic!("{other:?}"),
    }
    let first = Password::new("Carol-Chooses-1");
    t.db.change_endusers_password("carol", &first)
        .await
        .unwrap();
    let carol = logon(&t.db, "carol").await;
    assert!(password::verify(&first, &carol.user_password));
    assert!(!carol.password_change_required && !carol.password_has_never_changed);
    assert_eq!(carol.status, LogonStatus::Normal);
    let second = Password::new("Carol-Chooses-2");
    t.db.change_endusers_password("carol", &second)
        .await
        .unwrap();
    // Back to the first one: it is in the history.
    assert!(matches!(
        t.db.change_endusers_password("carol", &first).await,
        Err(Error::PolicyViolation(_))
    ));
    // And the weak one reports every broken rule.
    match t
        .db
        .change_endusers_password("carol", &Password::new("aaaa"))
        .await
    {
        Err(Error::PolicyViolation(v)) => assert!(v.len() >= 3, "{v:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_user_waits_min_password_age_days_between_changes_but_staff_need_not() {
    // One day's minimum age; alice changed hers 30 days ago, bob's is changed right now.
    let sim = common::start_sim_with_script(Some(
        "UPDATE dbo.PasswordPolicy SET MinPasswordAge = 1 WHERE UISourceID = 1;
         UPDATE dbo.UserLogon SET LastChange = SYSUTCDATETIME() WHERE LoginName = N'bob';",
    ));
    let t = common::connect_sim(sim, |c| c).await;
    let fresh = Password::new("Another-Passw0rd7");
    t.db.change_endusers_password("alice", &fresh)
        .await
        .unwrap();
    match t.db.change_endusers_password("bob", &fresh).await {
        Err(Error::PolicyViolation(v)) => assert_eq!(v, [Violation::TooSoon { min_days: 1 }]),
        other => panic!("expected TooSoon, got {other:?}"),
    }
    // A reset by staff is not held back by the minimum age.
    t.db.reset_password("bob", Some(&fresh), true)
        .await
        .unwrap();
}
