//! Shared by the protocol tests: a fake engine, a server around it, a
//! tiberius connection helper and a raw TDS client for hand-made packets.
#![allow(dead_code)] // each test binary uses a different part

pub mod raw;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chrono::NaiveDate;
use mssql_sim::server::{self, ServerConfig, ServerHandle};
use mssql_sim::session::{
    Abort, Done, DoneKind, Engine, Reply, RpcCall, RpcTarget, SessionHandler, TranChange,
    TranRequest,
};
use mssql_sim::types::{Column, ServerMessage, SqlType, Value};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

pub const USER: &str = "sa";
pub const PASSWORD: &str = "Sim-Passw0rd";
pub const DATABASE: &str = "simdb";

/// What the fake engine saw, for assertions.
#[derive(Default)]
pub struct Log {
    pub resets: AtomicUsize,
    pub calls: Mutex<Vec<RpcCall>>,
    pub batches: Mutex<Vec<String>>,
}

/// An engine that checks credentials and answers a tiny command language:
/// `types`, `rows N`, `big N`, `error N`, `info`, `slow`, `nocount`, each
/// statement separated by `;`. sp_executesql echoes its parameters back as
/// one row; a statement `outputs` ends the RPC with RETURNSTATUS 7 and a
/// RETURNVALUE per OUTPUT parameter, then a row.
pub struct FakeEngine {
    pub log: Arc<Log>,
}

impl Engine for FakeEngine {
    fn login(
        &self,
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<Box<dyn SessionHandler>, ServerMessage> {
        if user != USER || password != PASSWORD {
            return Err(ServerMessage {
                class: 14,
                ..ServerMessage::error(18456, format!("Login failed for user '{user}'."))
            });
        }
        if !database.is_empty() && database != DATABASE {
            return Err(ServerMessage::error(
                4060,
                format!("Cannot open database \"{database}\"."),
            ));
        }
        Ok(Box::new(FakeSession {
            log: Arc::clone(&self.log),
        }))
    }

    fn database_name(&self) -> String {
        DATABASE.into()
    }
}

struct FakeSession {
    log: Arc<Log>,
}

fn col(name: &str, ty: SqlType) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable: true,
    }
}

pub fn sample_datetime() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 2, 29)
        .and_then(|d| d.and_hms_nano_opt(13, 45, 30, 123_456_700))
        .expect("valid date")
}

/// One column of every type, and a matching row of values.
pub fn all_types() -> (Vec<Column>, Vec<Value>) {
    let dt = sample_datetime();
    let legacy = NaiveDate::from_ymd_opt(1999, 12, 31)
        .and_then(|d| d.and_hms_milli_opt(23, 59, 58, 990))
        .expect("valid");
    let cols = vec![
        col("bit", SqlType::Bit),
        col("tiny", SqlType::TinyInt),
        col("small", SqlType::SmallInt),
        col("int", SqlType::Int),
        col("big", SqlType::BigInt),
        col("float", SqlType::Float),
        col(
            "dec",
            SqlType::Decimal {
                precision: 18,
                scale: 4,
            },
        ),
        col("nvc", SqlType::NVarChar(Some(50))),
        col("nvmax", SqlType::NVarChar(None)),
        col("vc", SqlType::VarChar(Some(50))),
        col("dt2", SqlType::DateTime2(7)),
        col("dt", SqlType::DateTime),
        col("date", SqlType::Date),
        col("guid", SqlType::UniqueIdentifier),
        col("bin", SqlType::VarBinary(Some(16))),
        col("binmax", SqlType::VarBinary(None)),
    ];
    let values = vec![
        Value::Bit(true),
        Value::Int(200),
        Value::Int(-12345),
        Value::Int(-2_000_000_000),
        Value::Int(9_000_000_000_000),
        Value::Float(2.5e-10),
        Value::Decimal(-1_234_567_891, 4),
        Value::Str("Grüße ☃".into()),
        Value::Str("m".repeat(10_000)),
        Value::Str("café".into()),
        Value::DateTime(dt),
        Value::DateTime(legacy),
        Value::Date(dt.date()),
        Value::Guid([
            0x6F, 0x9A, 0x19, 0x52, 0x40, 0x21, 0x4E, 0x6C, 0x8F, 0x1A, 0x00, 0x11, 0x22, 0x33,
            0x44, 0x55,
        ]),
        Value::Bytes(vec![0xDE, 0xAD, 0xBE, 0xEF]),
        Value::Bytes((0..20_000u32).map(|i| i as u8).collect()),
    ];
    (cols, values)
}

fn done(kind: DoneKind, count: Option<u64>) -> Done {
    Done {
        kind,
        error: false,
        count,
        cur_cmd: if count.is_some() { 0xC1 } else { 0 },
    }
}

fn failed(kind: DoneKind) -> Done {
    Done {
        kind,
        error: true,
        count: None,
        cur_cmd: 0,
    }
}

impl FakeSession {
    fn statement(
        &mut self,
        stmt: &str,
        kind: DoneKind,
        reply: &mut dyn Reply,
    ) -> Result<(), Abort> {
        let mut words = stmt.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let n: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        match cmd {
            "types" => {
                let (cols, values) = all_types();
                reply.columns(&cols)?;
                reply.row(&values)?;
                reply.row(&vec![Value::Null; cols.len()])?;
                reply.done(done(kind, Some(2)))
            }
            "rows" => {
                reply.columns(&[
                    col("id", SqlType::BigInt),
                    col("name", SqlType::NVarChar(Some(50))),
                ])?;
                for i in 0..n {
                    reply.row(&[Value::Int(i as i64), Value::Str(format!("row {i}"))])?;
                }
                reply.done(done(kind, Some(n)))
            }
            "big" => {
                reply.columns(&[col("s", SqlType::NVarChar(None))])?;
                reply.row(&[Value::Str("b".repeat(n as usize))])?;
                reply.done(done(kind, Some(1)))
            }
            "error" => {
                reply.error(&ServerMessage::error(n as i32, format!("fake error {n}")))?;
                reply.done(failed(kind))
            }
            "info" => {
                reply.info(&ServerMessage {
                    class: 0,
                    ..ServerMessage::error(50001, "fake info")
                })?;
                reply.done(done(kind, None))
            }
            "resets" => {
                reply.columns(&[col("n", SqlType::Int)])?;
                reply.row(&[Value::Int(self.log.resets.load(Ordering::SeqCst) as i64)])?;
                reply.done(done(kind, Some(1)))
            }
            "slow" => {
                reply.columns(&[col("i", SqlType::Int)])?;
                for i in 0..2000 {
                    reply.row(&[Value::Int(i)])?;
                    thread::sleep(Duration::from_millis(5));
                }
                reply.done(done(kind, Some(2000)))
            }
            "nocount" => reply.done(done(kind, None)),
            "" => Ok(()),
            other => {
                reply.error(&ServerMessage::error(
                    102,
                    format!("Incorrect syntax near '{other}'."),
                ))?;
                reply.done(failed(kind))
            }
        }
    }
}

impl SessionHandler for FakeSession {
    fn batch(&mut self, sql: &str, reply: &mut dyn Reply) -> Result<(), Abort> {
        self.log.batches.lock().unwrap().push(sql.to_string());
        for stmt in sql.split(';') {
            self.statement(stmt.trim(), DoneKind::Done, reply)?;
        }
        Ok(())
    }

    fn rpc(&mut self, call: &RpcCall, reply: &mut dyn Reply) -> Result<(), Abort> {
        self.log.calls.lock().unwrap().push(call.clone());
        let echo = match call.target {
            RpcTarget::ExecuteSql => call.params.get(2..).unwrap_or(&[]),
            _ => &call.params[..],
        };
        let stmt = match (&call.target, call.params.first().map(|p| &p.value)) {
            (RpcTarget::ExecuteSql, Some(Value::Str(s))) => s.clone(),
            (RpcTarget::Named(name), _) => format!("proc {name}"),
            _ => String::new(),
        };
        if stmt.starts_with("outputs") || stmt.starts_with("proc") {
            reply.done(done(DoneKind::InProc, Some(1)))?;
            reply.return_status(7)?;
            for (i, p) in call.params.iter().enumerate().filter(|(_, p)| p.output) {
                let ty = p.ty.clone().unwrap_or(SqlType::Int);
                reply.return_value(i as u16, &p.name, &ty, &p.value)?;
            }
            reply.columns(&[col("after", SqlType::Int)])?;
            reply.row(&[Value::Int(42)])?;
            reply.done(done(DoneKind::InProc, Some(1)))?;
        } else if !echo.is_empty() {
            let cols: Vec<Column> = echo
                .iter()
                .map(|p| {
                    col(
                        p.name.trim_start_matches('@'),
                        p.ty.clone().unwrap_or(SqlType::NVarChar(Some(1))),
                    )
                })
                .collect();
            reply.columns(&cols)?;
            reply.row(&echo.iter().map(|p| p.value.clone()).collect::<Vec<_>>())?;
            reply.done(done(DoneKind::InProc, Some(1)))?;
        } else {
            for s in stmt.split(';') {
                self.statement(s.trim(), DoneKind::InProc, reply)?;
            }
        }
        reply.done(done(DoneKind::Proc, None))
    }

    fn transaction(&mut self, request: TranRequest, reply: &mut dyn Reply) -> Result<(), Abort> {
        reply.transaction(match request {
            TranRequest::Begin => TranChange::Begin(0x1122_3344_5566_7788),
            TranRequest::Commit => TranChange::Commit(0x1122_3344_5566_7788),
            TranRequest::Rollback => TranChange::Rollback(0x1122_3344_5566_7788),
        })?;
        reply.done(done(DoneKind::Done, None))
    }

    fn reset(&mut self) {
        self.log.resets.fetch_add(1, Ordering::SeqCst);
    }
}

/// A server on a free loopback port around a fresh fake engine.
pub fn start() -> (ServerHandle, Arc<Log>) {
    let log = Arc::new(Log::default());
    let engine = Arc::new(FakeEngine {
        log: Arc::clone(&log),
    });
    let handle = server::start(engine, ServerConfig::default()).expect("server starts");
    (handle, log)
}

pub type Client = tiberius::Client<Compat<TcpStream>>;

/// A tiberius configuration for the server, with the given password.
pub fn config(server: &ServerHandle, password: &str) -> tiberius::Config {
    let mut config = tiberius::Config::new();
    config.host("127.0.0.1");
    config.port(server.local_addr().port());
    config.authentication(tiberius::AuthMethod::sql_server(USER, password));
    config.encryption(tiberius::EncryptionLevel::NotSupported);
    config
}

/// Connects tiberius with `config`.
pub async fn connect_with(config: tiberius::Config) -> tiberius::Result<Client> {
    let tcp = TcpStream::connect(config.get_addr()).await?;
    tcp.set_nodelay(true)?;
    tiberius::Client::connect(config, tcp.compat_write()).await
}

/// Connects tiberius with the right credentials.
pub async fn connect(server: &ServerHandle) -> Client {
    connect_with(config(server, PASSWORD))
        .await
        .expect("login succeeds")
}

/// The server error number of a tiberius error, if it is one.
pub fn server_error_code(e: &tiberius::error::Error) -> Option<u32> {
    match e {
        tiberius::error::Error::Server(t) => Some(t.code()),
        _ => None,
    }
}
