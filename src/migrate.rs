//! The migration runner: migrations/ once each (recorded and checksummed in
//! `dbo.SchemaMigrations`), sql/ (procedures/, then seed/) on every run.
//!
//! A small runner rather than refinery: refinery keeps its own history table
//! (`refinery_schema_history`, a SipHash checksum, text dates) where the contract asks for
//! `dbo.SchemaMigrations` with a SHA-256 checksum that the docker init writes too; it has no
//! notion of repeatable scripts run on every deploy (sql/); it sends a migration as one batch,
//! while T-SQL scripts need sqlcmd's `GO` splitting (`CREATE PROCEDURE` must start a batch);
//! and its catalog queries (`sys.tables`) would be more T-SQL for mssql-sim to carry.
//! The runner is about a hundred lines.
//!
//! Concurrent runners are not coordinated (no `sp_getapplock` in the subset): the second
//! one fails on the history row's primary key and rolls back, which is safe.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use tsql_script::{natural_cmp, split_batches};

use crate::db::{traced, LogonDb};
use crate::pool::{Connection, Request};
use crate::{Error, Result};

mod embedded_scripts {
    include!(concat!(env!("OUT_DIR"), "/scripts.rs"));
}

/// One script: its name (`V1__x.sql`, `procedures/p.sql`) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// File name (repeatable scripts carry their sub-directory).
    pub name: String,
    /// The T-SQL text.
    pub text: String,
}

/// What a [`LogonDb::migrate`] run applies.
#[derive(Debug, Clone)]
pub struct Scripts {
    /// Versioned migrations, in version order.
    migrations: Vec<(i32, Script)>,
    /// Repeatable scripts, in run order.
    repeatable: Vec<Script>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationReport {
    /// Migrations applied by this run (file names, in order).
    pub applied: Vec<String>,
    /// Repeatable scripts run.
    pub repeatable: usize,
}

/// The N of `VN__name.sql`.
fn version_of(name: &str) -> Option<i32> {
    let rest = name.strip_prefix('V').or_else(|| name.strip_prefix('v'))?;
    let (n, tail) = rest.split_once("__")?;
    (tail.ends_with(".sql") && !tail.is_empty()).then_some(())?;
    n.parse().ok().filter(|v| *v > 0)
}

/// Lower-case hex SHA-256 of the script's bytes.
pub fn checksum(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_dir_sorted(dir: &Path, prefix: &str) -> Result<Vec<Script>> {
    let io = |e: std::io::Error| Error::Migration {
        script: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut scripts = Vec::new();
    if !dir.is_dir() {
        return Ok(scripts);
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "sql") {
            scripts.push(Script {
                name: format!("{prefix}{name}"),
                text: std::fs::read_to_string(&path).map_err(io)?,
            });
        }
    }
    scripts.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    Ok(scripts)
}

impl Scripts {
    /// migrations/ and sql/ as compiled into the crate by build.rs.
    pub fn embedded() -> Self {
        let owned = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(name, text)| Script {
                    name: (*name).to_owned(),
                    text: (*text).to_owned(),
                })
                .collect::<Vec<_>>()
        };
        Scripts::new(
            owned(embedded_scripts::MIGRATIONS),
            owned(embedded_scripts::REPEATABLE),
        )
        .expect("build.rs embeds only V<N>__*.sql migrations with distinct versions")
    }

    /// The scripts on disk: `migrations_dir/V*.sql` and `sql_dir/procedures/*.sql`, then
    /// `sql_dir/seed/*.sql`.
    pub fn from_dirs(migrations_dir: impl AsRef<Path>, sql_dir: impl AsRef<Path>) -> Result<Self> {
        let sql = sql_dir.as_ref();
        let mut repeatable = read_dir_sorted(&sql.join("procedures"), "procedures/")?;
        repeatable.extend(read_dir_sorted(&sql.join("seed"), "seed/")?);
        Scripts::new(read_dir_sorted(migrations_dir.as_ref(), "")?, repeatable)
    }

    /// Checks the migration names (`V<N>__name.sql`, distinct N) and orders them by version;
    /// orders repeatable scripts `procedures/` first, then `seed/`, then the rest, each in
    /// natural name order.
    pub fn new(migrations: Vec<Script>, mut repeatable: Vec<Script>) -> Result<Self> {
        let rank = |s: &Script| {
            ["procedures/", "seed/"]
                .iter()
                .position(|dir| s.name.starts_with(dir))
                .unwrap_or(2)
        };
        repeatable.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| natural_cmp(&a.name, &b.name))
        });
        let mut versioned = Vec::with_capacity(migrations.len());
        for script in migrations {
            let version = version_of(&script.name).ok_or_else(|| Error::Migration {
                script: script.name.clone(),
                reason: "a migration is named V<N>__<name>.sql with N >= 1".into(),
            })?;
            versioned.push((version, script));
        }
        versioned.sort_by_key(|(v, _)| *v);
        if let Some(pair) = versioned.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Migration {
                script: pair[1].1.name.clone(),
                reason: format!("version {} is also {}", pair[0].0, pair[0].1.name),
            });
        }
        Ok(Scripts {
            migrations: versioned,
            repeatable,
        })
    }

    /// The migrations in version order.
    pub fn migrations(&self) -> impl Iterator<Item = &Script> {
        self.migrations.iter().map(|(_, s)| s)
    }

    /// The repeatable scripts in run order.
    pub fn repeatable(&self) -> &[Script] {
        &self.repeatable
    }
}

const ENSURE_HISTORY: &str = "IF OBJECT_ID(N'dbo.SchemaMigrations', N'U') IS NULL \
    CREATE TABLE dbo.SchemaMigrations (Version int NOT NULL CONSTRAINT PK_SchemaMigrations PRIMARY KEY, \
    Name nvarchar(200) NOT NULL, Checksum nvarchar(64) NOT NULL, \
    AppliedAt datetime2(3) NOT NULL CONSTRAINT DF_SchemaMigrations_AppliedAt DEFAULT (SYSUTCDATETIME()));";
const APPLIED: &str = "SELECT Version, Checksum FROM dbo.SchemaMigrations;";
const RECORD: &str =
    "INSERT INTO dbo.SchemaMigrations (Version, Name, Checksum) VALUES (@P1, @P2, @P3);";

impl LogonDb {
    /// Applies the migrations not yet recorded (each in its own transaction with its history
    /// row) and then runs every repeatable script (each in its own transaction). A recorded
    /// migration whose checksum changed is an error, and nothing after it runs.
    pub async fn migrate(&self, scripts: &Scripts) -> Result<MigrationReport> {
        traced("migrate", async {
            let mut conn = self.conn().await?;
            let timeout = self.command_timeout();
            conn.query(Request::Batch(ENSURE_HISTORY), timeout).await?;
            let applied: HashMap<i32, String> = conn
                .query(Request::Statement(APPLIED, &[]), timeout)
                .await?
                .into_iter()
                .next()
                .unwrap_or_default()
                .iter()
                .map(|row| {
                    Ok((
                        crate::model::req(row, 0)?,
                        crate::model::req::<&str>(row, 1)?.to_owned(),
                    ))
                })
                .collect::<Result<_>>()?;
            let mut report = MigrationReport::default();
            for (version, script) in &scripts.migrations {
                let sum = checksum(&script.text);
                match applied.get(version) {
                    Some(recorded) if *recorded == sum => continue,
                    Some(recorded) => {
                        return Err(Error::Migration {
                            script: script.name.clone(),
                            reason: format!(
                                "changed after it was applied (checksum {recorded}, now {sum})"
                            ),
                        })
                    }
                    None => {}
                }
                run_in_transaction(&mut conn, script, timeout, Some((*version, &sum))).await?;
                tracing::info!(migration = %script.name, "applied");
                report.applied.push(script.name.clone());
            }
            for script in &scripts.repeatable {
                run_in_transaction(&mut conn, script, timeout, None).await?;
                report.repeatable += 1;
            }
            Ok(report)
        })
        .await
    }
}

/// Runs the batches of `script` in one transaction, with its history row when `record` is set.
async fn run_in_transaction(
    conn: &mut Connection,
    script: &Script,
    timeout: std::time::Duration,
    record: Option<(i32, &str)>,
) -> Result<()> {
    let fail = |line: usize, e: Error| Error::Migration {
        script: script.name.clone(),
        reason: format!("batch at line {line}: {e}"),
    };
    conn.query(Request::Batch("BEGIN TRANSACTION;"), timeout)
        .await?;
    let body = async {
        for batch in split_batches(&script.text) {
            conn.query(Request::Batch(batch.sql), timeout)
                .await
                .map_err(|e| fail(batch.line, e))?;
        }
        if let Some((version, sum)) = record {
            conn.query(
                Request::Statement(RECORD, &[&version, &script.name.as_str(), &sum]),
                timeout,
            )
            .await
            .map_err(|e| fail(0, e))?;
        }
        conn.query(Request::Batch("COMMIT TRANSACTION;"), timeout)
            .await?;
        Ok(())
    };
    let out: Result<()> = body.await;
    if out.is_err() && !conn.is_broken() {
        let _ = conn
            .query(
                Request::Batch("IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;"),
                timeout,
            )
            .await;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(version_of("V1__reference_tables.sql"), Some(1));
        assert_eq!(version_of("V12__x.sql"), Some(12));
        assert_eq!(version_of("V0__x.sql"), None);
        assert_eq!(version_of("1__x.sql"), None);
        assert_eq!(version_of("V1_x.sql"), None);
        assert_eq!(version_of("V1__x.txt"), None);
    }

    #[test]
    fn checksums_are_lowercase_sha256_hex() {
        assert_eq!(
            checksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn scripts_are_ordered_and_checked() {
        let s = |name: &str| Script {
            name: name.into(),
            text: String::new(),
        };
        let scripts = Scripts::new(
            vec![s("V10__b.sql"), s("V2__a.sql")],
            vec![s("seed/10_b.sql"), s("seed/9_a.sql"), s("procedures/p.sql")],
        )
        .unwrap();
        let names: Vec<_> = scripts.migrations().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["V2__a.sql", "V10__b.sql"]);
        let names: Vec<_> = scripts
            .repeatable()
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["procedures/p.sql", "seed/9_a.sql", "seed/10_b.sql"]);
        assert!(matches!(
            Scripts::new(vec![s("V1__a.sql"), s("V1__b.sql")], vec![]),
            Err(Error::Migration { .. })
        ));
        assert!(matches!(
            Scripts::new(vec![s("init.sql")], vec![]),
            Err(Error::Migration { .. })
        ));
    }

    #[test]
    fn the_embedded_scripts_match_the_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let disk = Scripts::from_dirs(root.join("migrations"), root.join("sql")).unwrap();
        let embedded = Scripts::embedded();
        assert!(embedded.migrations().count() >= 3);
        assert_eq!(
            embedded.migrations().collect::<Vec<_>>(),
            disk.migrations().collect::<Vec<_>>()
        );
        assert_eq!(embedded.repeatable(), disk.repeatable());
    }
}
