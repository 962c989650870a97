//! What the engine knows about tables and procedures beyond what SQLite
//! stores: the T-SQL column types, which unique index is which, and the
//! parsed procedures. It is persisted in the database itself so a file
//! database reopens with its schema.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::ast::Procedure;
use super::parser::{parse_batch, parse_type_name};
use super::value::type_name;
use crate::types::SqlType;

pub const CATALOG_TABLE: &str = "__mssql_sim_catalog";

#[derive(Clone, Debug)]
pub struct ColumnInfo {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
    pub identity: bool,
}

#[derive(Clone, Debug)]
pub struct UniqueKey {
    pub name: String,
    pub columns: Vec<String>,
    /// PRIMARY KEY / UNIQUE constraint (2627) rather than a unique index (2601).
    pub constraint: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub unique_keys: Vec<UniqueKey>,
}

impl TableInfo {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn identity(&self) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.identity)
    }

    fn encode(&self) -> String {
        let mut out = Vec::new();
        for c in &self.columns {
            out.push(format!(
                "C\t{}\t{}\t{}\t{}",
                c.name,
                type_name(&c.ty),
                c.nullable as u8,
                c.identity as u8
            ));
        }
        for k in &self.unique_keys {
            out.push(format!(
                "K\t{}\t{}\t{}",
                k.name,
                k.constraint.unwrap_or("INDEX"),
                k.columns.join(",")
            ));
        }
        out.join("\n")
    }

    fn decode(name: &str, text: &str) -> Option<TableInfo> {
        let mut t = TableInfo {
            name: name.to_string(),
            columns: vec![],
            unique_keys: vec![],
        };
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["C", n, ty, null, ident] => t.columns.push(ColumnInfo {
                    name: n.to_string(),
                    ty: parse_type_name(ty).ok()?,
                    nullable: *null == "1",
                    identity: *ident == "1",
                }),
                ["K", n, kind, cols] => t.unique_keys.push(UniqueKey {
                    name: n.to_string(),
                    columns: cols.split(',').map(str::to_string).collect(),
                    constraint: match *kind {
                        "PRIMARY KEY" => Some("PRIMARY KEY"),
                        "UNIQUE KEY" => Some("UNIQUE KEY"),
                        _ => None,
                    },
                }),
                _ => return None,
            }
        }
        Some(t)
    }
}

#[derive(Default)]
pub struct Catalog {
    tables: HashMap<String, Arc<TableInfo>>,
    procedures: HashMap<String, Arc<Procedure>>,
}

impl Catalog {
    pub fn table(&self, name: &str) -> Option<Arc<TableInfo>> {
        self.tables.get(&name.to_ascii_lowercase()).cloned()
    }
    pub fn procedure(&self, name: &str) -> Option<Arc<Procedure>> {
        self.procedures.get(&name.to_ascii_lowercase()).cloned()
    }
    /// A stable object id for OBJECT_ID(), derived from the name.
    pub fn object_id(&self, name: &str, kind: Option<&str>) -> Option<i64> {
        let key = name.to_ascii_lowercase();
        let found = match kind.map(|k| k.trim().to_ascii_uppercase()) {
            Some(k) if k == "U" => self.tables.contains_key(&key),
            Some(k) if k == "P" => self.procedures.contains_key(&key),
            _ => self.tables.contains_key(&key) || self.procedures.contains_key(&key),
        };
        found.then(|| {
            let h = key
                .bytes()
                .fold(5381u32, |h, b| h.wrapping_mul(33) ^ b as u32);
            (h & 0x3FFF_FFFF) as i64 + 1
        })
    }

    pub fn create_table_store(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {CATALOG_TABLE} (kind TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, body TEXT NOT NULL, PRIMARY KEY (kind, name))"
        ))
    }

    pub fn put_table(&mut self, conn: &Connection, t: TableInfo) -> rusqlite::Result<()> {
        conn.execute(
            &format!("INSERT OR REPLACE INTO {CATALOG_TABLE} (kind, name, body) VALUES ('table', ?1, ?2)"),
            (&t.name, t.encode()),
        )?;
        self.tables.insert(t.name.to_ascii_lowercase(), Arc::new(t));
        Ok(())
    }

    pub fn drop_table(&mut self, conn: &Connection, name: &str) -> rusqlite::Result<()> {
        conn.execute(
            &format!("DELETE FROM {CATALOG_TABLE} WHERE kind = 'table' AND name = ?1"),
            [name],
        )?;
        self.tables.remove(&name.to_ascii_lowercase());
        Ok(())
    }

    pub fn put_procedure(&mut self, conn: &Connection, p: Procedure) -> rusqlite::Result<()> {
        conn.execute(
            &format!("INSERT OR REPLACE INTO {CATALOG_TABLE} (kind, name, body) VALUES ('procedure', ?1, ?2)"),
            (&p.name, &p.source),
        )?;
        self.procedures
            .insert(p.name.to_ascii_lowercase(), Arc::new(p));
        Ok(())
    }

    pub fn drop_procedure(&mut self, conn: &Connection, name: &str) -> rusqlite::Result<bool> {
        conn.execute(
            &format!("DELETE FROM {CATALOG_TABLE} WHERE kind = 'procedure' AND name = ?1"),
            [name],
        )?;
        Ok(self.procedures.remove(&name.to_ascii_lowercase()).is_some())
    }

    /// Rebuilds the catalog from the database (at open, and after a rollback
    /// undid DDL).
    pub fn load(conn: &Connection) -> rusqlite::Result<Catalog> {
        let mut cat = Catalog::default();
        let mut stmt = conn.prepare(&format!("SELECT kind, name, body FROM {CATALOG_TABLE}"))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (kind, name, body) = row?;
            if kind == "table" {
                if let Some(t) = TableInfo::decode(&name, &body) {
                    cat.tables.insert(name.to_ascii_lowercase(), Arc::new(t));
                }
            } else if let Ok(stmts) = parse_batch(&body, 1) {
                for s in stmts {
                    if let super::ast::StmtKind::CreateProcedure(p) = s.kind {
                        cat.procedures
                            .insert(p.name.to_ascii_lowercase(), Arc::new(p));
                    }
                }
            }
        }
        Ok(cat)
    }
}
