//! The T-SQL subset mssql-sim understands, as a syntax tree.

use crate::types::{SqlType, Value};

#[derive(Clone, Debug)]
pub struct Stmt {
    pub line: i32,
    pub kind: StmtKind,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Query(Box<Query>),
    Insert(Box<Insert>),
    Update(Box<Update>),
    Delete(Box<Delete>),
    CreateTable(CreateTable),
    CreateIndex(CreateIndex),
    CreateProcedure(Procedure),
    DropProcedure {
        name: String,
        if_exists: bool,
    },
    DropTable {
        name: String,
        if_exists: bool,
    },
    Declare(Vec<(String, SqlType, Option<Expr>)>),
    SetVar {
        name: String,
        op: Option<BinOp>,
        value: Expr,
    },
    SetOption {
        option: String,
        on: bool,
    },
    If {
        cond: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
    While {
        cond: Expr,
        body: Box<Stmt>,
    },
    Block(Vec<Stmt>),
    TryCatch {
        body: Vec<Stmt>,
        handler: Vec<Stmt>,
    },
    Return(Option<Expr>),
    /// `THROW;` re-raises; otherwise number, message, state.
    Throw(Option<(Expr, Expr, Expr)>),
    Raiserror {
        message: Expr,
        severity: Expr,
        state: Expr,
        args: Vec<Expr>,
    },
    Print(Expr),
    BeginTran,
    Commit,
    Rollback,
    Exec(Exec),
    Break,
    Continue,
}

#[derive(Clone, Debug)]
pub struct Exec {
    pub status_var: Option<String>,
    pub procedure: String,
    pub args: Vec<ExecArg>,
}

#[derive(Clone, Debug)]
pub struct ExecArg {
    pub name: Option<String>,
    pub value: Expr,
    pub output: bool,
}

#[derive(Clone, Debug)]
pub struct Procedure {
    pub name: String,
    pub params: Vec<ProcParam>,
    pub body: Vec<Stmt>,
    /// The CREATE text, kept so a database file can be reopened.
    pub source: String,
    /// CREATE OR ALTER replaces an existing procedure.
    pub or_alter: bool,
}

#[derive(Clone, Debug)]
pub struct ProcParam {
    pub name: String,
    pub ty: SqlType,
    pub default: Option<Expr>,
    pub output: bool,
}

#[derive(Clone, Debug)]
pub struct CreateTable {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<TableConstraint>,
}

#[derive(Clone, Debug)]
pub struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
    pub identity: bool,
    pub default: Option<Expr>,
    pub constraints: Vec<TableConstraint>,
}

#[derive(Clone, Debug)]
pub struct TableConstraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
}

#[derive(Clone, Debug)]
pub enum ConstraintKind {
    PrimaryKey(Vec<String>),
    Unique(Vec<String>),
    ForeignKey {
        columns: Vec<String>,
        table: String,
        ref_columns: Vec<String>,
    },
    Check(Expr),
}

#[derive(Clone, Debug)]
pub struct CreateIndex {
    pub name: String,
    pub table: String,
    pub unique: bool,
    pub columns: Vec<(String, bool)>,
    pub filter: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct Query {
    pub select: Select,
    pub order_by: Vec<(Expr, bool)>,
    /// OFFSET n ROWS FETCH NEXT m ROWS ONLY.
    pub offset: Option<(Expr, Option<Expr>)>,
}

#[derive(Clone, Debug)]
pub struct Select {
    pub distinct: bool,
    pub top: Option<Expr>,
    pub items: Vec<SelectItem>,
    pub from: Vec<TableRef>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Clone, Debug)]
pub enum SelectItem {
    Wildcard(Option<String>),
    Expr { expr: Expr, alias: Option<String> },
    Assign { var: String, expr: Expr },
}

#[derive(Clone, Debug)]
pub enum TableRef {
    Table {
        name: String,
        alias: Option<String>,
    },
    Derived {
        query: Box<Query>,
        alias: String,
    },
    /// `(VALUES (..), (..)) AS alias (columns)`: a table value constructor.
    Values {
        rows: Vec<Vec<Expr>>,
        alias: String,
        /// Empty when the source named none (an error SQL Server reports).
        columns: Vec<String>,
    },
    OpenJson {
        json: Expr,
        alias: Option<String>,
    },
    Join {
        kind: JoinKind,
        left: Box<TableRef>,
        right: Box<TableRef>,
        on: Option<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Cross,
}

#[derive(Clone, Debug)]
pub struct Insert {
    pub table: String,
    pub columns: Vec<String>,
    pub source: InsertSource,
    pub output: Vec<SelectItem>,
}

#[derive(Clone, Debug)]
pub enum InsertSource {
    Values(Vec<Vec<Expr>>),
    Query(Box<Query>),
    DefaultValues,
}

#[derive(Clone, Debug)]
pub struct Update {
    pub table: String,
    pub sets: Vec<(String, Expr)>,
    pub filter: Option<Expr>,
    pub output: Vec<SelectItem>,
}

#[derive(Clone, Debug)]
pub struct Delete {
    pub table: String,
    pub filter: Option<Expr>,
    pub output: Vec<SelectItem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Clone, Debug)]
pub enum Expr {
    Literal(Value),
    Var(String),
    /// `@@ROWCOUNT` and friends, upper-cased without the sigils.
    Global(String),
    Column {
        qualifier: Option<String>,
        name: String,
    },
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    InQuery {
        expr: Box<Expr>,
        query: Box<Query>,
        negated: bool,
    },
    Exists(Box<Query>),
    Subquery(Box<Query>),
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// Upper-cased name; `star` for COUNT(*).
    Func {
        name: String,
        args: Vec<Expr>,
        star: bool,
    },
    /// DATEADD / DATEDIFF: the date part is a keyword, not an expression.
    DatePart {
        name: String,
        part: String,
        args: Vec<Expr>,
    },
    /// CAST, or CONVERT with its style (which only date/time-to-text uses).
    Cast {
        expr: Box<Expr>,
        ty: SqlType,
        style: Option<u16>,
    },
}
