//! authenticate: outcomes per status, counting, lockout under concurrency.

mod common;

use common::{logon, setup, DEMO_PASSWORD};
use futures_util::future::join_all;
use logondb::{AuthOutcome, LogonStatus, Password, RejectReason};

fn demo() -> Password {
    Password::new(DEMO_PASSWORD)
}

#[tokio::test]
async fn the_right_password_is_accepted_and_stamped() {
    let t = setup().await;
    let before = logon(&t.db, "alice").await;
    match t.db.authenticate("Alice", &demo()).await.unwrap() {
        AuthOutcome::Accepted { logon } => {
            assert_eq!(logon.user_logon_id, before.user_logon_id);
            assert!(logon.last_logon > before.last_logon);
            assert_eq!(logon.num_invalid_attempts, 0);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wrong_passwords_count_and_unknown_names_look_the_same() {
    let t = setup().await;
    let wrong = Password::new("Wrong-Passw0rd!");
    assert_eq!(
        t.db.authenticate("alice", &wrong).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::BadCredentials,
            attempts: 1
        }
    );
    assert_eq!(logon(&t.db, "alice").await.num_invalid_attempts, 1);
    assert_eq!(
        t.db.authenticate("no.such.user", &wrong).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::BadCredentials,
            attempts: 0
        }
    );
    // A soft-deleted user's logon is as good as unknown.
    assert_eq!(
        t.db.authenticate("gone", &demo()).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::BadCredentials,
            attempts: 0
        }
    );
    // Success resets the counter.
    assert!(matches!(
        t.db.authenticate("alice", &demo()).await.unwrap(),
        AuthOutcome::Accepted { .. }
    ));
    assert_eq!(logon(&t.db, "alice").await.num_invalid_attempts, 0);
}

#[tokio::test]
async fn locked_and_disabled_logons_are_refused() {
    let t = setup().await;
    let bob = logon(&t.db, "bob").await;
    match t.db.authenticate("bob", &demo()).await.unwrap() {
        AuthOutcome::Rejected {
            reason: RejectReason::Locked,
            attempts,
        } => {
            assert_eq!(attempts, bob.num_invalid_attempts)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.db.authenticate("dave", &demo()).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::Disabled,
            ..
        }
    ));
    // A wrong password gets the same answer (no oracle for guessing), and is not counted.
    let dave = logon(&t.db, "dave").await;
    assert!(matches!(
        t.db.authenticate("dave", &Password::new("nope"))
            .await
            .unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::Disabled,
            ..
        }
    ));
    assert_eq!(
        logon(&t.db, "dave").await.num_invalid_attempts,
        dave.num_invalid_attempts
    );
    // Other statuses are accepted; the caller sees them on the row.
    match t.db.authenticate("carol", &demo()).await.unwrap() {
        AuthOutcome::Accepted { logon } => {
            assert_eq!(logon.status, LogonStatus::New);
            assert!(logon.password_change_required);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn two_hundred_concurrent_failures_lock_at_exactly_the_threshold() {
    let t = setup().await;
    let threshold = t.db.password_policy(None).await.unwrap().invalid_attempts;
    assert!(threshold > 0);
    let wrong = Password::new("Wrong-Passw0rd!");
    let outcomes = join_all((0..200).map(|_| t.db.authenticate("alice", &wrong))).await;
    let mut locked = 0;
    for o in outcomes {
        match o.unwrap() {
            AuthOutcome::Rejected {
                reason: RejectReason::Locked,
                ..
            } => locked += 1,
            AuthOutcome::Rejected {
                reason: RejectReason::BadCredentials,
                attempts,
            } => {
                assert!(attempts < threshold)
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(locked >= 1);
    let alice = logon(&t.db, "alice").await;
    assert_eq!(alice.num_invalid_attempts, threshold);
    assert_eq!(alice.status, LogonStatus::Locked);
    // Now even the right password is refused.
    assert!(matches!(
        t.db.authenticate("alice", &demo()).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::Locked,
            ..
        }
    ));
}
