//! The T-SQL engine: parses the subset (`parser`), translates it to SQLite
//! (`translate`), and runs it with SQL Server's semantics (`exec`). One
//! SQLite database is shared by every session; a session holds it for the
//! length of a request, or of its transaction, so writes are serialized and
//! nothing uncommitted is seen by another session.

mod ast;
mod catalog;
mod exec;
mod functions;
mod lexer;
mod parser;
mod translate;
mod value;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use crate::session::{
    Abort, Done, DoneKind, Engine, Reply, RpcCall, RpcTarget, SessionHandler, TranChange,
    TranRequest,
};
use crate::types::{Column, ServerMessage, SqlType, Value};
use catalog::Catalog;
use exec::{CallArg, Fail, Run, SessionState, Store};

/// Where the database lives.
#[derive(Clone, Debug)]
pub enum Storage {
    Memory,
    File(PathBuf),
}

/// Which session owns the database right now (for a request or a transaction).
struct Owner {
    state: Mutex<OwnerState>,
    freed: Condvar,
}

#[derive(Default)]
struct OwnerState {
    current: Option<u16>,
    /// Sessions waiting for the database; without any, a release wakes nobody
    /// (a notify is a system call even with no one to wake).
    waiting: usize,
}

pub struct Database {
    store: Mutex<Store>,
    owner: Owner,
    next_spid: AtomicU16,
    user: String,
    password: String,
    name: String,
    /// Whether the database had no schema when it was opened.
    pub fresh: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Database {
    pub fn open(storage: &Storage, user: &str, password: &str) -> rusqlite::Result<Arc<Database>> {
        let conn = match storage {
            Storage::Memory => Connection::open_in_memory()?,
            Storage::File(p) => Connection::open(p)?,
        };
        functions::register(&conn)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )?;
        conn.set_prepared_statement_cache_capacity(512);
        let fresh = !conn
            .prepare("SELECT 1 FROM sqlite_master WHERE name = ?1")?
            .exists([catalog::CATALOG_TABLE])?;
        Catalog::create_table_store(&conn)?;
        let catalog = Catalog::load(&conn)?;
        Ok(Arc::new(Database {
            store: Mutex::new(Store::new(conn, catalog)),
            owner: Owner {
                state: Mutex::new(OwnerState::default()),
                freed: Condvar::new(),
            },
            next_spid: AtomicU16::new(51),
            user: user.into(),
            password: password.into(),
            name: "master".into(),
            fresh,
        }))
    }

    fn acquire(&self, spid: u16) -> MutexGuard<'_, Store> {
        let mut state = lock(&self.owner.state);
        while state.current.is_some_and(|o| o != spid) {
            state.waiting += 1;
            state = self
                .owner
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
        state.current = Some(spid);
        drop(state);
        lock(&self.store)
    }

    fn release(&self, spid: u16) {
        let mut state = lock(&self.owner.state);
        if state.current == Some(spid) {
            state.current = None;
            if state.waiting > 0 {
                self.owner.freed.notify_all();
            }
        }
    }

    /// Runs one batch of a start-up script; `Err` is the first error it raised.
    pub fn run_script_batch(&self, sql: &str, first_line: i32) -> Result<(), ServerMessage> {
        let mut state = SessionState::new(1, &self.name, &self.user);
        let mut reply = ScriptReply::default();
        {
            let mut store = self.acquire(1);
            let mut run = Run::new(&mut store, &mut state, &mut reply);
            // ScriptReply never fails, so neither does the run.
            let _ = match parser::parse_batch(sql, first_line) {
                Ok(stmts) => run.run_top(&stmts),
                Err(m) => run.reply.error(&m),
            };
            if run.sess.trancount > 0 {
                let _ = run.rollback();
            }
        }
        self.release(1);
        match reply.first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Collects what a start-up script batch reports.
#[derive(Default)]
struct ScriptReply {
    first_error: Option<ServerMessage>,
}

impl Reply for ScriptReply {
    fn columns(&mut self, _: &[Column]) -> Result<(), Abort> {
        Ok(())
    }
    fn row(&mut self, _: &[Value]) -> Result<(), Abort> {
        Ok(())
    }
    fn done(&mut self, _: Done) -> Result<(), Abort> {
        Ok(())
    }
    fn error(&mut self, m: &ServerMessage) -> Result<(), Abort> {
        self.first_error.get_or_insert_with(|| m.clone());
        Ok(())
    }
    fn info(&mut self, _: &ServerMessage) -> Result<(), Abort> {
        Ok(())
    }
    fn return_status(&mut self, _: i32) -> Result<(), Abort> {
        Ok(())
    }
    fn return_value(&mut self, _: u16, _: &str, _: &SqlType, _: &Value) -> Result<(), Abort> {
        Ok(())
    }
    fn transaction(&mut self, _: TranChange) -> Result<(), Abort> {
        Ok(())
    }
}

/// The engine the TDS server talks to; sessions share its database.
pub struct SimEngine(pub Arc<Database>);

impl Engine for SimEngine {
    fn login(
        &self,
        user: &str,
        password: &str,
        _database: &str,
    ) -> Result<Box<dyn SessionHandler>, ServerMessage> {
        let db = &self.0;
        if user != db.user || password != db.password {
            let mut m = ServerMessage::error(18456, format!("Login failed for user '{user}'."));
            m.class = 14;
            return Err(m);
        }
        // SPIDs 1-50 are SQL Server's own; wrap within the user range.
        let spid = 51 + db.next_spid.fetch_add(1, Ordering::Relaxed) % 30000;
        Ok(Box::new(SimSession {
            db: db.clone(),
            state: SessionState::new(spid, &db.name, user),
        }))
    }
    fn database_name(&self) -> String {
        self.0.name.clone()
    }
}

pub struct SimSession {
    db: Arc<Database>,
    state: SessionState,
}

impl SimSession {
    fn request(
        &mut self,
        reply: &mut dyn Reply,
        f: impl FnOnce(&mut Run<'_>) -> Result<(), Abort>,
    ) -> Result<(), Abort> {
        let spid = self.state.spid;
        let result = {
            let mut store = self.db.acquire(spid);
            let mut run = Run::new(&mut store, &mut self.state, reply);
            let r = f(&mut run);
            if r.is_ok() && !run.sent_done {
                run.reply.done(Done {
                    kind: DoneKind::Done,
                    error: false,
                    count: None,
                    cur_cmd: 0,
                })?;
            }
            if matches!(r, Err(Abort::Cancelled)) && run.sess.trancount > 0 && run.sess.xact_abort {
                let _ = run.rollback();
            }
            r
        };
        if self.state.trancount == 0 {
            self.db.release(spid);
        }
        result
    }
}

impl SessionHandler for SimSession {
    fn batch(&mut self, sql: &str, reply: &mut dyn Reply) -> Result<(), Abort> {
        self.request(reply, |run| run.parse_and_run(sql))
    }

    fn rpc(&mut self, call: &RpcCall, reply: &mut dyn Reply) -> Result<(), Abort> {
        let args: Vec<CallArg> = call
            .params
            .iter()
            .map(|p| CallArg {
                name: Some(p.name.clone()).filter(|n| !n.is_empty()),
                ty: p.ty.clone(),
                value: p.value.clone(),
                output: p.output,
            })
            .collect();
        let target = call.target.clone();
        self.request(reply, move |run| {
            let outcome = match &target {
                RpcTarget::ExecuteSql => run.execute_sql(&args, 1),
                RpcTarget::Named(n) if n.eq_ignore_ascii_case("sp_executesql") => {
                    run.execute_sql(&args, 1)
                }
                RpcTarget::Named(n) => run.call(n, &args, 1),
                RpcTarget::ProcId(id) => Err(Fail::Error(
                    parser::unsupported(
                        &format!("the system procedure with id {id} (only sp_executesql)"),
                        1,
                    ),
                    true,
                )),
            };
            match outcome {
                Ok(o) => {
                    run.reply.return_status(o.status)?;
                    for (i, (p, v)) in args.iter().zip(&o.outputs).enumerate() {
                        if let (true, Some(v)) = (p.output, v) {
                            let ty = p.ty.clone().unwrap_or_else(|| value::literal_type(v));
                            run.reply.return_value(
                                i as u16,
                                p.name.as_deref().unwrap_or(""),
                                &ty,
                                v,
                            )?;
                        }
                    }
                    run.done_proc(false)
                }
                Err(Fail::Abort(a)) => Err(a),
                Err(Fail::Error(m, _)) | Err(Fail::Raised(m)) | Err(Fail::Unresolved(m)) => {
                    run.reply.error(&m)?;
                    run.done_proc(true)
                }
                Err(Fail::Reported) => run.done_proc(true),
            }
        })
    }

    fn transaction(&mut self, request: TranRequest, reply: &mut dyn Reply) -> Result<(), Abort> {
        let sql = match request {
            TranRequest::Begin => "BEGIN TRANSACTION",
            TranRequest::Commit => "COMMIT TRANSACTION",
            TranRequest::Rollback => "ROLLBACK TRANSACTION",
        };
        self.batch(sql, reply)
    }

    fn reset(&mut self) {
        self.end_transaction();
        let spid = self.state.spid;
        self.state =
            SessionState::new(spid, &self.state.database.clone(), &self.state.user.clone());
    }
}

impl SimSession {
    fn end_transaction(&mut self) {
        if self.state.trancount > 0 {
            let mut reply = ScriptReply::default();
            let spid = self.state.spid;
            {
                let mut store = self.db.acquire(spid);
                let mut run = Run::new(&mut store, &mut self.state, &mut reply);
                let _ = run.rollback();
            }
            self.db.release(spid);
        }
    }
}

impl Drop for SimSession {
    /// A connection that goes away rolls back what it left open.
    fn drop(&mut self) {
        self.end_transaction();
    }
}

pub fn is_script(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}
