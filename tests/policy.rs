//! Password policies from the database: default, group and zone overrides.

mod common;

use common::setup;
use logondb::{password, Error, Password, PolicyScope, Violation, ZoneData};

fn zone(group_id: Option<i32>, zone_id: Option<i32>) -> Option<ZoneData> {
    Some(ZoneData { group_id, zone_id })
}

#[tokio::test]
async fn policies_resolve_group_then_zone_then_default() {
    let t = setup().await;
    let default = t.db.password_policy(None).await.unwrap();
    assert_eq!(default.scope, PolicyScope::UiSource(1));
    let group = t.db.password_policy(zone(Some(2), None)).await.unwrap();
    assert_eq!(group.scope, PolicyScope::Group(2));
    let by_zone = t.db.password_policy(zone(None, Some(2))).await.unwrap();
    assert_eq!(by_zone.scope, PolicyScope::Zone(2));
    // Group 4 has no override of its own and inherits its zone's.
    assert_eq!(
        t.db.password_policy(zone(Some(4), None)).await.unwrap(),
        by_zone
    );
    // Group 1 has neither: the UI source default.
    assert_eq!(
        t.db.password_policy(zone(Some(1), None)).await.unwrap(),
        default
    );
    assert_ne!(default.min_password_length, group.min_password_length);
}

#[tokio::test]
async fn validation_reports_every_rule_of_the_resolved_policy() {
    let t = setup().await;
    t.db.validate_password(&Password::new(common::DEMO_PASSWORD), None)
        .await
        .unwrap();
    let group = t.db.password_policy(zone(Some(2), None)).await.unwrap();
    let nine = Password::new("Abcxyz-9Q"); // 9 characters
    assert!(nine.expose().chars().count() < group.min_password_length as usize);
    t.db.validate_password(&nine, None).await.unwrap();
    match t.db.validate_password(&nine, zone(Some(2), None)).await {
        Err(Error::PolicyViolation(v)) => assert_eq!(
            v,
            vec![Violation::TooShort {
                min: group.min_password_length as usize,
                actual: 9
            }]
        ),
        other => panic!("{other:?}"),
    }
    match t
        .db
        .validate_password(&Password::new("aaa<"), zone(None, Some(2)))
        .await
    {
        Err(Error::PolicyViolation(v)) => {
            assert!(
                v.iter()
                    .any(|v| matches!(v, Violation::ExcludedCharacter { .. })),
                "{v:?}"
            );
            assert!(
                v.iter()
                    .any(|v| matches!(v, Violation::TooFewDigits { .. })),
                "{v:?}"
            );
            assert!(v.len() >= 4, "{v:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.db.validate_password(&nine, zone(Some(0), None)).await,
        Err(Error::InvalidInput {
            field: "group_id",
            ..
        })
    ));
}

#[tokio::test]
async fn generated_passwords_pass_their_policy() {
    let t = setup().await;
    for group in [None, Some(1), Some(2), Some(4)] {
        let policy = t.db.password_policy(zone(group, None)).await.unwrap();
        for _ in 0..50 {
            let pw = t.db.generate_password(group).await.unwrap();
            assert_eq!(password::validate(&policy, &pw), vec![], "group {group:?}");
            t.db.validate_password(&pw, zone(group, None))
                .await
                .unwrap();
        }
    }
    assert!(matches!(
        t.db.generate_password(Some(-1)).await,
        Err(Error::InvalidInput {
            field: "group_id",
            ..
        })
    ));
}

#[tokio::test]
async fn an_unknown_group_or_zone_is_not_found_not_the_default() {
    let t = setup().await;
    let missing_group = t.db.generate_password(Some(999)).await;
    assert!(
        matches!(missing_group, Err(Error::NotFound { .. })),
        "{missing_group:?}"
    );
    let missing_zone = t.db.password_policy(zone(None, Some(999))).await;
    assert!(
        matches!(missing_zone, Err(Error::NotFound { .. })),
        "{missing_zone:?}"
    );
    let pw = Password::new(common::DEMO_PASSWORD);
    let validated = t.db.validate_password(&pw, zone(Some(999), None)).await;
    assert!(
        matches!(validated, Err(Error::NotFound { .. })),
        "{validated:?}"
    );
}
