//! The contract between the protocol layer (which speaks TDS) and an engine
//! (which runs T-SQL). The protocol layer knows nothing about SQL; the engine
//! knows nothing about packets.

use crate::types::{Column, ServerMessage, SqlType, Value};

/// Why the engine must stop producing output for the current request.
#[derive(Debug)]
pub enum Abort {
    /// The client sent an attention (cancel); the protocol layer answers DONE+ATTENTION.
    Cancelled,
    /// Writing to the client failed; the connection is gone.
    Io(std::io::Error),
}

impl From<std::io::Error> for Abort {
    fn from(e: std::io::Error) -> Self {
        Abort::Io(e)
    }
}

/// Which DONE token ends a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoneKind {
    /// A top-level statement of a SQL batch (DONE, 0xFD).
    Done,
    /// A statement inside a procedure or RPC (DONEINPROC, 0xFF).
    InProc,
    /// The end of a procedure called by RPC (DONEPROC, 0xFE).
    Proc,
}

/// The end of one statement. The protocol layer sets the MORE bit itself
/// (every DONE but the last of a response carries it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub kind: DoneKind,
    /// The statement failed (DONE_ERROR).
    pub error: bool,
    /// Rows affected or returned; `None` under SET NOCOUNT ON (no DONE_COUNT bit).
    pub count: Option<u64>,
    /// The TDS "current command" (0xC1 select, 0xC3 insert, 0xC4 delete, 0xC5 update, 0 otherwise).
    pub cur_cmd: u16,
}

/// Transaction state changes the client must hear about (ENVCHANGE 8/9/10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranChange {
    Begin(u64),
    Commit(u64),
    Rollback(u64),
}

/// Receives a request's output in order. The protocol layer implements it and
/// streams tokens to the socket; every method may fail with [`Abort`], which
/// the engine must propagate at once.
pub trait Reply {
    fn columns(&mut self, columns: &[Column]) -> Result<(), Abort>;
    fn row(&mut self, values: &[Value]) -> Result<(), Abort>;
    fn done(&mut self, done: Done) -> Result<(), Abort>;
    fn error(&mut self, message: &ServerMessage) -> Result<(), Abort>;
    fn info(&mut self, message: &ServerMessage) -> Result<(), Abort>;
    fn return_status(&mut self, status: i32) -> Result<(), Abort>;
    /// An OUTPUT parameter's value (RETURNVALUE); `ordinal` is its position in the RPC.
    fn return_value(
        &mut self,
        ordinal: u16,
        name: &str,
        ty: &SqlType,
        value: &Value,
    ) -> Result<(), Abort>;
    fn transaction(&mut self, change: TranChange) -> Result<(), Abort>;
}

/// What an RPC request names.
#[derive(Clone, Debug, PartialEq)]
pub enum RpcTarget {
    /// sp_executesql (procedure id 10, or by name).
    ExecuteSql,
    /// A procedure by name, e.g. `dbo.UserLogon_Unlock`.
    Named(String),
    /// Any other well-known procedure id (sp_prepare etc.); engines refuse them.
    ProcId(u16),
}

/// One RPC parameter as the client sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcParam {
    /// With the leading `@`, or empty for positional parameters.
    pub name: String,
    /// The by-reference (OUTPUT) status bit.
    pub output: bool,
    /// The TYPE_INFO the client sent; `None` for the untyped NULL (NULLTYPE 0x1F).
    pub ty: Option<SqlType>,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RpcCall {
    pub target: RpcTarget,
    pub params: Vec<RpcParam>,
}

/// A transaction-manager request (packet type 0x0E).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranRequest {
    Begin,
    Commit,
    Rollback,
}

/// One client session: its variables, SET options and open transaction.
/// Dropping it (connection closed) rolls back whatever it left open.
pub trait SessionHandler: Send {
    /// A SQL batch (packet type 0x01).
    fn batch(&mut self, sql: &str, reply: &mut dyn Reply) -> Result<(), Abort>;
    /// One RPC of a request; a request with several RPCs calls this once each.
    /// The engine ends it with RETURNSTATUS, RETURNVALUEs and DONEPROC.
    fn rpc(&mut self, call: &RpcCall, reply: &mut dyn Reply) -> Result<(), Abort>;
    /// A transaction-manager request; the engine answers ENVCHANGE then DONE.
    fn transaction(&mut self, request: TranRequest, reply: &mut dyn Reply) -> Result<(), Abort>;
    /// RESETCONNECTION: roll back, clear variables and SET options.
    fn reset(&mut self);
}

/// What the protocol layer asks of an engine.
pub trait Engine: Send + Sync + 'static {
    /// Check the credentials of a LOGIN7; `Err` carries the error to send
    /// (18456 for a wrong password, 4060 for an unknown database).
    fn login(
        &self,
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<Box<dyn SessionHandler>, ServerMessage>;
    /// The database name reported in the login ENVCHANGE.
    fn database_name(&self) -> String;
}
