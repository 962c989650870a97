//! The migration runner through TDS, and the embedded server built on it.

mod common;

use logondb::embedded::EmbeddedServer;
use logondb::migrate::Script;
use logondb::{Error, LogonDb, Scripts};

#[tokio::test]
async fn the_embedded_server_migrates_an_empty_database() {
    let server = EmbeddedServer::start(None).await.unwrap();
    let report = server.migration_report();
    let expected: Vec<String> = Scripts::embedded()
        .migrations()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(report.applied, expected);
    assert_eq!(report.repeatable, Scripts::embedded().repeatable().len());
    let db = LogonDb::connect(server.config()).await.unwrap();
    assert_eq!(db.get_login_by_name("alice", false).await.unwrap().len(), 1);
    // A second run applies no migration and reruns sql/ (which is idempotent).
    let again = db.migrate(&Scripts::embedded()).await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(again.repeatable, report.repeatable);
    assert_eq!(db.get_login_by_name("alice", false).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_changed_migration_is_an_error() {
    let server = EmbeddedServer::start(None).await.unwrap();
    let db = LogonDb::connect(server.config()).await.unwrap();
    let mut migrations: Vec<Script> = Scripts::embedded().migrations().cloned().collect();
    migrations[0].text.push_str("\n-- edited after release\n");
    let changed = Scripts::new(migrations, vec![]).unwrap();
    match db.migrate(&changed).await {
        Err(Error::Migration { script, reason }) => {
            assert_eq!(script, "V1__reference_tables.sql");
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failing_migration_rolls_back_and_is_not_recorded() {
    let server = EmbeddedServer::start(None).await.unwrap();
    let db = LogonDb::connect(server.config()).await.unwrap();
    let mut migrations: Vec<Script> = Scripts::embedded().migrations().cloned().collect();
    migrations.push(Script {
        name: "V99__broken.sql".into(),
        text: "CREATE TABLE dbo.Partial (X int NOT NULL);\nGO\nSELECT * FROM dbo.NoSuchTable;\n"
            .into(),
    });
    match db
        .migrate(&Scripts::new(migrations.clone(), vec![]).unwrap())
        .await
    {
        Err(Error::Migration { script, reason }) => {
            assert_eq!(script, "V99__broken.sql");
            assert!(reason.contains("line 3"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Fixed, it applies: the partial table of the failed run was rolled back.
    migrations.last_mut().unwrap().text = "CREATE TABLE dbo.Partial (X int NOT NULL);\n".into();
    let report = db
        .migrate(&Scripts::new(migrations, vec![]).unwrap())
        .await
        .unwrap();
    assert_eq!(report.applied, ["V99__broken.sql"]);
}

#[tokio::test]
async fn a_database_file_is_reopened_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("logons.db");
    {
        let server = EmbeddedServer::start(Some(&file)).await.unwrap();
        let db = LogonDb::connect(server.config()).await.unwrap();
        db.change_user_logonname("alice", "alice.kept")
            .await
            .unwrap();
    }
    let server = EmbeddedServer::start(Some(&file)).await.unwrap();
    assert!(server.migration_report().applied.is_empty());
    let db = LogonDb::connect(server.config()).await.unwrap();
    assert_eq!(
        db.get_login_by_name("alice.kept", false)
            .await
            .unwrap()
            .len(),
        1
    );
}
