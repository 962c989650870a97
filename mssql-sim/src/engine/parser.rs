//! A recursive-descent parser for the T-SQL subset in `ast.rs`. Anything
//! outside the subset is refused with an error naming the construct.

use super::ast::*;
use super::lexer::{tokenize, Tok, Token};
use crate::types::{ServerMessage, SqlType, Value};

pub type PResult<T> = Result<T, ServerMessage>;

/// Parses a batch (the text between two `GO` lines).
pub fn parse_batch(sql: &str, first_line: i32) -> PResult<Vec<Stmt>> {
    let tokens = tokenize(sql, first_line)?;
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        src: sql,
        first_line,
    };
    let mut out = Vec::new();
    while !p.at_end() {
        if p.eat_sym(";") {
            continue;
        }
        let line = p.line();
        let stmt = p.statement()?;
        if !out.is_empty() && matches!(stmt.kind, StmtKind::CreateProcedure(_)) {
            let mut m = ServerMessage::error(
                111,
                "'CREATE/ALTER PROCEDURE' must be the first statement in a query batch.",
            );
            m.class = 15;
            m.line = line;
            return Err(m);
        }
        out.push(stmt);
    }
    Ok(out)
}

/// Parses the parameter declaration string of sp_executesql (`@P1 int, @P2 nvarchar(4000) OUTPUT`).
pub fn parse_param_decls(decl: &str) -> PResult<Vec<ProcParam>> {
    let tokens = tokenize(decl, 1)?;
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        src: decl,
        first_line: 1,
    };
    let mut params = Vec::new();
    while !p.at_end() {
        params.push(p.proc_param()?);
        if !p.eat_sym(",") {
            break;
        }
    }
    if !p.at_end() {
        return Err(p.unexpected());
    }
    Ok(params)
}

/// Parses a type name such as `nvarchar(128)`.
pub fn parse_type_name(text: &str) -> PResult<SqlType> {
    let tokens = tokenize(text, 1)?;
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        src: text,
        first_line: 1,
    };
    p.data_type()
}

pub fn unsupported(what: &str, line: i32) -> ServerMessage {
    let mut m = ServerMessage::error(
        40000,
        format!("mssql-sim does not support {what}; see the mssql-sim README for the supported T-SQL subset."),
    );
    m.line = line;
    m
}

/// Words that end an implicit alias or a statement.
const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "HAVING",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "CROSS",
    "JOIN",
    "ON",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "SET",
    "DECLARE",
    "IF",
    "ELSE",
    "WHILE",
    "BEGIN",
    "END",
    "RETURN",
    "THROW",
    "RAISERROR",
    "EXEC",
    "EXECUTE",
    "COMMIT",
    "ROLLBACK",
    "OFFSET",
    "FETCH",
    "OUTPUT",
    "VALUES",
    "WITH",
    "AS",
    "AND",
    "OR",
    "NOT",
    "CREATE",
    "DROP",
    "ALTER",
    "PRINT",
    "BREAK",
    "CONTINUE",
    "OPTION",
    "FOR",
    "USE",
    "GO",
    "TRUNCATE",
    "MERGE",
    "WHEN",
    "THEN",
    "CASE",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "NULL",
    "INTO",
    "OUTER",
    "APPLY",
    "TOP",
    "DISTINCT",
    "SAVE",
    "WAITFOR",
    "GOTO",
];

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    src: &'a str,
    first_line: i32,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k).map(|t| &t.tok)
    }
    fn line(&self) -> i32 {
        self.toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .map(|t| t.line)
            .unwrap_or(self.first_line)
    }
    fn describe(tok: &Tok) -> String {
        match tok {
            Tok::Ident { text, .. } => text.clone(),
            Tok::Var(v) => v.clone(),
            Tok::Int(i) => i.to_string(),
            Tok::Number(n) => n.clone(),
            Tok::Str(s) => s.clone(),
            Tok::Bin(_) => "0x".into(),
            Tok::Sym(s) => s.to_string(),
        }
    }
    fn unexpected(&self) -> ServerMessage {
        let near = match self.peek() {
            Some(t) => Self::describe(t),
            None => self
                .toks
                .last()
                .map(|t| Self::describe(&t.tok))
                .unwrap_or_default(),
        };
        let mut m = ServerMessage::error(102, format!("Incorrect syntax near '{near}'."));
        m.class = 15;
        m.line = self.line();
        m
    }
    /// The keyword at the cursor, upper-cased (never for quoted names).
    fn kw(&self) -> Option<String> {
        match self.peek() {
            Some(Tok::Ident {
                text,
                quoted: false,
            }) => Some(text.to_ascii_uppercase()),
            _ => None,
        }
    }
    fn is_kw(&self, k: &str) -> bool {
        self.kw().as_deref() == Some(k)
    }
    fn is_kw_at(&self, off: usize, k: &str) -> bool {
        matches!(self.peek_at(off), Some(Tok::Ident { text, quoted: false }) if text.eq_ignore_ascii_case(k))
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        if self.is_kw(k) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, k: &str) -> PResult<()> {
        if self.eat_kw(k) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> PResult<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    fn ident(&mut self) -> PResult<String> {
        match self.peek() {
            Some(Tok::Ident { text, .. }) => {
                let t = text.clone();
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.unexpected()),
        }
    }
    fn var(&mut self) -> PResult<String> {
        match self.peek() {
            Some(Tok::Var(v)) if !v.starts_with("@@") => {
                let v = v.clone();
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.unexpected()),
        }
    }
    /// `[db.][schema.]name`; only the `dbo` schema exists.
    fn object_name(&mut self) -> PResult<String> {
        let line = self.line();
        let mut parts = vec![self.ident()?];
        while self.eat_sym(".") {
            parts.push(self.ident()?);
        }
        if parts.iter().any(|p| p.starts_with('#')) {
            return Err(unsupported("temporary tables", line));
        }
        let name = parts.pop().unwrap_or_default();
        match parts.last() {
            Some(schema) if !schema.eq_ignore_ascii_case("dbo") => Err(unsupported(
                &format!("schema '{schema}' (only dbo exists)"),
                line,
            )),
            _ => Ok(name),
        }
    }

    fn statement(&mut self) -> PResult<Stmt> {
        let line = self.line();
        let kind = self.statement_kind()?;
        Ok(Stmt { line, kind })
    }

    fn statement_kind(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        let Some(kw) = self.kw() else {
            return Err(self.unexpected());
        };
        match kw.as_str() {
            "SELECT" => Ok(StmtKind::Query(Box::new(self.query()?))),
            "INSERT" => self.insert(),
            "UPDATE" => self.update(),
            "DELETE" => self.delete(),
            "CREATE" => self.create(),
            "DROP" => self.drop(),
            "DECLARE" => self.declare(),
            "SET" => self.set(),
            "IF" => {
                self.pos += 1;
                let cond = self.expr()?;
                let then = Box::new(self.statement()?);
                self.eat_sym(";");
                let otherwise = if self.eat_kw("ELSE") {
                    Some(Box::new(self.statement()?))
                } else {
                    None
                };
                Ok(StmtKind::If {
                    cond,
                    then,
                    otherwise,
                })
            }
            "WHILE" => {
                self.pos += 1;
                let cond = self.expr()?;
                let body = Box::new(self.statement()?);
                Ok(StmtKind::While { cond, body })
            }
            "BEGIN" => self.begin(),
            "RETURN" => {
                self.pos += 1;
                let value = if self.at_end() || self.is_sym(";") || self.starts_statement() {
                    None
                } else {
                    Some(self.expr()?)
                };
                Ok(StmtKind::Return(value))
            }
            "THROW" => {
                self.pos += 1;
                if self.at_end() || self.is_sym(";") || self.starts_statement() {
                    return Ok(StmtKind::Throw(None));
                }
                let number = self.expr()?;
                self.expect_sym(",")?;
                let message = self.expr()?;
                self.expect_sym(",")?;
                let state = self.expr()?;
                Ok(StmtKind::Throw(Some((number, message, state))))
            }
            "RAISERROR" => {
                self.pos += 1;
                self.expect_sym("(")?;
                let message = self.expr()?;
                self.expect_sym(",")?;
                let severity = self.expr()?;
                self.expect_sym(",")?;
                let state = self.expr()?;
                let mut args = Vec::new();
                while self.eat_sym(",") {
                    args.push(self.expr()?);
                }
                self.expect_sym(")")?;
                if self.is_kw("WITH") {
                    return Err(unsupported("RAISERROR ... WITH options", line));
                }
                Ok(StmtKind::Raiserror {
                    message,
                    severity,
                    state,
                    args,
                })
            }
            "PRINT" => {
                self.pos += 1;
                Ok(StmtKind::Print(self.expr()?))
            }
            "COMMIT" | "ROLLBACK" => {
                self.pos += 1;
                if !(self.eat_kw("TRANSACTION") || self.eat_kw("TRAN")) {
                    self.eat_kw("WORK");
                }
                if matches!(
                    self.peek(),
                    Some(Tok::Ident { quoted: false, .. }) | Some(Tok::Var(_))
                ) && !self.starts_statement()
                {
                    return Err(unsupported("named transactions and savepoints", line));
                }
                Ok(if kw == "COMMIT" {
                    StmtKind::Commit
                } else {
                    StmtKind::Rollback
                })
            }
            "EXEC" | "EXECUTE" => self.exec(),
            "BREAK" => {
                self.pos += 1;
                Ok(StmtKind::Break)
            }
            "CONTINUE" => {
                self.pos += 1;
                Ok(StmtKind::Continue)
            }
            "WITH" => Err(unsupported("common table expressions (WITH)", line)),
            "MERGE" => Err(unsupported("MERGE", line)),
            "ALTER" => Err(unsupported("ALTER", line)),
            "TRUNCATE" => Err(unsupported("TRUNCATE TABLE", line)),
            "GOTO" => Err(unsupported("GOTO", line)),
            "WAITFOR" => Err(unsupported("WAITFOR", line)),
            "USE" => Err(unsupported("USE (the simulator has one database)", line)),
            "SAVE" => Err(unsupported("SAVE TRANSACTION", line)),
            _ => Err(self.unexpected()),
        }
    }

    fn starts_statement(&self) -> bool {
        matches!(
            self.kw().as_deref(),
            Some(
                "SELECT"
                    | "INSERT"
                    | "UPDATE"
                    | "DELETE"
                    | "SET"
                    | "DECLARE"
                    | "IF"
                    | "WHILE"
                    | "BEGIN"
                    | "END"
                    | "RETURN"
                    | "THROW"
                    | "RAISERROR"
                    | "EXEC"
                    | "EXECUTE"
                    | "COMMIT"
                    | "ROLLBACK"
                    | "PRINT"
                    | "ELSE"
                    | "CREATE"
                    | "DROP"
                    | "BREAK"
                    | "CONTINUE"
            )
        )
    }

    fn begin(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        if self.eat_kw("TRANSACTION") || self.eat_kw("TRAN") {
            if matches!(
                self.peek(),
                Some(Tok::Ident { quoted: false, .. }) | Some(Tok::Var(_))
            ) && !self.starts_statement()
            {
                return Err(unsupported("named transactions", line));
            }
            return Ok(StmtKind::BeginTran);
        }
        if self.is_kw("DISTRIBUTED") {
            return Err(unsupported("distributed transactions", line));
        }
        if self.eat_kw("TRY") {
            let body = self.block_until(&["END"])?;
            self.expect_kw("END")?;
            self.expect_kw("TRY")?;
            self.eat_sym(";");
            self.expect_kw("BEGIN")?;
            self.expect_kw("CATCH")?;
            let handler = self.block_until(&["END"])?;
            self.expect_kw("END")?;
            self.expect_kw("CATCH")?;
            return Ok(StmtKind::TryCatch { body, handler });
        }
        let body = self.block_until(&["END"])?;
        self.expect_kw("END")?;
        Ok(StmtKind::Block(body))
    }

    fn block_until(&mut self, stops: &[&str]) -> PResult<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            if self.eat_sym(";") {
                continue;
            }
            if self.at_end() {
                return Err(self.unexpected());
            }
            if stops.iter().any(|s| self.is_kw(s)) {
                return Ok(out);
            }
            out.push(self.statement()?);
        }
    }

    fn create(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        let start = self.pos;
        self.pos += 1;
        let or_alter = self.eat_kw("OR");
        if or_alter {
            self.expect_kw("ALTER")?;
        }
        if self.eat_kw("PROCEDURE") || self.eat_kw("PROC") {
            return self.create_procedure(start, or_alter);
        }
        if self.eat_kw("TABLE") {
            return self.create_table();
        }
        let unique = self.eat_kw("UNIQUE");
        if !self.eat_kw("CLUSTERED") {
            self.eat_kw("NONCLUSTERED");
        }
        if self.eat_kw("INDEX") {
            return self.create_index(unique);
        }
        let what = self.kw().unwrap_or_default();
        Err(unsupported(&format!("CREATE {what}"), line))
    }

    fn create_procedure(&mut self, start: usize, or_alter: bool) -> PResult<StmtKind> {
        let name = self.object_name()?;
        let mut params = Vec::new();
        let parens = self.eat_sym("(");
        while matches!(self.peek(), Some(Tok::Var(_))) {
            params.push(self.proc_param()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        if parens {
            self.expect_sym(")")?;
        }
        if self.is_kw("WITH") {
            return Err(unsupported("procedure options (WITH ...)", self.line()));
        }
        self.expect_kw("AS")?;
        let mut body = Vec::new();
        while !self.at_end() {
            if self.eat_sym(";") {
                continue;
            }
            body.push(self.statement()?);
        }
        let source = self.source_from(start);
        Ok(StmtKind::CreateProcedure(Procedure {
            name,
            params,
            body,
            source,
            or_alter,
        }))
    }

    /// The original text from token `start` to the end of the batch.
    fn source_from(&self, start: usize) -> String {
        let skip = self.toks[start].line - self.first_line;
        self.src
            .lines()
            .skip(skip.max(0) as usize)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn proc_param(&mut self) -> PResult<ProcParam> {
        let name = self.var()?;
        self.eat_kw("AS");
        let ty = self.data_type()?;
        let default = if self.eat_sym("=") {
            Some(self.unary()?)
        } else {
            None
        };
        let output = self.eat_kw("OUTPUT") || self.eat_kw("OUT");
        if self.is_kw("READONLY") {
            return Err(unsupported("table-valued parameters", self.line()));
        }
        Ok(ProcParam {
            name,
            ty,
            default,
            output,
        })
    }

    fn data_type(&mut self) -> PResult<SqlType> {
        let line = self.line();
        let name = self.ident()?.to_ascii_lowercase();
        let name = name.strip_prefix("sys.").unwrap_or(&name).to_string();
        let mut args: Vec<Option<u32>> = Vec::new();
        if self.eat_sym("(") {
            loop {
                match self.peek().cloned() {
                    Some(Tok::Int(n)) if n >= 0 => {
                        self.pos += 1;
                        args.push(Some(n as u32));
                    }
                    Some(Tok::Ident { text, .. }) if text.eq_ignore_ascii_case("max") => {
                        self.pos += 1;
                        args.push(None);
                    }
                    _ => return Err(self.unexpected()),
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
        }
        let len = |default: u32, limit: u32| -> PResult<Option<u16>> {
            match args.first() {
                None => Ok(Some(default as u16)),
                Some(None) => Ok(None),
                Some(Some(n)) if *n >= 1 && *n <= limit => Ok(Some(*n as u16)),
                Some(Some(n)) => {
                    let mut m = ServerMessage::error(
                        2717,
                        format!("The size ({n}) given to the type '{name}' exceeds the maximum allowed ({limit})."),
                    );
                    m.line = line;
                    Err(m)
                }
            }
        };
        Ok(match name.as_str() {
            "bit" => SqlType::Bit,
            "tinyint" => SqlType::TinyInt,
            "smallint" => SqlType::SmallInt,
            "int" | "integer" => SqlType::Int,
            "bigint" => SqlType::BigInt,
            "float" | "real" => SqlType::Float,
            "decimal" | "numeric" => {
                let precision = args.first().copied().flatten().unwrap_or(18).clamp(1, 38) as u8;
                let scale = args
                    .get(1)
                    .copied()
                    .flatten()
                    .unwrap_or(0)
                    .min(precision as u32) as u8;
                SqlType::Decimal { precision, scale }
            }
            "nvarchar" | "nchar" => SqlType::NVarChar(len(1, 4000)?),
            "varchar" | "char" => SqlType::VarChar(len(1, 8000)?),
            "sysname" => SqlType::NVarChar(Some(128)),
            "datetime2" => {
                SqlType::DateTime2(args.first().copied().flatten().unwrap_or(7).min(7) as u8)
            }
            "datetime" | "smalldatetime" => SqlType::DateTime,
            "date" => SqlType::Date,
            "uniqueidentifier" => SqlType::UniqueIdentifier,
            "varbinary" | "binary" => SqlType::VarBinary(len(1, 8000)?),
            other => return Err(unsupported(&format!("the data type '{other}'"), line)),
        })
    }

    fn create_table(&mut self) -> PResult<StmtKind> {
        let name = self.object_name()?;
        self.expect_sym("(")?;
        let mut columns = Vec::new();
        let mut constraints = Vec::new();
        loop {
            if self.is_kw("CONSTRAINT")
                || self.is_kw("PRIMARY")
                || self.is_kw("UNIQUE")
                || self.is_kw("FOREIGN")
                || self.is_kw("CHECK")
            {
                constraints.push(self.table_constraint(None)?);
            } else {
                columns.push(self.column_def()?);
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        Ok(StmtKind::CreateTable(CreateTable {
            name,
            columns,
            constraints,
        }))
    }

    fn column_def(&mut self) -> PResult<ColumnDef> {
        let name = self.ident()?;
        let ty = self.data_type()?;
        let mut col = ColumnDef {
            name: name.clone(),
            ty,
            nullable: true,
            identity: false,
            default: None,
            constraints: vec![],
        };
        loop {
            let line = self.line();
            if self.eat_kw("NOT") {
                self.expect_kw("NULL")?;
                col.nullable = false;
            } else if self.eat_kw("NULL") {
                col.nullable = true;
            } else if self.eat_kw("IDENTITY") {
                if self.eat_sym("(") {
                    let seed = self.expr()?;
                    self.expect_sym(",")?;
                    let step = self.expr()?;
                    self.expect_sym(")")?;
                    if !matches!(
                        (&seed, &step),
                        (Expr::Literal(Value::Int(1)), Expr::Literal(Value::Int(1)))
                    ) {
                        return Err(unsupported(
                            "IDENTITY with a seed or increment other than (1, 1)",
                            line,
                        ));
                    }
                }
                col.identity = true;
                col.nullable = false;
            } else if self.is_kw("COLLATE") {
                return Err(unsupported("column collations", line));
            } else if self.is_kw("CONSTRAINT")
                || self.is_kw("PRIMARY")
                || self.is_kw("UNIQUE")
                || self.is_kw("REFERENCES")
                || self.is_kw("CHECK")
                || self.is_kw("DEFAULT")
            {
                let mut cname = None;
                if self.eat_kw("CONSTRAINT") {
                    cname = Some(self.ident()?);
                }
                if self.eat_kw("DEFAULT") {
                    col.default = Some(self.unary()?);
                } else {
                    col.constraints
                        .push(self.table_constraint_body(cname, Some(&name))?);
                }
            } else {
                return Ok(col);
            }
        }
    }

    fn table_constraint(&mut self, column: Option<&str>) -> PResult<TableConstraint> {
        let name = if self.eat_kw("CONSTRAINT") {
            Some(self.ident()?)
        } else {
            None
        };
        self.table_constraint_body(name, column)
    }

    /// The rows after `VALUES`: `(e, ...), (e, ...)`.
    fn value_rows(&mut self, line: i32) -> PResult<Vec<Vec<Expr>>> {
        let mut rows = Vec::new();
        loop {
            self.expect_sym("(")?;
            let mut row = Vec::new();
            loop {
                if self.eat_kw("DEFAULT") {
                    return Err(unsupported(
                        "DEFAULT inside VALUES (in an INSERT, leave the column out instead)",
                        line,
                    ));
                }
                row.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
            rows.push(row);
            if !self.eat_sym(",") {
                return Ok(rows);
            }
        }
    }

    fn column_list(&mut self) -> PResult<Vec<String>> {
        self.expect_sym("(")?;
        let mut cols = Vec::new();
        loop {
            cols.push(self.ident()?);
            // Sort order in a key list changes no result here.
            let _ = self.eat_kw("ASC") || self.eat_kw("DESC");
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        Ok(cols)
    }

    fn table_constraint_body(
        &mut self,
        name: Option<String>,
        column: Option<&str>,
    ) -> PResult<TableConstraint> {
        let own = || column.map(|c| vec![c.to_string()]).unwrap_or_default();
        let kind = if self.eat_kw("PRIMARY") {
            self.expect_kw("KEY")?;
            if !self.eat_kw("CLUSTERED") {
                self.eat_kw("NONCLUSTERED");
            }
            ConstraintKind::PrimaryKey(if self.is_sym("(") {
                self.column_list()?
            } else {
                own()
            })
        } else if self.eat_kw("UNIQUE") {
            if !self.eat_kw("CLUSTERED") {
                self.eat_kw("NONCLUSTERED");
            }
            ConstraintKind::Unique(if self.is_sym("(") {
                self.column_list()?
            } else {
                own()
            })
        } else if self.eat_kw("CHECK") {
            self.expect_sym("(")?;
            let e = self.expr()?;
            self.expect_sym(")")?;
            ConstraintKind::Check(e)
        } else {
            let columns = if self.eat_kw("FOREIGN") {
                self.expect_kw("KEY")?;
                self.column_list()?
            } else {
                own()
            };
            self.expect_kw("REFERENCES")?;
            let table = self.object_name()?;
            let ref_columns = if self.is_sym("(") {
                self.column_list()?
            } else {
                vec![]
            };
            if self.is_kw("ON") {
                return Err(unsupported("ON DELETE / ON UPDATE actions", self.line()));
            }
            ConstraintKind::ForeignKey {
                columns,
                table,
                ref_columns,
            }
        };
        Ok(TableConstraint { name, kind })
    }

    fn create_index(&mut self, unique: bool) -> PResult<StmtKind> {
        let name = self.ident()?;
        self.expect_kw("ON")?;
        let table = self.object_name()?;
        self.expect_sym("(")?;
        let mut columns = Vec::new();
        loop {
            let c = self.ident()?;
            let desc = if self.eat_kw("DESC") {
                true
            } else {
                self.eat_kw("ASC");
                false
            };
            columns.push((c, desc));
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        // INCLUDE columns change no result, only what an index covers.
        if self.eat_kw("INCLUDE") {
            self.column_list()?;
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        if self.is_kw("WITH") {
            return Err(unsupported("index options (WITH ...)", self.line()));
        }
        Ok(StmtKind::CreateIndex(CreateIndex {
            name,
            table,
            unique,
            columns,
            filter,
        }))
    }

    fn drop(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        let proc = if self.eat_kw("PROCEDURE") || self.eat_kw("PROC") {
            true
        } else if self.eat_kw("TABLE") {
            false
        } else {
            return Err(unsupported(
                &format!("DROP {}", self.kw().unwrap_or_default()),
                line,
            ));
        };
        let if_exists = if self.eat_kw("IF") {
            self.expect_kw("EXISTS")?;
            true
        } else {
            false
        };
        let name = self.object_name()?;
        Ok(if proc {
            StmtKind::DropProcedure { name, if_exists }
        } else {
            StmtKind::DropTable { name, if_exists }
        })
    }

    fn declare(&mut self) -> PResult<StmtKind> {
        self.pos += 1;
        let mut vars = Vec::new();
        loop {
            let name = self.var()?;
            self.eat_kw("AS");
            if self.is_kw("TABLE") {
                return Err(unsupported("table variables", self.line()));
            }
            if self.is_kw("CURSOR") {
                return Err(unsupported("cursors", self.line()));
            }
            let ty = self.data_type()?;
            let init = if self.eat_sym("=") {
                Some(self.expr()?)
            } else {
                None
            };
            vars.push((name, ty, init));
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(StmtKind::Declare(vars))
    }

    fn set(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        if let Some(Tok::Var(_)) = self.peek() {
            let name = self.var()?;
            let op = self.assignment()?;
            let value = self.expr()?;
            return Ok(StmtKind::SetVar { name, op, value });
        }
        let option = self.ident()?.to_ascii_uppercase();
        match option.as_str() {
            "NOCOUNT"
            | "XACT_ABORT"
            | "ANSI_NULLS"
            | "QUOTED_IDENTIFIER"
            | "ANSI_WARNINGS"
            | "ANSI_PADDING"
            | "ARITHABORT"
            | "CONCAT_NULL_YIELDS_NULL"
            | "ANSI_NULL_DFLT_ON"
            | "IMPLICIT_TRANSACTIONS" => {
                let on = if self.eat_kw("ON") {
                    true
                } else if self.eat_kw("OFF") {
                    false
                } else {
                    return Err(self.unexpected());
                };
                if option == "IMPLICIT_TRANSACTIONS" && on {
                    return Err(unsupported("SET IMPLICIT_TRANSACTIONS ON", line));
                }
                Ok(StmtKind::SetOption { option, on })
            }
            "TEXTSIZE" | "LOCK_TIMEOUT" | "DATEFIRST" | "DEADLOCK_PRIORITY" => {
                // Session settings clients send at connect; they change nothing here.
                let _ = self.unary()?;
                Ok(StmtKind::SetOption { option, on: true })
            }
            "DATEFORMAT" | "LANGUAGE" => {
                self.ident()?;
                Ok(StmtKind::SetOption { option, on: true })
            }
            "TRANSACTION" => {
                self.expect_kw("ISOLATION")?;
                self.expect_kw("LEVEL")?;
                while matches!(
                    self.kw().as_deref(),
                    Some(
                        "READ"
                            | "COMMITTED"
                            | "UNCOMMITTED"
                            | "REPEATABLE"
                            | "SERIALIZABLE"
                            | "SNAPSHOT"
                    )
                ) {
                    self.pos += 1;
                }
                Ok(StmtKind::SetOption { option, on: true })
            }
            "IDENTITY_INSERT" => Err(unsupported("SET IDENTITY_INSERT", line)),
            other => Err(unsupported(&format!("SET {other}"), line)),
        }
    }

    /// `=` or a compound assignment (`+=` ...), as SET and UPDATE ... SET take them.
    fn assignment(&mut self) -> PResult<Option<BinOp>> {
        if self.eat_sym("=") {
            return Ok(None);
        }
        [
            ("+=", BinOp::Add),
            ("-=", BinOp::Sub),
            ("*=", BinOp::Mul),
            ("/=", BinOp::Div),
        ]
        .into_iter()
        .find_map(|(s, op)| self.eat_sym(s).then_some(Some(op)))
        .ok_or_else(|| self.unexpected())
    }

    fn exec(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        let status_var = if let Some(Tok::Var(_)) = self.peek() {
            let v = self.var()?;
            self.expect_sym("=")?;
            Some(v)
        } else {
            None
        };
        if self.is_sym("(") || matches!(self.peek(), Some(Tok::Str(_))) {
            return Err(unsupported("dynamic SQL (EXEC of a string)", line));
        }
        let procedure = self.object_name()?;
        let mut args = Vec::new();
        if !(self.at_end() || self.is_sym(";") || self.starts_statement()) {
            loop {
                let name = if matches!(self.peek(), Some(Tok::Var(_)))
                    && matches!(self.peek_at(1), Some(Tok::Sym("=")))
                {
                    let n = self.var()?;
                    self.pos += 1;
                    Some(n)
                } else {
                    None
                };
                let value = self.expr()?;
                let output = self.eat_kw("OUTPUT") || self.eat_kw("OUT");
                args.push(ExecArg {
                    name,
                    value,
                    output,
                });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        if self.is_kw("WITH") {
            return Err(unsupported("EXEC ... WITH options", line));
        }
        Ok(StmtKind::Exec(Exec {
            status_var,
            procedure,
            args,
        }))
    }

    fn insert(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        if self.is_kw("TOP") {
            return Err(unsupported("INSERT TOP", line));
        }
        self.eat_kw("INTO");
        let table = self.object_name()?;
        let columns = if self.is_sym("(") {
            self.column_list()?
        } else {
            Vec::new()
        };
        let output = self.output_clause()?;
        let source = if self.eat_kw("VALUES") {
            InsertSource::Values(self.value_rows(line)?)
        } else if self.eat_kw("DEFAULT") {
            self.expect_kw("VALUES")?;
            InsertSource::DefaultValues
        } else if self.is_kw("SELECT") {
            InsertSource::Query(Box::new(self.query()?))
        } else if self.is_kw("EXEC") || self.is_kw("EXECUTE") {
            return Err(unsupported("INSERT ... EXEC", line));
        } else {
            return Err(self.unexpected());
        };
        Ok(StmtKind::Insert(Box::new(Insert {
            table,
            columns,
            source,
            output,
        })))
    }

    fn output_clause(&mut self) -> PResult<Vec<SelectItem>> {
        if !self.eat_kw("OUTPUT") {
            return Ok(Vec::new());
        }
        let items = self.select_items()?;
        if self.is_kw("INTO") {
            return Err(unsupported("OUTPUT ... INTO", self.line()));
        }
        Ok(items)
    }

    fn update(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        if self.is_kw("TOP") {
            return Err(unsupported("UPDATE TOP", line));
        }
        let table = self.object_name()?;
        self.expect_kw("SET")?;
        let mut sets = Vec::new();
        loop {
            if matches!(self.peek(), Some(Tok::Var(_))) {
                return Err(unsupported("assigning variables in UPDATE ... SET", line));
            }
            let mut col = self.ident()?;
            // `SET t.Col = ...` with the table's own name or alias.
            if self.eat_sym(".") {
                col = self.ident()?;
            }
            let op = self.assignment()?;
            let value = self.expr()?;
            let value = match op {
                None => value,
                Some(op) => Expr::Binary(
                    op,
                    Box::new(Expr::Column {
                        qualifier: None,
                        name: col.clone(),
                    }),
                    Box::new(value),
                ),
            };
            sets.push((col, value));
            if !self.eat_sym(",") {
                break;
            }
        }
        let output = self.output_clause()?;
        if self.is_kw("FROM") {
            return Err(unsupported("UPDATE ... FROM", self.line()));
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(StmtKind::Update(Box::new(Update {
            table,
            sets,
            filter,
            output,
        })))
    }

    fn delete(&mut self) -> PResult<StmtKind> {
        let line = self.line();
        self.pos += 1;
        if self.is_kw("TOP") {
            return Err(unsupported("DELETE TOP", line));
        }
        self.eat_kw("FROM");
        let table = self.object_name()?;
        let output = self.output_clause()?;
        if self.is_kw("FROM") {
            return Err(unsupported("DELETE ... FROM", self.line()));
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(StmtKind::Delete(Box::new(Delete {
            table,
            filter,
            output,
        })))
    }

    fn query(&mut self) -> PResult<Query> {
        let line = self.line();
        let select = self.select()?;
        if self.is_kw("UNION") || self.is_kw("EXCEPT") || self.is_kw("INTERSECT") {
            return Err(unsupported("UNION / EXCEPT / INTERSECT", line));
        }
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let e = self.expr()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                order_by.push((e, desc));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let mut offset = None;
        if self.eat_kw("OFFSET") {
            let n = self.expr()?;
            if !self.eat_kw("ROWS") {
                self.expect_kw("ROW")?;
            }
            let mut fetch = None;
            if self.eat_kw("FETCH") {
                if !self.eat_kw("NEXT") {
                    self.expect_kw("FIRST")?;
                }
                fetch = Some(self.expr()?);
                if !self.eat_kw("ROWS") {
                    self.expect_kw("ROW")?;
                }
                self.expect_kw("ONLY")?;
            }
            offset = Some((n, fetch));
        }
        if self.is_kw("FOR") {
            return Err(unsupported("FOR XML / FOR JSON", self.line()));
        }
        if self.is_kw("OPTION") {
            return Err(unsupported("query hints (OPTION)", self.line()));
        }
        Ok(Query {
            select,
            order_by,
            offset,
        })
    }

    fn select(&mut self) -> PResult<Select> {
        self.expect_kw("SELECT")?;
        let distinct = self.eat_kw("DISTINCT");
        self.eat_kw("ALL");
        let top = if self.eat_kw("TOP") {
            let e = if self.eat_sym("(") {
                let e = self.expr()?;
                self.expect_sym(")")?;
                e
            } else {
                self.primary()?
            };
            if self.is_kw("PERCENT") || self.is_kw("WITH") {
                return Err(unsupported("TOP ... PERCENT / WITH TIES", self.line()));
            }
            Some(e)
        } else {
            None
        };
        let items = self.select_items()?;
        if self.is_kw("INTO") {
            return Err(unsupported("SELECT ... INTO", self.line()));
        }
        let mut from = Vec::new();
        if self.eat_kw("FROM") {
            loop {
                from.push(self.table_ref()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            loop {
                group_by.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let having = if self.eat_kw("HAVING") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            top,
            items,
            from,
            filter,
            group_by,
            having,
        })
    }

    fn select_items(&mut self) -> PResult<Vec<SelectItem>> {
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(items)
    }

    fn select_item(&mut self) -> PResult<SelectItem> {
        if self.eat_sym("*") {
            return Ok(SelectItem::Wildcard(None));
        }
        if let (Some(Tok::Ident { text, .. }), Some(Tok::Sym(".")), Some(Tok::Sym("*"))) =
            (self.peek().cloned(), self.peek_at(1), self.peek_at(2))
        {
            self.pos += 3;
            return Ok(SelectItem::Wildcard(Some(text)));
        }
        if let (Some(Tok::Var(v)), Some(Tok::Sym("="))) = (self.peek().cloned(), self.peek_at(1)) {
            if !v.starts_with("@@") {
                self.pos += 2;
                let expr = self.expr()?;
                return Ok(SelectItem::Assign { var: v, expr });
            }
        }
        // `alias = expr`
        if let (Some(Tok::Ident { text, quoted }), Some(Tok::Sym("="))) =
            (self.peek().cloned(), self.peek_at(1))
        {
            if quoted || !RESERVED.contains(&text.to_ascii_uppercase().as_str()) {
                self.pos += 2;
                let expr = self.expr()?;
                return Ok(SelectItem::Expr {
                    expr,
                    alias: Some(text),
                });
            }
        }
        let expr = self.expr()?;
        let alias = self.alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    fn alias(&mut self) -> PResult<Option<String>> {
        if self.eat_kw("AS") {
            return match self.peek().cloned() {
                Some(Tok::Str(s)) => {
                    self.pos += 1;
                    Ok(Some(s))
                }
                _ => Ok(Some(self.ident()?)),
            };
        }
        match self.peek() {
            Some(Tok::Ident { text, quoted })
                if *quoted || !RESERVED.contains(&text.to_ascii_uppercase().as_str()) =>
            {
                let t = text.clone();
                self.pos += 1;
                Ok(Some(t))
            }
            _ => Ok(None),
        }
    }

    fn table_ref(&mut self) -> PResult<TableRef> {
        let mut left = self.table_primary()?;
        loop {
            let line = self.line();
            let kind = if self.eat_kw("JOIN") {
                JoinKind::Inner
            } else if self.is_kw("INNER") && self.is_kw_at(1, "JOIN") {
                self.pos += 2;
                JoinKind::Inner
            } else if self.is_kw("LEFT") {
                self.pos += 1;
                self.eat_kw("OUTER");
                self.expect_kw("JOIN")?;
                JoinKind::Left
            } else if self.is_kw("CROSS") && self.is_kw_at(1, "JOIN") {
                self.pos += 2;
                JoinKind::Cross
            } else if self.is_kw("RIGHT") || self.is_kw("FULL") {
                return Err(unsupported("RIGHT and FULL joins", line));
            } else if self.is_kw("CROSS") || self.is_kw("OUTER") {
                return Err(unsupported("APPLY", line));
            } else {
                return Ok(left);
            };
            let right = self.table_primary()?;
            let on = if kind == JoinKind::Cross {
                None
            } else {
                self.expect_kw("ON")?;
                Some(self.expr()?)
            };
            left = TableRef::Join {
                kind,
                left: Box::new(left),
                right: Box::new(right),
                on,
            };
        }
    }

    fn table_primary(&mut self) -> PResult<TableRef> {
        let line = self.line();
        if self.eat_sym("(") {
            if self.eat_kw("VALUES") {
                let rows = self.value_rows(line)?;
                self.expect_sym(")")?;
                let alias = self.alias()?.ok_or_else(|| self.unexpected())?;
                let columns = if self.is_sym("(") {
                    self.column_list()?
                } else {
                    Vec::new()
                };
                return Ok(TableRef::Values {
                    rows,
                    alias,
                    columns,
                });
            }
            if !self.is_kw("SELECT") {
                return Err(unsupported("parenthesised joins", line));
            }
            let query = Box::new(self.query()?);
            self.expect_sym(")")?;
            let alias = self.alias()?.ok_or_else(|| self.unexpected())?;
            return Ok(TableRef::Derived { query, alias });
        }
        if self.is_kw("OPENJSON") && matches!(self.peek_at(1), Some(Tok::Sym("("))) {
            self.pos += 2;
            let json = self.expr()?;
            if self.is_sym(",") {
                return Err(unsupported("OPENJSON with a path", line));
            }
            self.expect_sym(")")?;
            if self.is_kw("WITH") {
                return Err(unsupported("OPENJSON ... WITH (schema)", line));
            }
            let alias = self.alias()?;
            return Ok(TableRef::OpenJson { json, alias });
        }
        if matches!(self.peek(), Some(Tok::Var(_))) {
            return Err(unsupported("table variables", line));
        }
        let name = self.object_name()?;
        if self.is_sym("(") {
            return Err(unsupported(
                &format!("table-valued function '{name}'"),
                line,
            ));
        }
        let alias = self.alias()?;
        if self.is_kw("WITH") && matches!(self.peek_at(1), Some(Tok::Sym("("))) {
            return Err(unsupported("table hints (WITH (...))", line));
        }
        Ok(TableRef::Table { name, alias })
    }

    // Expressions, lowest precedence first.
    pub fn expr(&mut self) -> PResult<Expr> {
        self.or()
    }
    /// A left-associative chain of `next` joined by the operators `op` recognizes.
    fn chain(
        &mut self,
        next: fn(&mut Self) -> PResult<Expr>,
        op: fn(&mut Self) -> Option<BinOp>,
    ) -> PResult<Expr> {
        let mut l = next(self)?;
        while let Some(o) = op(self) {
            let r = next(self)?;
            l = Expr::Binary(o, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn or(&mut self) -> PResult<Expr> {
        self.chain(Self::and, |p| p.eat_kw("OR").then_some(BinOp::Or))
    }
    fn and(&mut self) -> PResult<Expr> {
        self.chain(Self::not, |p| p.eat_kw("AND").then_some(BinOp::And))
    }
    fn not(&mut self) -> PResult<Expr> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.predicate()
    }
    fn predicate(&mut self) -> PResult<Expr> {
        if self.eat_kw("EXISTS") {
            self.expect_sym("(")?;
            let q = self.query()?;
            self.expect_sym(")")?;
            return Ok(Expr::Exists(Box::new(q)));
        }
        let l = self.additive()?;
        let cmp = |s: &str| match s {
            "=" => Some(BinOp::Eq),
            "<>" | "!=" => Some(BinOp::Ne),
            "<" | "!>" => Some(if s == "<" { BinOp::Lt } else { BinOp::Le }),
            "<=" => Some(BinOp::Le),
            ">" => Some(BinOp::Gt),
            ">=" | "!<" => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(Tok::Sym(s)) = self.peek() {
            if let Some(op) = cmp(s) {
                self.pos += 1;
                if self.is_kw("ALL") || self.is_kw("ANY") || self.is_kw("SOME") {
                    return Err(unsupported("ALL / ANY / SOME comparisons", self.line()));
                }
                let r = self.additive()?;
                return Ok(Expr::Binary(op, Box::new(l), Box::new(r)));
            }
        }
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return Ok(Expr::IsNull {
                expr: Box::new(l),
                negated,
            });
        }
        let negated = self.is_kw("NOT")
            && (self.is_kw_at(1, "IN") || self.is_kw_at(1, "LIKE") || self.is_kw_at(1, "BETWEEN"));
        if negated {
            self.pos += 1;
        }
        if self.eat_kw("IN") {
            self.expect_sym("(")?;
            if self.is_kw("SELECT") {
                let q = self.query()?;
                self.expect_sym(")")?;
                return Ok(Expr::InQuery {
                    expr: Box::new(l),
                    query: Box::new(q),
                    negated,
                });
            }
            let mut list = Vec::new();
            loop {
                list.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
            return Ok(Expr::InList {
                expr: Box::new(l),
                list,
                negated,
            });
        }
        if self.eat_kw("LIKE") {
            let pattern = self.additive()?;
            if self.is_kw("ESCAPE") {
                return Err(unsupported("LIKE ... ESCAPE", self.line()));
            }
            return Ok(Expr::Like {
                expr: Box::new(l),
                pattern: Box::new(pattern),
                negated,
            });
        }
        if self.eat_kw("BETWEEN") {
            let low = self.additive()?;
            self.expect_kw("AND")?;
            let high = self.additive()?;
            return Ok(Expr::Between {
                expr: Box::new(l),
                low: Box::new(low),
                high: Box::new(high),
                negated,
            });
        }
        if negated {
            return Err(self.unexpected());
        }
        Ok(l)
    }
    fn additive(&mut self) -> PResult<Expr> {
        self.chain(Self::multiplicative, |p| {
            [("+", BinOp::Add), ("-", BinOp::Sub)]
                .into_iter()
                .find_map(|(s, o)| p.eat_sym(s).then_some(o))
        })
    }
    fn multiplicative(&mut self) -> PResult<Expr> {
        self.chain(Self::unary, |p| {
            [("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Mod)]
                .into_iter()
                .find_map(|(s, o)| p.eat_sym(s).then_some(o))
        })
    }
    fn unary(&mut self) -> PResult<Expr> {
        if self.eat_sym("-") {
            return Ok(match self.unary()? {
                Expr::Literal(Value::Int(i)) => Expr::Literal(Value::Int(-i)),
                Expr::Literal(Value::Float(f)) => Expr::Literal(Value::Float(-f)),
                Expr::Literal(Value::Decimal(v, s)) => Expr::Literal(Value::Decimal(-v, s)),
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat_sym("+") {
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Expr> {
        let line = self.line();
        let Some(tok) = self.peek().cloned() else {
            return Err(self.unexpected());
        };
        match tok {
            Tok::Int(i) => {
                self.pos += 1;
                Ok(Expr::Literal(Value::Int(i)))
            }
            Tok::Number(n) => {
                self.pos += 1;
                Ok(Expr::Literal(number_literal(&n)))
            }
            Tok::Str(s) => {
                self.pos += 1;
                Ok(Expr::Literal(Value::Str(s)))
            }
            Tok::Bin(b) => {
                self.pos += 1;
                Ok(Expr::Literal(Value::Bytes(b)))
            }
            Tok::Var(v) => {
                self.pos += 1;
                match v.strip_prefix("@@") {
                    Some(g) => Ok(Expr::Global(g.to_ascii_uppercase())),
                    None => Ok(Expr::Var(v)),
                }
            }
            Tok::Sym("(") => {
                self.pos += 1;
                if self.is_kw("SELECT") {
                    let q = self.query()?;
                    self.expect_sym(")")?;
                    return Ok(Expr::Subquery(Box::new(q)));
                }
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Ident { text, quoted } => {
                let upper = text.to_ascii_uppercase();
                if !quoted {
                    match upper.as_str() {
                        "NULL" => {
                            self.pos += 1;
                            return Ok(Expr::Literal(Value::Null));
                        }
                        "CASE" => return self.case(),
                        "CAST" | "TRY_CAST" => {
                            if upper == "TRY_CAST" {
                                return Err(unsupported("TRY_CAST", line));
                            }
                            self.pos += 1;
                            self.expect_sym("(")?;
                            let e = self.expr()?;
                            self.expect_kw("AS")?;
                            let ty = self.data_type()?;
                            self.expect_sym(")")?;
                            return Ok(Expr::Cast {
                                expr: Box::new(e),
                                ty,
                                style: None,
                            });
                        }
                        "CONVERT" => {
                            self.pos += 1;
                            self.expect_sym("(")?;
                            let ty = self.data_type()?;
                            self.expect_sym(",")?;
                            let e = self.expr()?;
                            let mut style = None;
                            if self.eat_sym(",") {
                                match self.peek() {
                                    Some(Tok::Int(n @ (0 | 120 | 121 | 126 | 127))) => {
                                        style = Some(*n as u16);
                                        self.pos += 1;
                                    }
                                    _ => {
                                        return Err(unsupported(
                                            "CONVERT styles other than 0, 120, 121, 126 and 127",
                                            line,
                                        ))
                                    }
                                }
                            }
                            self.expect_sym(")")?;
                            return Ok(Expr::Cast {
                                expr: Box::new(e),
                                ty,
                                style,
                            });
                        }
                        "DATEADD" | "DATEDIFF" | "DATEPART" | "DATEDIFF_BIG" => {
                            if matches!(self.peek_at(1), Some(Tok::Sym("("))) {
                                self.pos += 2;
                                let part = self.ident()?.to_ascii_lowercase();
                                let mut args = Vec::new();
                                while self.eat_sym(",") {
                                    args.push(self.expr()?);
                                }
                                self.expect_sym(")")?;
                                return Ok(Expr::DatePart {
                                    name: upper,
                                    part,
                                    args,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                if matches!(self.peek_at(1), Some(Tok::Sym("("))) && !quoted {
                    self.pos += 2;
                    let mut args = Vec::new();
                    let mut star = false;
                    if self.eat_sym("*") {
                        star = true;
                    } else if !self.is_sym(")") {
                        if self.eat_kw("DISTINCT") {
                            return Err(unsupported("aggregates over DISTINCT", line));
                        }
                        loop {
                            args.push(self.expr()?);
                            if !self.eat_sym(",") {
                                break;
                            }
                        }
                    }
                    self.expect_sym(")")?;
                    if self.is_kw("OVER") {
                        return Err(unsupported("window functions (OVER)", line));
                    }
                    return Ok(Expr::Func {
                        name: upper,
                        args,
                        star,
                    });
                }
                if !quoted && RESERVED.contains(&upper.as_str()) {
                    return Err(self.unexpected());
                }
                self.pos += 1;
                let mut parts = vec![text];
                while self.is_sym(".") && matches!(self.peek_at(1), Some(Tok::Ident { .. })) {
                    self.pos += 1;
                    parts.push(self.ident()?);
                }
                let name = parts.pop().unwrap_or_default();
                // dbo.Table.Column keeps only the table as the qualifier.
                let qualifier = parts.pop();
                Ok(Expr::Column { qualifier, name })
            }
            _ => Err(self.unexpected()),
        }
    }

    fn case(&mut self) -> PResult<Expr> {
        self.pos += 1;
        let operand = if self.is_kw("WHEN") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let w = self.expr()?;
            self.expect_kw("THEN")?;
            let t = self.expr()?;
            whens.push((w, t));
        }
        if whens.is_empty() {
            return Err(self.unexpected());
        }
        let otherwise = if self.eat_kw("ELSE") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("END")?;
        Ok(Expr::Case {
            operand,
            whens,
            otherwise,
        })
    }
}

fn number_literal(text: &str) -> Value {
    if text.contains(['e', 'E']) {
        return Value::Float(text.parse().unwrap_or(0.0));
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = format!("{int}{frac}");
    match digits.parse::<i128>() {
        Ok(v) if digits.len() <= 38 => Value::Decimal(v, frac.len() as u8),
        _ => Value::Float(text.parse().unwrap_or(0.0)),
    }
}
