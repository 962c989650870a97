//! authenticate: outcomes per status, counting, lockout under concurrency.

mod common;

use common::{connect_sim, logon, setup, start_sim_with_script, TestDb, DEMO_PASSWORD};
use std::pin::pin;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::poll;
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

/// Start-up T-SQL: bob (Locked at the threshold, default policy: AutoResetHours 24) failed
/// last 25 hours ago, so his lock is due to be lifted.
const BOB_LOCK_EXPIRED: &str = "UPDATE dbo.UserLogon \
    SET LastFailed = DATEADD(hour, -25, SYSUTCDATETIME()) WHERE LoginName = N'bob';";

/// A simulator whose bob has an expired lock.
async fn bob_lock_expired() -> TestDb {
    connect_sim(start_sim_with_script(Some(BOB_LOCK_EXPIRED)), |c| c).await
}

/// bob's FailedLogon audit rows that counted an attempt (the uncounted ones say so).
async fn counted_failures_of_bob(t: &TestDb) -> i32 {
    t.query_row(
        "SELECT COUNT(*) FROM dbo.LogonAudit WHERE LoginName = N'bob' \
         AND Action = N'FailedLogon' AND Detail <> N'Already locked; not counted'",
    )
    .await
    .get::<i32, _>(0)
    .expect("a count")
}

#[tokio::test]
async fn a_concurrent_storm_on_an_expired_lock_gets_exactly_the_threshold_of_guesses() {
    let t = bob_lock_expired().await;
    let threshold = t.db.password_policy(None).await.unwrap().invalid_attempts;
    let bob = logon(&t.db, "bob").await;
    assert_eq!(
        (bob.status, bob.num_invalid_attempts),
        (LogonStatus::Locked, threshold)
    );
    let wrong = Password::new("Wrong-Passw0rd!");
    // The first attempt reads the logon (due to be lifted) and is then held back: its next
    // request reaches the server only after the other 49 attempts, so it acts on what it
    // read after they have locked the logon again.
    let mut first = pin!(t.db.authenticate("bob", &wrong));
    assert!(poll!(first.as_mut()).is_pending());
    tokio::time::sleep(Duration::from_millis(200)).await;
    t.faults().delay_next_reply(Duration::from_millis(1500));
    let rest = join_all((1..50).map(|_| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        t.db.authenticate("bob", &wrong).await
    }));
    let (first, mut outcomes) = tokio::join!(first, rest);
    outcomes.push(first);
    let mut bad_credentials = 0;
    for o in outcomes {
        match o.unwrap() {
            AuthOutcome::Rejected {
                reason: RejectReason::BadCredentials,
                attempts,
            } => {
                assert!((1..threshold).contains(&attempts), "{attempts}");
                bad_credentials += 1;
            }
            AuthOutcome::Rejected {
                reason: RejectReason::Locked,
                ..
            } => {}
            other => panic!("{other:?}"),
        }
    }
    // The lifted lock allows one new series: threshold - 1 "try again", then locked.
    assert_eq!(bad_credentials, threshold - 1);
    assert_eq!(counted_failures_of_bob(&t).await, threshold);
    let bob = logon(&t.db, "bob").await;
    assert_eq!(
        (bob.status, bob.num_invalid_attempts),
        (LogonStatus::Locked, threshold)
    );
    // Locked again, and this time not due: even the right password is refused.
    assert!(matches!(
        t.db.authenticate("bob", &demo()).await.unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::Locked,
            ..
        }
    ));
}

#[tokio::test]
async fn the_right_password_after_the_reset_time_is_accepted() {
    let t = bob_lock_expired().await;
    match t.db.authenticate("bob", &demo()).await.unwrap() {
        AuthOutcome::Accepted { logon } => {
            assert_eq!(logon.status, LogonStatus::Normal);
            assert_eq!(logon.num_invalid_attempts, 0);
            assert_eq!(logon.status_reason, None);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_after_the_reset_time_starts_a_new_series() {
    let t = bob_lock_expired().await;
    assert_eq!(
        t.db.authenticate("bob", &Password::new("Wrong-Passw0rd!"))
            .await
            .unwrap(),
        AuthOutcome::Rejected {
            reason: RejectReason::BadCredentials,
            attempts: 1
        }
    );
    let bob = logon(&t.db, "bob").await;
    assert_eq!(
        (bob.status, bob.num_invalid_attempts),
        (LogonStatus::Normal, 1)
    );
}

#[tokio::test]
async fn the_procedures_lift_only_a_lock_whose_reset_time_has_come() {
    // Seed bob: Locked, last failure an hour ago, inside AutoResetHours 24.
    let t = setup().await;
    let bob = logon(&t.db, "bob").await;
    let id = bob.user_logon_id;
    let success = |hours: i32| {
        format!(
            "DECLARE @s nvarchar(20); EXEC dbo.UserLogon_RecordSuccessfulLogon \
             @UserLogonID = {id}, @AutoResetHours = {hours}, @Status = @s OUTPUT; SELECT @s;"
        )
    };
    let failure = |hours: i32| {
        format!(
            "DECLARE @s nvarchar(20), @n int; EXEC dbo.UserLogon_RecordFailedLogon \
             @UserLogonID = {id}, @MaxAttempts = 5, @AutoResetHours = {hours}, \
             @Status = @s OUTPUT, @NumInvalidAttempts = @n OUTPUT; SELECT @s, @n;"
        )
    };
    let row = t.query_row(&success(24)).await;
    assert_eq!(row.get::<&str, _>(0), Some("Locked"));
    let row = t.query_row(&failure(24)).await;
    assert_eq!(row.get::<&str, _>(0), Some("Locked"));
    assert_eq!(row.get::<i32, _>(1), Some(bob.num_invalid_attempts));
    // AutoResetHours 0 never lifts, however old the failure; 1 hour has passed.
    let row = t.query_row(&success(0)).await;
    assert_eq!(row.get::<&str, _>(0), Some("Locked"));
    let after = logon(&t.db, "bob").await;
    assert_eq!(
        (after.status, after.num_invalid_attempts, after.last_logon),
        (
            LogonStatus::Locked,
            bob.num_invalid_attempts,
            bob.last_logon
        )
    );
    let row = t.query_row(&success(1)).await;
    assert_eq!(row.get::<&str, _>(0), Some("Normal"));
    let after = logon(&t.db, "bob").await;
    assert_eq!(
        (after.status, after.num_invalid_attempts),
        (LogonStatus::Normal, 0)
    );
    assert!(after.last_logon > bob.last_logon);
}
