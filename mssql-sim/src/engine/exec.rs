//! Runs parsed T-SQL against the SQLite store with SQL Server's control
//! flow: statement- vs batch-aborting errors, TRY/CATCH, XACT_ABORT, nested
//! @@TRANCOUNT, procedures with OUTPUT parameters and return status.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::Value as Lite;
use rusqlite::{params_from_iter, Connection};

use super::ast::*;
use super::catalog::Catalog;
use super::functions::decode_error;
use super::parser::{parse_batch, parse_param_decls, unsupported};
use super::translate::{Env, ParamRef, Translated, Translator};
use super::value::{convert, from_lite, literal_type, to_lite};
use crate::session::{Abort, Done, DoneKind, Reply, TranChange};
use crate::types::{ServerMessage, SqlType, Value};

/// Whatever keeps a syntax tree alive (a cached batch, a procedure), so a
/// plan keyed by a node's address can never outlive the node.
type Owner = Arc<dyn Any + Send + Sync>;

/// A translated statement and what its parameters stand for.
struct Plan {
    t: Translated,
    params: Vec<ParamRef>,
}

/// A plan is reusable for the same node with the same variable types; `vars`
/// hashes those types, and the entry keeps them to check a hit exactly.
#[derive(PartialEq, Eq, Hash)]
struct PlanKey {
    node: usize,
    kind: u8,
    vars: u64,
}

/// A cached plan, the variable types it was made for, and what keeps its node alive.
struct PlanEntry {
    plan: Arc<Plan>,
    vars: Vec<(String, SqlType)>,
    _owner: Owner,
}

/// Enough for every statement a test suite sends; past it the caches start over.
const CACHE_LIMIT: usize = 4096;

/// The database and what the engine knows of it; one session uses it at a time.
pub struct Store {
    pub conn: Connection,
    pub catalog: Catalog,
    /// Parsed batches by their text: clients send the same statements again and again.
    parsed: HashMap<String, Arc<Vec<Stmt>>>,
    /// sp_executesql parameter declarations by their text.
    declared: HashMap<String, Arc<Vec<ProcParam>>>,
    plans: HashMap<PlanKey, PlanEntry>,
}

impl Store {
    pub fn new(conn: Connection, catalog: Catalog) -> Self {
        Store {
            conn,
            catalog,
            parsed: HashMap::new(),
            declared: HashMap::new(),
            plans: HashMap::new(),
        }
    }

    fn parse(&mut self, sql: &str) -> Result<Arc<Vec<Stmt>>, ServerMessage> {
        if let Some(stmts) = self.parsed.get(sql) {
            return Ok(stmts.clone());
        }
        let stmts = Arc::new(parse_batch(sql, 1)?);
        if self.parsed.len() >= CACHE_LIMIT {
            self.forget_plans();
        }
        self.parsed.insert(sql.to_string(), stmts.clone());
        Ok(stmts)
    }

    fn declarations(&mut self, decl: &str) -> Result<Arc<Vec<ProcParam>>, ServerMessage> {
        if let Some(params) = self.declared.get(decl) {
            return Ok(params.clone());
        }
        let params = Arc::new(parse_param_decls(decl)?);
        if self.declared.len() >= CACHE_LIMIT {
            self.forget_plans();
        }
        self.declared.insert(decl.to_string(), params.clone());
        Ok(params)
    }

    /// Drops every plan (the schema changed) and the parsed text they point into.
    fn forget_plans(&mut self) {
        self.plans.clear();
        self.parsed.clear();
        self.declared.clear();
    }
}

/// Per-connection state that outlives a request.
pub struct SessionState {
    pub spid: u16,
    pub nocount: bool,
    pub xact_abort: bool,
    pub trancount: u32,
    pub tran_id: u64,
    pub rowcount: i64,
    pub identity: Option<i64>,
    pub last_error: i32,
    pub database: String,
    pub user: String,
    /// DDL ran inside the open transaction (a rollback must reload the catalog).
    pub ddl_in_tran: bool,
    /// An error under XACT_ABORT was caught: the transaction can only roll back.
    pub doomed: bool,
}

impl SessionState {
    pub fn new(spid: u16, database: &str, user: &str) -> Self {
        SessionState {
            spid,
            nocount: false,
            xact_abort: false,
            trancount: 0,
            tran_id: 0,
            rowcount: 0,
            identity: None,
            last_error: 0,
            database: database.into(),
            user: user.into(),
            ddl_in_tran: false,
            doomed: false,
        }
    }
}

#[derive(Default)]
struct Frame {
    vars: HashMap<String, (SqlType, Value)>,
    scope_identity: Option<i64>,
    procedure: String,
}

pub enum Flow {
    Normal,
    Return(Option<i32>),
    Break,
    Continue,
}

pub enum Fail {
    /// An error not yet sent; `batch` when it ends the batch.
    Error(ServerMessage, bool),
    /// A RAISERROR: ends the statement only, XACT_ABORT or not.
    Raised(ServerMessage),
    /// A name that does not resolve (207, 208 ...): SQL Server's recompile
    /// error, which a TRY in the same procedure or batch does not catch; one
    /// level up it is an ordinary batch-aborting error.
    Unresolved(ServerMessage),
    /// An error already sent that ends the batch.
    Reported,
    Abort(Abort),
}

impl From<Abort> for Fail {
    fn from(a: Abort) -> Self {
        Fail::Abort(a)
    }
}

type R<T> = Result<T, Fail>;

/// Errors SQL Server raises as batch-aborting (name resolution, conversions, THROW).
fn aborts_batch(number: i32) -> bool {
    matches!(
        number,
        102 | 105 | 111 | 137 | 134 | 156 | 195 | 241 | 245 | 2812 | 8169 | 40000
    ) || number >= 50000
        || unresolved_name(number)
}

/// Invalid column, object, ambiguous column, unbound identifier: SQL Server's
/// name-resolution errors.
fn unresolved_name(number: i32) -> bool {
    matches!(number, 207 | 208 | 209 | 4104)
}

pub fn sqlite_error(
    e: rusqlite::Error,
    catalog: &Catalog,
    verb: &str,
    table: &str,
) -> ServerMessage {
    let text = e.to_string();
    if let Some(m) = decode_error(&text) {
        return m;
    }
    let db_table = format!("dbo.{table}");
    if let Some(rest) = text.strip_prefix("UNIQUE constraint failed: ") {
        let info = catalog.table(table);
        let key = info.as_ref().and_then(|t| {
            let cols: Vec<String> = rest
                .split(", ")
                .map(|c| c.rsplit('.').next().unwrap_or(c).to_string())
                .collect();
            let named = rest
                .strip_prefix("index '")
                .map(|n| n.trim_end_matches('\''));
            t.unique_keys
                .iter()
                .find(|k| match named {
                    Some(n) => k.name.eq_ignore_ascii_case(n),
                    None => {
                        k.columns.len() == cols.len()
                            && k.columns
                                .iter()
                                .zip(&cols)
                                .all(|(a, b)| a.eq_ignore_ascii_case(b))
                    }
                })
                .cloned()
        });
        return match key {
            Some(k) if k.constraint.is_some() => ServerMessage::error(
                2627,
                format!("Violation of {} constraint '{}'. Cannot insert duplicate key in object '{db_table}'.", k.constraint.unwrap_or_default(), k.name),
            ),
            Some(k) => ServerMessage::error(
                2601,
                format!("Cannot insert duplicate key row in object '{db_table}' with unique index '{}'.", k.name),
            ),
            None => ServerMessage::error(2601, format!("Cannot insert duplicate key row in object '{db_table}'.")),
        };
    }
    if let Some(rest) = text.strip_prefix("NOT NULL constraint failed: ") {
        let column = rest.rsplit('.').next().unwrap_or(rest);
        return ServerMessage::error(
            515,
            format!("Cannot insert the value NULL into column '{column}', table 'master.{db_table}'; column does not allow nulls. {verb} fails."),
        );
    }
    if let Some(rest) = text.strip_prefix("CHECK constraint failed: ") {
        return ServerMessage::error(
            547,
            format!("The {verb} statement conflicted with the CHECK constraint \"{rest}\". The conflict occurred in database \"master\", table \"{db_table}\"."),
        );
    }
    if text.starts_with("FOREIGN KEY constraint failed") {
        let kind = if verb == "DELETE" {
            "REFERENCE"
        } else {
            "FOREIGN KEY"
        };
        return ServerMessage::error(
            547,
            format!("The {verb} statement conflicted with the {kind} constraint. The conflict occurred in database \"master\", table \"{db_table}\"."),
        );
    }
    if text.contains("malformed JSON") {
        return ServerMessage::error(13609, "JSON text is not properly formatted.");
    }
    ServerMessage::error(
        40001,
        format!("mssql-sim: the storage engine failed: {text}"),
    )
}

struct EnvView<'a> {
    frame: &'a Frame,
    sess: &'a SessionState,
    caught: Option<&'a ServerMessage>,
}

impl Env for EnvView<'_> {
    fn var(&self, name: &str) -> Option<(SqlType, Value)> {
        match self.frame.vars.get(name) {
            Some(v) => Some(v.clone()),
            None => self.frame.vars.get(&name.to_ascii_lowercase()).cloned(),
        }
    }
    fn special(&self, name: &str) -> Option<(SqlType, Value)> {
        let int = |v: i64| Some((SqlType::Int, Value::Int(v)));
        let text = |s: &str| Some((SqlType::NVarChar(Some(128)), Value::Str(s.to_string())));
        let ident = |v: Option<i64>| {
            Some((
                SqlType::Decimal {
                    precision: 38,
                    scale: 0,
                },
                v.map(|i| Value::Decimal(i as i128, 0))
                    .unwrap_or(Value::Null),
            ))
        };
        let caught = |f: &dyn Fn(&ServerMessage) -> Value, ty: SqlType| {
            Some((ty, self.caught.map(f).unwrap_or(Value::Null)))
        };
        match name {
            "@@ROWCOUNT" => int(self.sess.rowcount),
            "@@TRANCOUNT" => int(self.sess.trancount as i64),
            "@@ERROR" => int(self.sess.last_error as i64),
            "@@SPID" => Some((SqlType::SmallInt, Value::Int(self.sess.spid as i64))),
            "@@IDENTITY" => ident(self.sess.identity),
            "@@VERSION" => text("Microsoft SQL Server 2022 (mssql-sim)"),
            "@@SERVERNAME" => text("mssql-sim"),
            "@@LANGUAGE" => text("us_english"),
            "@@MAX_PRECISION" => Some((SqlType::TinyInt, Value::Int(38))),
            "SCOPE_IDENTITY" => ident(self.frame.scope_identity),
            "DB_NAME" => text(&self.sess.database),
            "SUSER_SNAME" | "SUSER_NAME" | "USER_NAME" | "CURRENT_USER" => text(&self.sess.user),
            "XACT_STATE" => {
                let state = match (self.sess.trancount, self.sess.doomed) {
                    (0, _) => 0,
                    (_, true) => -1,
                    _ => 1,
                };
                Some((SqlType::SmallInt, Value::Int(state)))
            }
            "ERROR_NUMBER" => caught(&|m| Value::Int(m.number as i64), SqlType::Int),
            "ERROR_SEVERITY" => caught(&|m| Value::Int(m.class as i64), SqlType::Int),
            "ERROR_STATE" => caught(&|m| Value::Int(m.state as i64), SqlType::Int),
            "ERROR_LINE" => caught(&|m| Value::Int(m.line as i64), SqlType::Int),
            "ERROR_MESSAGE" => caught(
                &|m| Value::Str(m.message.clone()),
                SqlType::NVarChar(Some(4000)),
            ),
            "ERROR_PROCEDURE" => caught(
                &|m| {
                    if m.procedure.is_empty() {
                        Value::Null
                    } else {
                        Value::Str(m.procedure.clone())
                    }
                },
                SqlType::NVarChar(Some(128)),
            ),
            _ => None,
        }
    }
}

/// One request being run.
pub struct Run<'a> {
    pub store: &'a mut Store,
    pub sess: &'a mut SessionState,
    pub reply: &'a mut dyn Reply,
    frame: Frame,
    /// How deep in procedures we are (0 = the batch itself).
    depth: usize,
    try_depth: usize,
    caught: Vec<ServerMessage>,
    /// Whether any DONE token has gone out for this request.
    pub sent_done: bool,
    pub failed: bool,
    /// What keeps the running syntax tree alive; plans are cached only under one.
    owner: Option<Owner>,
}

/// Plan kinds, so one node can have a plan per use.
const SELECT: u8 = 1;
const INSERT: u8 = 2;
const UPDATE: u8 = 3;
const DELETE: u8 = 4;
const SCALAR: u8 = 5;
const CONDITION: u8 = 6;

impl<'a> Run<'a> {
    pub fn new(store: &'a mut Store, sess: &'a mut SessionState, reply: &'a mut dyn Reply) -> Self {
        Run {
            store,
            sess,
            reply,
            frame: Frame::default(),
            depth: 0,
            try_depth: 0,
            caught: vec![],
            sent_done: false,
            failed: false,
            owner: None,
        }
    }

    fn done_kind(&self) -> DoneKind {
        if self.depth == 0 {
            DoneKind::Done
        } else {
            DoneKind::InProc
        }
    }

    fn done(&mut self, count: Option<u64>, cur_cmd: u16, error: bool) -> Result<(), Abort> {
        self.sent_done = true;
        let count = if self.sess.nocount { None } else { count };
        let kind = self.done_kind();
        self.reply.done(Done {
            kind,
            error,
            count,
            cur_cmd,
        })
    }

    /// The DONEPROC that ends a procedure's output.
    pub fn done_proc(&mut self, error: bool) -> Result<(), Abort> {
        self.sent_done = true;
        self.reply.done(Done {
            kind: DoneKind::Proc,
            error,
            count: None,
            cur_cmd: 0,
        })
    }

    /// An error that ends the batch, placed at `line` of the running procedure.
    fn batch_error(&self, m: ServerMessage, line: i32) -> Fail {
        Fail::Error(self.located(m, line), true)
    }

    /// An error that ends only its statement.
    fn statement_error(&self, m: ServerMessage, line: i32) -> Fail {
        Fail::Error(self.located(m, line), false)
    }

    fn located(&self, mut m: ServerMessage, line: i32) -> ServerMessage {
        if m.line <= 1 {
            m.line = line;
        }
        if m.procedure.is_empty() {
            m.procedure = self.frame.procedure.clone();
        }
        m
    }

    fn translate<T>(
        &self,
        line: i32,
        f: impl FnOnce(&mut Translator) -> Result<T, ServerMessage>,
    ) -> R<(T, Vec<ParamRef>)> {
        let env = EnvView {
            frame: &self.frame,
            sess: self.sess,
            caught: self.caught.last(),
        };
        let mut t = Translator::new(&self.store.catalog, &env, line);
        let out = f(&mut t).map_err(|m| {
            let m = self.located(m, line);
            if unresolved_name(m.number) {
                Fail::Unresolved(m)
            } else {
                let batch = aborts_batch(m.number);
                Fail::Error(m, batch)
            }
        })?;
        Ok((out, t.params))
    }

    /// The plan of an AST node, translated once per set of variable types.
    fn plan(
        &mut self,
        node: usize,
        kind: u8,
        line: i32,
        f: impl FnOnce(&mut Translator) -> Result<Translated, ServerMessage>,
    ) -> R<Arc<Plan>> {
        let key = self.owner.as_ref().map(|_| PlanKey {
            node,
            kind,
            vars: self.var_hash(),
        });
        if let Some(found) = key.as_ref().and_then(|k| self.store.plans.get(k)) {
            if self.vars_match(&found.vars) {
                return Ok(found.plan.clone());
            }
        }
        let (t, params) = self.translate(line, f)?;
        let plan = Arc::new(Plan { t, params });
        if let (Some(key), Some(owner)) = (key, self.owner.clone()) {
            if self.store.plans.len() >= CACHE_LIMIT {
                self.store.forget_plans();
            }
            let vars = self
                .frame
                .vars
                .iter()
                .map(|(n, (t, _))| (n.clone(), t.clone()))
                .collect();
            self.store.plans.insert(
                key,
                PlanEntry {
                    plan: plan.clone(),
                    vars,
                    _owner: owner,
                },
            );
        }
        Ok(plan)
    }

    /// An order-independent hash of the variables' names and types.
    fn var_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        self.frame
            .vars
            .iter()
            .fold(self.frame.vars.len() as u64, |acc, (n, (t, _))| {
                let mut h = std::hash::DefaultHasher::new();
                (n, t).hash(&mut h);
                acc ^ h.finish()
            })
    }

    fn vars_match(&self, vars: &[(String, SqlType)]) -> bool {
        vars.len() == self.frame.vars.len()
            && vars
                .iter()
                .all(|(n, t)| self.frame.vars.get(n).is_some_and(|(ft, _)| ft == t))
    }

    /// The values a plan's parameters stand for right now.
    fn bind(&self, refs: &[ParamRef]) -> Vec<Lite> {
        let env = EnvView {
            frame: &self.frame,
            sess: self.sess,
            caught: self.caught.last(),
        };
        refs.iter()
            .map(|r| {
                let v = match r {
                    ParamRef::Var(n) => env.var(n),
                    ParamRef::Special(n) => env.special(n),
                };
                v.map(|(_, v)| to_lite(&v)).unwrap_or(Lite::Null)
            })
            .collect()
    }

    fn storage_error(&self, e: rusqlite::Error, verb: &str, table: &str, line: i32) -> Fail {
        let m = sqlite_error(e, &self.store.catalog, verb, table);
        let batch = aborts_batch(m.number);
        Fail::Error(self.located(m, line), batch)
    }

    /// Sends an error that no TRY caught; the request has failed.
    fn report(&mut self, m: &ServerMessage) -> Result<(), Abort> {
        self.failed = true;
        self.sess.last_error = m.number;
        self.reply.error(m)?;
        let kind = self.done_kind();
        self.sent_done = true;
        self.reply.done(Done {
            kind,
            error: true,
            count: None,
            cur_cmd: 0,
        })
    }

    pub fn run_block(&mut self, stmts: &[Stmt]) -> R<Flow> {
        for s in stmts {
            match self.stmt(s) {
                Ok(Flow::Normal) => self.sess.last_error = 0,
                Ok(flow) => return Ok(flow),
                Err(Fail::Raised(m)) => {
                    if self.try_depth > 0 {
                        return Err(Fail::Error(m, false));
                    }
                    self.report(&m)?;
                }
                Err(Fail::Unresolved(m)) if self.try_depth > 0 => return Err(Fail::Unresolved(m)),
                Err(Fail::Unresolved(m)) => {
                    self.report(&m)?;
                    if self.sess.xact_abort && self.sess.trancount > 0 {
                        self.rollback()?;
                    }
                    return Err(Fail::Reported);
                }
                Err(Fail::Error(m, batch)) => {
                    if self.try_depth > 0 {
                        return Err(Fail::Error(m, batch));
                    }
                    self.report(&m)?;
                    if self.sess.xact_abort && self.sess.trancount > 0 {
                        self.rollback()?;
                    }
                    if batch || self.sess.xact_abort {
                        return Err(Fail::Reported);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs a whole batch (or the text of sp_executesql) and reports what it left.
    pub fn run_top(&mut self, stmts: &[Stmt]) -> Result<(), Abort> {
        match self.run_block(stmts) {
            Ok(_) | Err(Fail::Reported) => Ok(()),
            Err(Fail::Error(m, _)) | Err(Fail::Raised(m)) | Err(Fail::Unresolved(m)) => {
                self.report(&m)
            }
            Err(Fail::Abort(a)) => Err(a),
        }?;
        if self.sess.doomed {
            self.rollback()?;
            self.report(&ServerMessage::error(
                3998,
                "Uncommittable transaction is detected at the end of the batch. The transaction is rolled back.",
            ))?;
        }
        Ok(())
    }

    pub fn parse_and_run(&mut self, sql: &str) -> Result<(), Abort> {
        match self.store.parse(sql) {
            Ok(stmts) => {
                self.owner = Some(stmts.clone());
                self.run_top(&stmts)
            }
            Err(m) => self.report(&m),
        }
    }

    fn eval(&mut self, e: &Expr, line: i32) -> R<(SqlType, Value)> {
        match e {
            Expr::Literal(v) => return Ok((literal_type(v), v.clone())),
            Expr::Var(name) => {
                if let Some(v) = self.frame.vars.get(&name.to_ascii_lowercase()) {
                    return Ok(v.clone());
                }
            }
            _ => {}
        }
        let plan = self.plan(node(e), SCALAR, line, |t| t.scalar(e))?;
        let v = self.query_one(&plan, line)?;
        Ok((plan.t.columns[0].ty.clone(), v))
    }

    /// An expression built for one use (`SET @v += e`): translated, never cached.
    fn eval_once(&mut self, e: &Expr, line: i32) -> R<Value> {
        let (t, params) = self.translate(line, |t| t.scalar(e))?;
        self.query_one(&Plan { t, params }, line)
    }

    fn cond(&mut self, e: &Expr, line: i32) -> R<bool> {
        let plan = self.plan(node(e), CONDITION, line, |t| t.condition(e))?;
        Ok(matches!(self.query_one(&plan, line)?, Value::Int(1)))
    }

    fn query_one(&mut self, plan: &Plan, line: i32) -> R<Value> {
        let ty = &plan.t.columns[0].ty;
        let params = self.bind(&plan.params);
        let res = (|| -> rusqlite::Result<Value> {
            let mut stmt = self.store.conn.prepare_cached(&plan.t.sql)?;
            let mut rows = stmt.query(params_from_iter(params))?;
            Ok(match rows.next()? {
                Some(r) => from_lite(r.get_ref(0)?, ty),
                None => Value::Null,
            })
        })();
        res.map_err(|e| self.storage_error(e, "SELECT", "", line))
    }

    fn set_var(&mut self, name: &str, v: Value, line: i32) -> R<()> {
        let key = name.to_ascii_lowercase();
        let Some((ty, _)) = self.frame.vars.get(&key).cloned() else {
            return Err(self.batch_error(
                ServerMessage::error(137, format!("Must declare the scalar variable \"{name}\".")),
                line,
            ));
        };
        let v = convert(v, &ty, None).map_err(|m| {
            let batch = aborts_batch(m.number);
            Fail::Error(self.located(m, line), batch)
        })?;
        self.frame.vars.insert(key, (ty, v));
        Ok(())
    }

    fn declare(&mut self, name: &str, ty: &SqlType, line: i32) -> R<()> {
        let key = name.to_ascii_lowercase();
        if self.frame.vars.contains_key(&key) {
            return Err(self.batch_error(ServerMessage::error(134, format!("The variable name '{name}' has already been declared. Variable names must be unique within a query batch or stored procedure.")), line));
        }
        self.frame.vars.insert(key, (ty.clone(), Value::Null));
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt) -> R<Flow> {
        let line = s.line;
        match &s.kind {
            StmtKind::Query(q) => self.select(q, line)?,
            StmtKind::Insert(i) => {
                let plan = self.plan(node(&**i), INSERT, line, |t| t.insert(i))?;
                self.dml(&plan, 0xC3, "INSERT", &i.table, line, true)?;
            }
            StmtKind::Update(u) => {
                let plan = self.plan(node(&**u), UPDATE, line, |t| t.update(u))?;
                self.dml(&plan, 0xC5, "UPDATE", &u.table, line, false)?;
            }
            StmtKind::Delete(d) => {
                let plan = self.plan(node(&**d), DELETE, line, |t| t.delete(d))?;
                self.dml(&plan, 0xC4, "DELETE", &d.table, line, false)?;
            }
            StmtKind::CreateTable(c) => {
                let ((sql, info), _) = self.translate(line, |t| t.create_table(c))?;
                self.sqlite(&sql, line)?;
                let store = &mut *self.store;
                store.catalog.put_table(&store.conn, info).map_err(|e| self.storage_error(e, "CREATE", &c.name, line))?;
                self.schema_changed();
            }
            StmtKind::CreateIndex(ix) => {
                let ((sql, info), _) = self.translate(line, |t| t.create_index(ix))?;
                if self.store.conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1 COLLATE NOCASE")
                    .and_then(|mut st| st.exists([&ix.name]))
                    .unwrap_or(false)
                {
                    return Err(self.statement_error(ServerMessage::error(1913, format!("The operation failed because an index or statistics with name '{}' already exists on table 'dbo.{}'.", ix.name, ix.table)), line));
                }
                self.sqlite(&sql, line)?;
                let store = &mut *self.store;
                store.catalog.put_table(&store.conn, info).map_err(|e| self.storage_error(e, "CREATE", &ix.table, line))?;
                self.schema_changed();
            }
            StmtKind::CreateProcedure(p) => {
                if self.store.catalog.procedure(&p.name).is_some() && !p.or_alter {
                    return Err(self.statement_error(ServerMessage::error(2714, format!("There is already an object named '{}' in the database.", p.name)), line));
                }
                let store = &mut *self.store;
                store.catalog.put_procedure(&store.conn, p.clone()).map_err(|e| self.storage_error(e, "CREATE", &p.name, line))?;
                self.schema_changed();
            }
            StmtKind::DropProcedure { name, if_exists } => {
                let store = &mut *self.store;
                let existed = store.catalog.drop_procedure(&store.conn, name).map_err(|e| self.storage_error(e, "DROP", name, line))?;
                self.schema_changed();
                if !existed && !if_exists {
                    return Err(self.statement_error(ServerMessage::error(3701, format!("Cannot drop the procedure '{name}', because it does not exist or you do not have permission.")), line));
                }
            }
            StmtKind::DropTable { name, if_exists } => match self.store.catalog.table(name) {
                Some(info) => {
                    self.sqlite(&format!("DROP TABLE {}", super::translate::quote(&info.name)), line)?;
                    let store = &mut *self.store;
                    store.catalog.drop_table(&store.conn, &info.name).map_err(|e| self.storage_error(e, "DROP", name, line))?;
                    self.schema_changed();
                }
                None if *if_exists => {}
                None => {
                    return Err(self.statement_error(ServerMessage::error(3701, format!("Cannot drop the table '{name}', because it does not exist or you do not have permission.")), line))
                }
            },
            StmtKind::Declare(vars) => {
                for (name, ty, init) in vars {
                    self.declare(name, ty, line)?;
                    if let Some(e) = init {
                        let (_, v) = self.eval(e, line)?;
                        self.set_var(name, v, line)?;
                    }
                }
            }
            StmtKind::SetVar { name, op, value } => {
                let v = match op {
                    None => self.eval(value, line)?.1,
                    Some(op) => self.eval_once(
                        &Expr::Binary(*op, Box::new(Expr::Var(name.clone())), Box::new(value.clone())),
                        line,
                    )?,
                };
                self.set_var(name, v, line)?;
                self.sess.rowcount = 1;
            }
            StmtKind::SetOption { option, on } => {
                match option.as_str() {
                    "NOCOUNT" => self.sess.nocount = *on,
                    "XACT_ABORT" => self.sess.xact_abort = *on,
                    _ => {}
                }
                self.sess.rowcount = 0;
            }
            StmtKind::If { cond, then, otherwise } => {
                if self.cond(cond, line)? {
                    return self.run_one(then);
                } else if let Some(o) = otherwise {
                    return self.run_one(o);
                }
            }
            StmtKind::While { cond, body } => {
                let mut guard = 0u64;
                while self.cond(cond, line)? {
                    guard += 1;
                    if guard > 10_000_000 {
                        return Err(self.batch_error(unsupported("a WHILE loop of more than 10,000,000 iterations", line), line));
                    }
                    match self.run_one(body)? {
                        Flow::Break => break,
                        Flow::Return(r) => return Ok(Flow::Return(r)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            StmtKind::Block(stmts) => return self.run_block(stmts),
            StmtKind::TryCatch { body, handler } => {
                self.try_depth += 1;
                let r = self.run_block(body);
                self.try_depth -= 1;
                return match r {
                    Err(Fail::Error(m, _)) => {
                        self.sess.last_error = m.number;
                        if self.sess.xact_abort && self.sess.trancount > 0 {
                            self.sess.doomed = true;
                        }
                        self.caught.push(m);
                        let r = self.run_block(handler);
                        self.caught.pop();
                        r
                    }
                    other => other,
                };
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => match convert(self.eval(e, line)?.1, &SqlType::Int, None) {
                        Ok(Value::Int(i)) => Some(i as i32),
                        Ok(_) => Some(0),
                        Err(m) => return Err(self.batch_error(m, line)),
                    },
                    None => None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Throw(None) => {
                let Some(m) = self.caught.last().cloned() else {
                    return Err(self.batch_error(ServerMessage::error(10704, "To rethrow an error, a THROW statement must be used inside a CATCH block."), line));
                };
                return Err(Fail::Error(m, true));
            }
            StmtKind::Throw(Some((n, msg, state))) => {
                let number = match convert(self.eval(n, line)?.1, &SqlType::Int, None) {
                    Ok(Value::Int(i)) => i as i32,
                    _ => 0,
                };
                if number < 50000 {
                    return Err(self.batch_error(ServerMessage::error(35100, format!("Error number {number} in the THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647.")), line));
                }
                let message = match convert(self.eval(msg, line)?.1, &SqlType::NVarChar(Some(2048)), None) {
                    Ok(Value::Str(s)) => s,
                    _ => String::new(),
                };
                let state = match convert(self.eval(state, line)?.1, &SqlType::TinyInt, None) {
                    Ok(Value::Int(i)) => i as u8,
                    _ => 1,
                };
                let mut m = ServerMessage::error(number, message);
                m.state = state;
                return Err(self.batch_error(m, line));
            }
            StmtKind::Raiserror { message, severity, state, args } => {
                let text = match self.eval(message, line)?.1 {
                    Value::Str(s) => s,
                    other => format!("{other:?}"),
                };
                let mut values = Vec::new();
                for a in args {
                    values.push(self.eval(a, line)?.1);
                }
                let severity = match self.eval(severity, line)?.1 {
                    Value::Int(i) => i.clamp(0, 25) as u8,
                    _ => 16,
                };
                let state = match self.eval(state, line)?.1 {
                    Value::Int(i) => i.clamp(0, 255) as u8,
                    _ => 1,
                };
                let mut m = ServerMessage::error(50000, printf(&text, &values));
                m.class = severity;
                m.state = state;
                let m = self.located(m, line);
                self.sess.rowcount = 0;
                if severity <= 10 {
                    self.reply.info(&m)?;
                } else {
                    return Err(Fail::Raised(m));
                }
            }
            StmtKind::Print(e) => {
                let text = match convert(self.eval(e, line)?.1, &SqlType::NVarChar(None), None) {
                    Ok(Value::Str(s)) => s,
                    _ => String::new(),
                };
                let mut m = ServerMessage::error(0, text);
                m.class = 0;
                self.reply.info(&m)?;
                self.sess.rowcount = 0;
            }
            StmtKind::BeginTran => {
                if self.sess.trancount == 0 {
                    self.sqlite("BEGIN", line)?;
                    self.sess.tran_id += 1;
                    let id = ((self.sess.spid as u64) << 32) | self.sess.tran_id;
                    self.reply.transaction(TranChange::Begin(id))?;
                }
                self.sess.trancount += 1;
                self.sess.rowcount = 0;
            }
            StmtKind::Commit => {
                if self.sess.trancount == 0 {
                    return Err(self.statement_error(ServerMessage::error(3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION."), line));
                }
                if self.sess.doomed {
                    return Err(self.statement_error(uncommittable(), line));
                }
                self.sess.trancount -= 1;
                if self.sess.trancount == 0 {
                    self.sqlite("COMMIT", line)?;
                    self.sess.ddl_in_tran = false;
                    let id = self.current_tran();
                    self.reply.transaction(TranChange::Commit(id))?;
                }
                self.sess.rowcount = 0;
            }
            StmtKind::Rollback => {
                if self.sess.trancount == 0 {
                    return Err(self.statement_error(ServerMessage::error(3903, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION."), line));
                }
                self.rollback()?;
                self.sess.rowcount = 0;
            }
            StmtKind::Exec(e) => {
                self.exec(e, line)?;
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn current_tran(&self) -> u64 {
        ((self.sess.spid as u64) << 32) | self.sess.tran_id
    }

    /// Plans may name what DDL just changed; a rollback must also undo the catalog.
    fn schema_changed(&mut self) {
        self.store.forget_plans();
        if self.sess.trancount > 0 {
            self.sess.ddl_in_tran = true;
        }
    }

    /// Rolls the whole transaction back, whatever the nesting level.
    pub fn rollback(&mut self) -> Result<(), Abort> {
        if self.sess.trancount == 0 {
            return Ok(());
        }
        self.sess.trancount = 0;
        self.sess.doomed = false;
        let _ = self.store.conn.execute_batch("ROLLBACK");
        if std::mem::take(&mut self.sess.ddl_in_tran) {
            // The DDL was undone with the data.
            if let Ok(c) = Catalog::load(&self.store.conn) {
                self.store.catalog = c;
            }
            self.store.forget_plans();
        }
        let id = self.current_tran();
        self.reply.transaction(TranChange::Rollback(id))
    }

    fn run_one(&mut self, s: &Stmt) -> R<Flow> {
        self.run_block(std::slice::from_ref(s))
    }

    /// Runs SQLite statements that return nothing (DDL, BEGIN, COMMIT).
    fn sqlite(&mut self, sql: &str, line: i32) -> R<()> {
        self.store
            .conn
            .execute_batch(sql)
            .map_err(|e| self.storage_error(e, "CREATE", "", line))
    }

    fn select(&mut self, q: &Query, line: i32) -> R<()> {
        let plan = self.plan(node(q), SELECT, line, |t| t.query(q, None))?;
        let params = self.bind(&plan.params);
        let t = &plan.t;
        let assigns: Vec<String> = q
            .select
            .items
            .iter()
            .filter_map(|i| match i {
                SelectItem::Assign { var, .. } => Some(var.clone()),
                _ => None,
            })
            .collect();
        let mut last: Option<Vec<Value>> = None;
        let mut count = 0u64;
        let columns = t.columns.clone();
        let streamed = assigns.is_empty();
        let result = (|| -> Result<Result<(), Abort>, rusqlite::Error> {
            let mut stmt = self.store.conn.prepare_cached(&t.sql)?;
            let mut rows = stmt.query(params_from_iter(params))?;
            if streamed {
                if let Err(a) = self.reply.columns(&columns) {
                    return Ok(Err(a));
                }
            }
            let mut values = Vec::with_capacity(columns.len());
            while let Some(r) = rows.next()? {
                values.clear();
                for (i, c) in columns.iter().enumerate() {
                    values.push(from_lite(r.get_ref(i)?, &c.ty));
                }
                count += 1;
                if streamed {
                    if let Err(a) = self.reply.row(&values) {
                        return Ok(Err(a));
                    }
                } else {
                    last = Some(values.clone());
                }
            }
            Ok(Ok(()))
        })();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(a)) => return Err(Fail::Abort(a)),
            Err(e) => return Err(self.storage_error(e, "SELECT", "", line)),
        }
        if let Some(vals) = last {
            for (var, v) in assigns.iter().zip(vals) {
                self.set_var(var, v, line)?;
            }
        }
        self.sess.rowcount = count as i64;
        if streamed {
            self.done(Some(count), 0xC1, false)?;
        }
        Ok(())
    }

    fn dml(
        &mut self,
        plan: &Plan,
        cur_cmd: u16,
        verb: &str,
        table: &str,
        line: i32,
        insert: bool,
    ) -> R<()> {
        if self.sess.doomed {
            return Err(self.statement_error(uncommittable(), line));
        }
        let t = &plan.t;
        let params = self.bind(&plan.params);
        let returning = !t.columns.is_empty();
        let columns = t.columns.clone();
        let result = (|| -> Result<Result<u64, Abort>, rusqlite::Error> {
            let mut stmt = self.store.conn.prepare_cached(&t.sql)?;
            if !returning {
                return Ok(Ok(stmt.execute(params_from_iter(params))? as u64));
            }
            let mut rows = stmt.query(params_from_iter(params))?;
            // RETURNING rows arrive only as the statement runs; collect them so
            // an error in a later row still undoes the whole statement.
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let mut vals = Vec::with_capacity(columns.len());
                for (i, c) in columns.iter().enumerate() {
                    vals.push(from_lite(r.get_ref(i)?, &c.ty));
                }
                out.push(vals);
            }
            if let Err(a) = self.reply.columns(&columns) {
                return Ok(Err(a));
            }
            for v in &out {
                if let Err(a) = self.reply.row(v) {
                    return Ok(Err(a));
                }
            }
            Ok(Ok(out.len() as u64))
        })();
        let n = match result {
            Ok(Ok(n)) => n,
            Ok(Err(a)) => return Err(Fail::Abort(a)),
            Err(e) => return Err(self.storage_error(e, verb, table, line)),
        };
        if insert
            && n > 0
            && self
                .store
                .catalog
                .table(table)
                .is_some_and(|t| t.identity().is_some())
        {
            let id = self.store.conn.last_insert_rowid();
            self.frame.scope_identity = Some(id);
            self.sess.identity = Some(id);
        }
        self.sess.rowcount = n as i64;
        self.done(Some(n), cur_cmd, false)?;
        Ok(())
    }

    fn exec(&mut self, e: &Exec, line: i32) -> R<()> {
        let mut args = Vec::new();
        for a in &e.args {
            let (ty, v) = self.eval(&a.value, line)?;
            args.push(CallArg {
                name: a.name.clone(),
                ty: Some(ty),
                value: v,
                output: a.output,
            });
        }
        let name = e.procedure.to_ascii_lowercase();
        let outcome = if name == "sp_executesql" {
            self.execute_sql(&args, line)?
        } else {
            self.call(&e.procedure, &args, line)?
        };
        for (a, v) in e.args.iter().zip(&outcome.outputs) {
            if let (true, Expr::Var(var), Some(v)) = (a.output, &a.value, v) {
                self.set_var(var, v.clone(), line)?;
            }
        }
        if let Some(var) = &e.status_var {
            self.set_var(var, Value::Int(outcome.status as i64), line)?;
        }
        self.reply.return_status(outcome.status)?;
        self.done_proc(false)?;
        Ok(())
    }

    /// Binds arguments to a procedure's parameters and runs it.
    pub fn call(&mut self, procedure: &str, args: &[CallArg], line: i32) -> R<CallOutcome> {
        let Some(p) = self.store.catalog.procedure(procedure) else {
            return Err(self.batch_error(
                ServerMessage::error(
                    2812,
                    format!("Could not find stored procedure '{procedure}'."),
                ),
                line,
            ));
        };
        self.invoke(&p.name, &p.params, &p.body, args, line, p.clone())
    }

    fn invoke(
        &mut self,
        name: &str,
        params: &[ProcParam],
        body: &[Stmt],
        args: &[CallArg],
        line: i32,
        owner: Owner,
    ) -> R<CallOutcome> {
        let mut frame = Frame {
            procedure: name.to_string(),
            ..Frame::default()
        };
        let mut slot: Vec<Option<usize>> = vec![None; args.len()];
        let mut supplied: Vec<Option<Value>> = vec![None; params.len()];
        let mut named = false;
        for (i, a) in args.iter().enumerate() {
            let idx = match &a.name {
                Some(n) if !n.is_empty() => {
                    named = true;
                    params
                        .iter()
                        .position(|p| p.name.eq_ignore_ascii_case(n))
                        .ok_or_else(|| {
                            self.batch_error(
                                ServerMessage::error(
                                    8145,
                                    format!("{n} is not a parameter for procedure {name}."),
                                ),
                                line,
                            )
                        })?
                }
                _ if named => {
                    return Err(self.batch_error(ServerMessage::error(119, format!("Must pass parameter number {} and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.", i + 1)), line));
                }
                _ => {
                    if i >= params.len() {
                        return Err(self.batch_error(ServerMessage::error(8144, format!("Procedure or function {name} has too many arguments specified.")), line));
                    }
                    i
                }
            };
            if supplied[idx].is_some() {
                return Err(self.batch_error(
                    ServerMessage::error(
                        8143,
                        format!(
                            "Parameter '{}' was supplied multiple times.",
                            params[idx].name
                        ),
                    ),
                    line,
                ));
            }
            if a.output && !params[idx].output {
                return Err(self.batch_error(ServerMessage::error(
                            8162,
                            format!(
                                "The formal parameter \"{}\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output.",
                                params[idx].name
                            ),
                        ), line));
            }
            slot[i] = Some(idx);
            supplied[idx] = Some(a.value.clone());
        }
        for (p, given) in params.iter().zip(supplied) {
            let v = match (given, &p.default) {
                (Some(v), _) => v,
                (None, Some(d)) => self.eval(d, line)?.1,
                (None, None) => {
                    return Err(self.batch_error(ServerMessage::error(201, format!("Procedure or function '{name}' expects parameter '{}', which was not supplied.", p.name)), line));
                }
            };
            let v = convert(v, &p.ty, None).map_err(|m| self.batch_error(m, line))?;
            frame
                .vars
                .insert(p.name.to_ascii_lowercase(), (p.ty.clone(), v));
        }
        let saved = std::mem::replace(&mut self.frame, frame);
        let saved_owner = self.owner.replace(owner);
        self.depth += 1;
        // Past the procedure's own TRYs, an unresolved name is an ordinary error.
        let r = self.run_block(body).map_err(|f| match f {
            Fail::Unresolved(m) => Fail::Error(m, true),
            other => other,
        });
        self.depth -= 1;
        self.owner = saved_owner;
        let frame = std::mem::replace(&mut self.frame, saved);
        let status = match r? {
            Flow::Return(Some(s)) => s,
            _ => 0,
        };
        let outputs = slot
            .iter()
            .zip(args)
            .map(|(idx, a)| {
                let p = &params[(*idx)?];
                (a.output && p.output)
                    .then(|| {
                        frame
                            .vars
                            .get(&p.name.to_ascii_lowercase())
                            .map(|(_, v)| v.clone())
                    })
                    .flatten()
            })
            .collect();
        Ok(CallOutcome { status, outputs })
    }

    /// sp_executesql: statement, parameter declarations, then the values.
    pub fn execute_sql(&mut self, args: &[CallArg], line: i32) -> R<CallOutcome> {
        let text = |v: Option<&CallArg>| match v.map(|a| &a.value) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let Some(sql) = text(args.first()) else {
            return Err(self.batch_error(
                ServerMessage::error(
                    214,
                    "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.",
                ),
                line,
            ));
        };
        let decls = match text(args.get(1)) {
            Some(d) if !d.trim().is_empty() => self
                .store
                .declarations(&d)
                .map_err(|m| self.batch_error(m, line))?,
            _ => Arc::new(Vec::new()),
        };
        let body = self.store.parse(&sql).map_err(|m| Fail::Error(m, true))?;
        let rest = args.get(2..).unwrap_or(&[]);
        let mut outcome = self.invoke("", &decls, &body, rest, line, body.clone())?;
        outcome.outputs.splice(0..0, [None, None]);
        Ok(outcome)
    }
}

fn uncommittable() -> ServerMessage {
    ServerMessage::error(
        3930,
        "The current transaction cannot be committed and cannot support operations that write to the log file. Roll back the transaction.",
    )
}

/// The address of an AST node, the key of its plan.
fn node<T>(n: &T) -> usize {
    n as *const T as usize
}

/// RAISERROR's printf-style substitution of %s / %d / %i.
fn printf(fmt: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s') | Some('d') | Some('i') | Some('u') => match args.next() {
                Some(Value::Str(s)) => out.push_str(s),
                Some(Value::Int(i)) => out.push_str(&i.to_string()),
                Some(Value::Null) => out.push_str("(null)"),
                Some(other) => out.push_str(&format!("{other:?}")),
                None => out.push_str("(null)"),
            },
            Some(x) => {
                out.push('%');
                out.push(x);
            }
            None => out.push('%'),
        }
    }
    out
}

/// One argument of a procedure call, from EXEC or from an RPC.
#[derive(Clone, Debug)]
pub struct CallArg {
    pub name: Option<String>,
    pub ty: Option<SqlType>,
    pub value: Value,
    pub output: bool,
}

pub struct CallOutcome {
    pub status: i32,
    /// The value of each OUTPUT argument, by argument position.
    pub outputs: Vec<Option<Value>>,
}
