//! Turns the T-SQL syntax tree into SQLite SQL with the same meaning: names
//! resolved against the catalog, types inferred, SQL Server semantics
//! (collation, `+`, division, conversions) spelled out through the functions
//! in `functions.rs`. Variables become bound parameters; literals are inlined.

use rusqlite::types::Value as Lite;

use super::ast::*;
use super::catalog::{Catalog, TableInfo};
use super::functions::COLLATION;
use super::parser::unsupported;
use super::value::{
    is_integer, is_numeric, is_string, is_temporal, literal_type, to_lite, type_name,
};
use crate::types::{Column, ServerMessage, SqlType, Value};

pub type TResult<T> = Result<T, ServerMessage>;

/// What a statement may read besides tables: variables and session values.
pub trait Env {
    fn var(&self, name: &str) -> Option<(SqlType, Value)>;
    /// `@@ROWCOUNT`-style globals (name without sigils) and session
    /// functions (`SCOPE_IDENTITY`, `ERROR_NUMBER` ...).
    fn special(&self, name: &str) -> Option<(SqlType, Value)>;
}

pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal_sql(v: &Value) -> String {
    match to_lite(v) {
        Lite::Null => "NULL".into(),
        Lite::Integer(i) => i.to_string(),
        Lite::Real(f) => format!("{f:?}"),
        Lite::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Lite::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
    }
}

struct Source {
    alias: String,
    /// The table's own name, which T-SQL also accepts as a qualifier when no alias is given.
    table: Option<String>,
    columns: Vec<(String, SqlType, bool)>,
}

pub struct Scope<'p> {
    sources: Vec<Source>,
    parent: Option<&'p Scope<'p>>,
    /// SELECT-list aliases, which ORDER BY may name.
    output: Vec<(String, SqlType)>,
}

impl<'p> Scope<'p> {
    pub fn empty() -> Scope<'static> {
        Scope {
            sources: vec![],
            parent: None,
            output: vec![],
        }
    }
    fn child(parent: &'p Scope<'p>) -> Scope<'p> {
        Scope {
            sources: vec![],
            parent: Some(parent),
            output: vec![],
        }
    }
}

/// What a bound parameter of a translated statement stands for; the value
/// is read when the statement runs, so a translation can be reused.
#[derive(Clone, Debug)]
pub enum ParamRef {
    Var(String),
    Special(String),
}

pub struct Translator<'a> {
    pub catalog: &'a Catalog,
    pub env: &'a dyn Env,
    pub params: Vec<ParamRef>,
    pub line: i32,
}

/// A translated statement that returns rows.
pub struct Translated {
    pub sql: String,
    pub columns: Vec<Column>,
}

fn invalid_object(name: &str) -> ServerMessage {
    ServerMessage::error(208, format!("Invalid object name '{name}'."))
}

fn col(name: &str, ty: SqlType, nullable: bool) -> Column {
    Column {
        name: name.to_string(),
        ty,
        nullable,
    }
}

/// What a table value constructor's cell says about its column's type and nullability.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// The literal NULL: no type, and the column is nullable.
    Null,
    /// A literal other than NULL.
    NotNull,
    /// Anything else (a variable, a function, a column): typed, maybe NULL.
    MaybeNull,
}

fn classify_cell(e: &Expr) -> Cell {
    match e {
        Expr::Literal(Value::Null) => Cell::Null,
        Expr::Literal(_) => Cell::NotNull,
        _ => Cell::MaybeNull,
    }
}

/// Types that convert into each other without a conversion that can fail: the rows of one
/// table value constructor column must share one.
fn kind_of_type(ty: &SqlType) -> u8 {
    match ty {
        t if is_string(t) => 0,
        t if is_temporal(t) => 1,
        SqlType::UniqueIdentifier => 2,
        SqlType::VarBinary(_) => 3,
        _ => 4,
    }
}

/// Where a numeric type stands in SQL Server's type precedence (higher wins).
fn precedence(ty: &SqlType) -> u8 {
    match ty {
        SqlType::DateTime2(_) | SqlType::DateTime => 10,
        SqlType::Date => 9,
        SqlType::Float => 8,
        SqlType::Decimal { .. } => 7,
        SqlType::BigInt => 6,
        SqlType::Int => 5,
        SqlType::SmallInt => 4,
        SqlType::TinyInt => 3,
        SqlType::Bit => 2,
        SqlType::UniqueIdentifier => 1,
        _ => 0,
    }
}

impl<'a> Translator<'a> {
    pub fn new(catalog: &'a Catalog, env: &'a dyn Env, line: i32) -> Self {
        Translator {
            catalog,
            env,
            params: Vec::new(),
            line,
        }
    }

    fn err(&self, mut m: ServerMessage) -> ServerMessage {
        m.line = self.line;
        m
    }

    fn bind(&mut self, p: ParamRef) -> String {
        self.params.push(p);
        format!("?{}", self.params.len())
    }

    pub fn table(&self, name: &str) -> TResult<std::sync::Arc<TableInfo>> {
        self.catalog
            .table(name)
            .ok_or_else(|| self.err(invalid_object(name)))
    }

    /// CAST / CONVERT: date/time to text is formatted as SQL Server does for
    /// the source type and style; everything else goes through tsql_conv.
    fn cast(
        &self,
        sql: String,
        from: &SqlType,
        to: &SqlType,
        style: u16,
        strict: Option<&str>,
    ) -> String {
        let sql = if is_temporal(from) && is_string(to) {
            format!("tsql_datetime_text({sql}, '{}', {style})", type_name(from))
        } else {
            sql
        };
        let target = match strict {
            Some(t) => literal_sql(&Value::Str(t.to_string())),
            None => "NULL".into(),
        };
        format!("tsql_conv({sql}, '{}', {target})", type_name(to))
    }

    /// `sql` converted from `from` to `to` (nothing when no conversion is needed).
    pub fn convert(
        &self,
        sql: String,
        from: &SqlType,
        to: &SqlType,
        strict: Option<&str>,
    ) -> String {
        let same_family = (is_string(from) && is_string(to))
            || (is_integer(from)
                && is_integer(to)
                && precedence(from) <= precedence(to)
                && *to != SqlType::Bit)
            || from == to;
        let needs_length_check = match (from, to) {
            (
                SqlType::NVarChar(a) | SqlType::VarChar(a),
                SqlType::NVarChar(b) | SqlType::VarChar(b),
            ) => matches!((a, b), (None, Some(_))) || matches!((a, b), (Some(x), Some(y)) if x > y),
            _ => false,
        };
        if same_family && !needs_length_check {
            return sql;
        }
        self.cast(sql, from, to, 0, strict)
    }

    pub fn expr(&mut self, e: &Expr, scope: &Scope) -> TResult<(String, SqlType)> {
        match e {
            Expr::Literal(v) => Ok((literal_sql(v), literal_type(v))),
            Expr::Var(name) => {
                let (ty, _) = self.env.var(name).ok_or_else(|| {
                    self.err(ServerMessage::error(
                        137,
                        format!("Must declare the scalar variable \"{name}\"."),
                    ))
                })?;
                Ok((self.bind(ParamRef::Var(name.to_ascii_lowercase())), ty))
            }
            Expr::Global(g) => {
                let global = format!("@@{g}");
                let (ty, _) = self
                    .env
                    .special(&global)
                    .ok_or_else(|| self.err(unsupported(&global, self.line)))?;
                Ok((self.bind(ParamRef::Special(global)), ty))
            }
            Expr::Column { qualifier, name } => self.column(qualifier.as_deref(), name, scope),
            Expr::Binary(op, l, r) => self.binary(*op, l, r, scope),
            Expr::Neg(x) => {
                let (s, t) = self.expr(x, scope)?;
                Ok((format!("(-{s})"), t))
            }
            Expr::Not(x) => {
                let (s, _) = self.expr(x, scope)?;
                Ok((format!("(NOT {s})"), SqlType::Bit))
            }
            Expr::IsNull { expr, negated } => {
                let (s, _) = self.expr(expr, scope)?;
                Ok((
                    format!("({s} IS {}NULL)", if *negated { "NOT " } else { "" }),
                    SqlType::Bit,
                ))
            }
            Expr::Like {
                expr,
                pattern,
                negated,
            } => {
                // SQLite's like() is replaced by T-SQL's (functions.rs).
                let (s, _) = self.expr(expr, scope)?;
                let (p, _) = self.expr(pattern, scope)?;
                Ok((
                    format!("({s} {}LIKE {p})", if *negated { "NOT " } else { "" }),
                    SqlType::Bit,
                ))
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let ge = Expr::Binary(BinOp::Ge, expr.clone(), low.clone());
                let le = Expr::Binary(BinOp::Le, expr.clone(), high.clone());
                let both = Expr::Binary(BinOp::And, Box::new(ge), Box::new(le));
                let (s, _) = self.expr(&both, scope)?;
                Ok((
                    if *negated { format!("(NOT {s})") } else { s },
                    SqlType::Bit,
                ))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let (s, t) = self.expr(expr, scope)?;
                let mut items = Vec::new();
                for item in list {
                    let (is, it) = self.expr(item, scope)?;
                    items.push(self.coerce_to(is, &it, &t));
                }
                Ok((in_sql(s, &t, &items.join(", "), *negated), SqlType::Bit))
            }
            Expr::InQuery {
                expr,
                query,
                negated,
            } => {
                let (s, t) = self.expr(expr, scope)?;
                let sub = self.query(query, Some(scope))?;
                self.one_column(&sub)?;
                Ok((in_sql(s, &t, &sub.sql, *negated), SqlType::Bit))
            }
            Expr::Exists(q) => {
                let sub = self.query(q, Some(scope))?;
                Ok((format!("(EXISTS ({}))", sub.sql), SqlType::Bit))
            }
            Expr::Subquery(q) => {
                let sub = self.query(q, Some(scope))?;
                self.one_column(&sub)?;
                // More than one row is error 512 in SQL Server; SQLite would take the first.
                let ty = sub.columns[0].ty.clone();
                let name = output_name(&sub.columns[0].name, 0);
                Ok((format!("(SELECT CASE WHEN COUNT(*) > 1 THEN tsql_too_many_rows() ELSE MAX({}) END FROM ({}))", quote(&name), sub.sql), ty))
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                let mut sql = String::from("(CASE");
                let op = match operand {
                    Some(o) => Some(self.expr(o, scope)?),
                    None => None,
                };
                let mut ty: Option<SqlType> = None;
                for (w, t) in whens {
                    let cond = match &op {
                        Some((os, ot)) => {
                            let (ws, wt) = self.expr(w, scope)?;
                            self.comparison("=", os.clone(), ot.clone(), ws, wt)
                        }
                        None => self.expr(w, scope)?.0,
                    };
                    let (ts, tt) = self.expr(t, scope)?;
                    if !matches!(t, Expr::Literal(Value::Null)) {
                        ty = Some(self.wider(ty, tt));
                    }
                    sql.push_str(&format!(" WHEN {cond} THEN {ts}"));
                }
                if let Some(o) = otherwise {
                    let (os, ot) = self.expr(o, scope)?;
                    if !matches!(o.as_ref(), Expr::Literal(Value::Null)) {
                        ty = Some(self.wider(ty, ot));
                    }
                    sql.push_str(&format!(" ELSE {os}"));
                }
                sql.push_str(" END)");
                Ok((sql, ty.unwrap_or(SqlType::Int)))
            }
            Expr::Cast { expr, ty, style } => {
                let (s, from) = self.expr(expr, scope)?;
                if from == *ty {
                    return Ok((s, from));
                }
                Ok((
                    self.cast(s, &from, ty, style.unwrap_or(0), None),
                    ty.clone(),
                ))
            }
            Expr::DatePart { name, part, args } => self.date_function(name, part, args, scope),
            Expr::Func { name, args, star } => self.function(name, args, *star, scope),
        }
    }

    /// A subquery used as a value or with IN has exactly one column (else 116).
    fn one_column(&self, sub: &Translated) -> TResult<()> {
        if sub.columns.len() == 1 {
            return Ok(());
        }
        Err(self.err(ServerMessage::error(
            116,
            "Only one expression can be specified in the select list when the subquery is not introduced with EXISTS.",
        )))
    }

    /// The type both branches of CASE / COALESCE (or two VALUES rows) fit in.
    fn wider(&self, a: Option<SqlType>, b: SqlType) -> SqlType {
        let Some(a) = a else { return b };
        match (&a, &b) {
            (SqlType::NVarChar(Some(x)), SqlType::NVarChar(Some(y))) => {
                SqlType::NVarChar(Some(*x.max(y)))
            }
            _ if is_string(&a) && is_string(&b) => SqlType::NVarChar(None),
            (
                SqlType::Decimal {
                    precision: p1,
                    scale: s1,
                },
                SqlType::Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => {
                // Room for the larger integer part and the larger scale (at most 38 digits).
                let scale = *s1.max(s2);
                let integer_digits = (p1 - s1).max(p2 - s2);
                SqlType::Decimal {
                    precision: (integer_digits + scale).min(38),
                    scale,
                }
            }
            _ if precedence(&b) > precedence(&a) => b,
            _ => a,
        }
    }

    fn coerce_to(&self, sql: String, from: &SqlType, to: &SqlType) -> String {
        if is_string(from) && !is_string(to) {
            self.convert(sql, from, to, None)
        } else if is_temporal(to) && is_temporal(from) && from != to {
            self.convert(sql, from, &SqlType::DateTime2(7), None)
        } else {
            sql
        }
    }

    fn comparison(&self, op: &str, ls: String, lt: SqlType, rs: String, rt: SqlType) -> String {
        if is_string(&lt) && is_string(&rt) {
            return format!("({ls} {op} {rs} COLLATE {COLLATION})");
        }
        let (ls, rs) = if is_temporal(&lt) || is_temporal(&rt) {
            // Compare every date/time form as datetime2 text.
            let dt = SqlType::DateTime2(7);
            let l = if lt == SqlType::Date || is_string(&lt) {
                self.convert(ls, &lt, &dt, None)
            } else {
                ls
            };
            let r = if rt == SqlType::Date || is_string(&rt) {
                self.convert(rs, &rt, &dt, None)
            } else {
                rs
            };
            (l, r)
        } else if is_string(&lt) && is_numeric(&rt) {
            (self.convert(ls, &lt, &rt, None), rs)
        } else if is_string(&rt) && is_numeric(&lt) {
            (ls, self.convert(rs, &rt, &lt, None))
        } else {
            (ls, rs)
        };
        format!("({ls} {op} {rs})")
    }

    fn binary(
        &mut self,
        op: BinOp,
        l: &Expr,
        r: &Expr,
        scope: &Scope,
    ) -> TResult<(String, SqlType)> {
        let (ls, lt) = self.expr(l, scope)?;
        let (rs, rt) = self.expr(r, scope)?;
        Ok(match op {
            BinOp::And => (format!("({ls} AND {rs})"), SqlType::Bit),
            BinOp::Or => (format!("({ls} OR {rs})"), SqlType::Bit),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let symbol = match op {
                    BinOp::Eq => "=",
                    BinOp::Ne => "<>",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    _ => ">=",
                };
                (self.comparison(symbol, ls, lt, rs, rt), SqlType::Bit)
            }
            BinOp::Add if is_string(&lt) && is_string(&rt) => {
                let ty = match (&lt, &rt) {
                    (SqlType::NVarChar(Some(a)), SqlType::NVarChar(Some(b)))
                        if (*a as u32 + *b as u32) <= 4000 =>
                    {
                        SqlType::NVarChar(Some(a + b))
                    }
                    _ => SqlType::NVarChar(None),
                };
                (format!("({ls} || {rs})"), ty)
            }
            _ if is_temporal(&lt) || is_temporal(&rt) => {
                return Err(self.err(ServerMessage::error(
                    206,
                    format!(
                        "Operand type clash: {} is incompatible with {}",
                        type_name(&lt),
                        type_name(&rt)
                    ),
                )))
            }
            _ => {
                let ty = if precedence(&rt) > precedence(&lt) {
                    rt.clone()
                } else {
                    lt.clone()
                };
                let ty = if ty == SqlType::Bit || ty == SqlType::TinyInt || ty == SqlType::SmallInt
                {
                    SqlType::Int
                } else {
                    ty
                };
                let ty = if is_string(&ty) { SqlType::Int } else { ty };
                let ls = if is_string(&lt) {
                    self.convert(ls, &lt, &ty, None)
                } else {
                    ls
                };
                let rs = if is_string(&rt) {
                    self.convert(rs, &rt, &ty, None)
                } else {
                    rs
                };
                let sql = match op {
                    BinOp::Add => format!("({ls} + {rs})"),
                    BinOp::Sub => format!("({ls} - {rs})"),
                    BinOp::Mul => format!("({ls} * {rs})"),
                    BinOp::Div => format!("tsql_div({ls}, {rs})"),
                    _ => format!("tsql_mod({ls}, {rs})"),
                };
                // int and bigint arithmetic that overflows is error 8115, not a wider number.
                let sql = if matches!(ty, SqlType::Int | SqlType::BigInt) && op != BinOp::Mod {
                    format!("tsql_checked({sql}, '{}')", type_name(&ty))
                } else {
                    sql
                };
                (sql, ty)
            }
        })
    }

    fn column(
        &mut self,
        qualifier: Option<&str>,
        name: &str,
        scope: &Scope,
    ) -> TResult<(String, SqlType)> {
        let mut s = Some(scope);
        while let Some(sc) = s {
            let mut found = Vec::new();
            for src in &sc.sources {
                let matches_q = match qualifier {
                    None => true,
                    Some(q) => {
                        src.alias.eq_ignore_ascii_case(q)
                            || src
                                .table
                                .as_deref()
                                .is_some_and(|t| t.eq_ignore_ascii_case(q))
                    }
                };
                if !matches_q {
                    continue;
                }
                if let Some((cname, ty, _)) = src
                    .columns
                    .iter()
                    .find(|(c, _, _)| c.eq_ignore_ascii_case(name))
                {
                    found.push((
                        format!("{}.{}", quote(&src.alias), quote(cname)),
                        ty.clone(),
                    ));
                }
            }
            match found.len() {
                1 => return Ok(found.remove(0)),
                0 => {}
                _ => {
                    return Err(self.err(ServerMessage::error(
                        209,
                        format!("Ambiguous column name '{name}'."),
                    )))
                }
            }
            if qualifier.is_none() {
                if let Some((alias, ty)) =
                    sc.output.iter().find(|(a, _)| a.eq_ignore_ascii_case(name))
                {
                    return Ok((quote(alias), ty.clone()));
                }
            }
            s = sc.parent;
        }
        let shown = match qualifier {
            Some(q) if !scope_has_alias(scope, q) => {
                return Err(self.err(ServerMessage::error(
                    4104,
                    format!("The multi-part identifier \"{q}.{name}\" could not be bound."),
                )))
            }
            _ => name,
        };
        Err(self.err(ServerMessage::error(
            207,
            format!("Invalid column name '{shown}'."),
        )))
    }

    fn date_function(
        &mut self,
        name: &str,
        part: &str,
        args: &[Expr],
        scope: &Scope,
    ) -> TResult<(String, SqlType)> {
        let part_sql = literal_sql(&Value::Str(part.to_string()));
        match (name, args) {
            ("DATEADD", [n, d]) => {
                let (ns, nt) = self.expr(n, scope)?;
                let ns = self.convert(ns, &nt, &SqlType::BigInt, None);
                let (ds, dt) = self.expr(d, scope)?;
                let ty = if is_temporal(&dt) {
                    dt.clone()
                } else {
                    SqlType::DateTime
                };
                let ds = self.convert(ds, &dt, &ty, None);
                Ok((
                    format!(
                        "tsql_conv(tsql_dateadd({part_sql}, {ns}, {ds}), '{}', NULL)",
                        type_name(&ty)
                    ),
                    ty,
                ))
            }
            ("DATEDIFF", [a, b]) => {
                let (a, _) = self.expr(a, scope)?;
                let (b, _) = self.expr(b, scope)?;
                Ok((format!("tsql_datediff({part_sql}, {a}, {b})"), SqlType::Int))
            }
            _ => Err(self.err(unsupported(
                &format!("{name} with these arguments"),
                self.line,
            ))),
        }
    }

    fn function(
        &mut self,
        name: &str,
        args: &[Expr],
        star: bool,
        scope: &Scope,
    ) -> TResult<(String, SqlType)> {
        let arity = |n: usize| -> TResult<()> {
            if args.len() == n && !star {
                Ok(())
            } else {
                Err(self.err(ServerMessage::error(
                    174,
                    format!(
                        "The {} function requires {n} argument(s).",
                        name.to_ascii_lowercase()
                    ),
                )))
            }
        };
        if let Some((ty, _)) = self.env.special(name) {
            arity(0)?;
            return Ok((self.bind(ParamRef::Special(name.to_string())), ty));
        }
        match name {
            "SYSUTCDATETIME" | "SYSDATETIME" => {
                arity(0)?;
                Ok(("tsql_now()".into(), SqlType::DateTime2(7)))
            }
            "GETUTCDATE" | "GETDATE" | "CURRENT_TIMESTAMP" => {
                arity(0)?;
                Ok((
                    "tsql_conv(tsql_now(), 'datetime', NULL)".into(),
                    SqlType::DateTime,
                ))
            }
            "NEWID" => {
                arity(0)?;
                Ok(("tsql_newid()".into(), SqlType::UniqueIdentifier))
            }
            "COUNT" | "COUNT_BIG" => {
                let ty = if name == "COUNT" {
                    SqlType::Int
                } else {
                    SqlType::BigInt
                };
                if star {
                    return Ok(("COUNT(*)".into(), ty));
                }
                arity(1)?;
                let (s, _) = self.expr(&args[0], scope)?;
                Ok((format!("COUNT({s})"), ty))
            }
            "MIN" | "MAX" | "SUM" | "AVG" => {
                arity(1)?;
                let (s, t) = self.expr(&args[0], scope)?;
                let ty = match name {
                    "SUM" | "AVG" if is_integer(&t) => {
                        if t == SqlType::BigInt {
                            SqlType::BigInt
                        } else {
                            SqlType::Int
                        }
                    }
                    _ => t,
                };
                let f = if name == "AVG" && is_integer(&ty) {
                    format!("CAST(AVG({s}) AS INTEGER)")
                } else {
                    format!("{name}({})", collated(s, &ty))
                };
                Ok((f, ty))
            }
            "ISNULL" => {
                arity(2)?;
                let (a, at) = self.expr(&args[0], scope)?;
                let (b, bt) = self.expr(&args[1], scope)?;
                let b = self.convert(b, &bt, &at, None);
                Ok((format!("coalesce({a}, {b})"), at))
            }
            "COALESCE" => {
                if args.len() < 2 {
                    return Err(self.err(ServerMessage::error(
                        174,
                        "The coalesce function requires 2 argument(s).",
                    )));
                }
                let mut parts = Vec::new();
                let mut ty = None;
                for a in args {
                    let (s, t) = self.expr(a, scope)?;
                    if !matches!(a, Expr::Literal(Value::Null)) {
                        ty = Some(self.wider(ty, t));
                    }
                    parts.push(s);
                }
                Ok((
                    format!("coalesce({})", parts.join(", ")),
                    ty.unwrap_or(SqlType::Int),
                ))
            }
            "NULLIF" => {
                arity(2)?;
                let (a, at) = self.expr(&args[0], scope)?;
                let (b, bt) = self.expr(&args[1], scope)?;
                let eq = self.comparison("=", a.clone(), at.clone(), b, bt);
                Ok((format!("(CASE WHEN {eq} THEN NULL ELSE {a} END)"), at))
            }
            "LEN" => {
                arity(1)?;
                let (s, _) = self.expr(&args[0], scope)?;
                Ok((format!("tsql_len({s})"), SqlType::Int))
            }
            "UPPER" | "LOWER" => {
                arity(1)?;
                let (s, t) = self.expr(&args[0], scope)?;
                let t = if is_string(&t) {
                    t
                } else {
                    SqlType::NVarChar(Some(30))
                };
                Ok((format!("tsql_{}({s})", name.to_ascii_lowercase()), t))
            }
            "LTRIM" | "RTRIM" | "TRIM" => {
                arity(1)?;
                let (s, t) = self.expr(&args[0], scope)?;
                let f = match name {
                    "LTRIM" => "ltrim",
                    "RTRIM" => "rtrim",
                    _ => "trim",
                };
                Ok((format!("{f}({s}, ' ')"), t))
            }
            "ABS" => {
                arity(1)?;
                let (s, t) = self.expr(&args[0], scope)?;
                Ok((format!("abs({s})"), t))
            }
            "OBJECT_ID" => {
                let names: Vec<Option<String>> = args
                    .iter()
                    .map(|a| match a {
                        Expr::Literal(Value::Str(s)) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                let (Some(Some(obj)), kind) = (names.first(), names.get(1).cloned().flatten())
                else {
                    return Err(
                        self.err(unsupported("OBJECT_ID with a non-literal name", self.line))
                    );
                };
                let obj = obj
                    .rsplit('.')
                    .next()
                    .unwrap_or(obj)
                    .trim_matches(|c| c == '[' || c == ']');
                let id = self.catalog.object_id(obj, kind.as_deref());
                Ok((
                    literal_sql(&id.map(Value::Int).unwrap_or(Value::Null)),
                    SqlType::Int,
                ))
            }
            _ => Err(self.err(ServerMessage::error(
                195,
                format!("'{name}' is not a recognized built-in function name."),
            ))),
        }
    }

    /// Adds the FROM sources to `scope` and returns the FROM clause.
    fn source(&mut self, t: &TableRef, scope: &mut Scope) -> TResult<String> {
        match t {
            TableRef::Table { name, alias } => {
                let info = self.table(name)?;
                let a = alias.clone().unwrap_or_else(|| info.name.clone());
                if scope
                    .sources
                    .iter()
                    .any(|s| s.alias.eq_ignore_ascii_case(&a))
                {
                    return Err(self.err(ServerMessage::error(
                        1011,
                        format!("The correlation name '{a}' is specified multiple times in a FROM clause."),
                    )));
                }
                scope.sources.push(Source {
                    alias: a.clone(),
                    table: alias.is_none().then(|| info.name.clone()),
                    columns: info
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
                        .collect(),
                });
                Ok(format!("{} AS {}", quote(&info.name), quote(&a)))
            }
            TableRef::Derived { query, alias } => {
                let sub = self.query(query, scope.parent)?;
                scope.sources.push(Source {
                    alias: alias.clone(),
                    table: None,
                    columns: sub
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
                        .collect(),
                });
                Ok(format!("({}) AS {}", sub.sql, quote(alias)))
            }
            TableRef::Values {
                rows,
                alias,
                columns,
            } => self.table_value_constructor(rows, alias, columns, scope),
            TableRef::OpenJson { json, alias } => {
                let (j, _) = self.expr(json, scope)?;
                let a = alias.clone().unwrap_or_else(|| "OPENJSON".into());
                scope.sources.push(Source {
                    alias: a.clone(),
                    table: None,
                    columns: vec![
                        ("key".into(), SqlType::NVarChar(Some(4000)), false),
                        ("value".into(), SqlType::NVarChar(None), true),
                        ("type".into(), SqlType::TinyInt, false),
                    ],
                });
                Ok(format!(
                    "(SELECT key AS \"key\", CASE WHEN type IN ('true', 'false') THEN type ELSE value END AS \"value\", \
                     CASE type WHEN 'null' THEN 0 WHEN 'text' THEN 1 WHEN 'integer' THEN 2 WHEN 'real' THEN 2 \
                     WHEN 'true' THEN 3 WHEN 'false' THEN 3 WHEN 'array' THEN 4 ELSE 5 END AS \"type\" FROM json_each({j})) AS {}",
                    quote(&a)
                ))
            }
            TableRef::Join {
                kind,
                left,
                right,
                on,
            } => {
                let l = self.source(left, scope)?;
                let r = self.source(right, scope)?;
                let k = match kind {
                    JoinKind::Inner => "JOIN",
                    JoinKind::Left => "LEFT JOIN",
                    JoinKind::Cross => "CROSS JOIN",
                };
                match on {
                    Some(on) => {
                        let (c, _) = self.expr(on, scope)?;
                        Ok(format!("{l} {k} {r} ON {c}"))
                    }
                    None => Ok(format!("{l} {k} {r}")),
                }
            }
        }
    }

    /// `(VALUES ...) AS alias (columns)` as a source: each column's type is the one all its
    /// rows fit in (NULLs aside), as in UNION ALL. Rows that mix kinds of type (text and
    /// numbers, say), which SQL Server converts and may fail on, are refused.
    fn table_value_constructor(
        &mut self,
        rows: &[Vec<Expr>],
        alias: &str,
        columns: &[String],
        scope: &mut Scope,
    ) -> TResult<String> {
        let width = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != width) {
            return Err(self.err(ServerMessage::error(
                10709,
                "The number of columns for each row in a table value constructor must be the same.",
            )));
        }
        if columns.len() != width {
            let (number, text) = match columns.len() {
                0 => (
                    8155,
                    format!("No column name was specified for column 1 of '{alias}'."),
                ),
                n if n < width => (
                    8158,
                    format!("'{alias}' has more columns than were specified in the column list."),
                ),
                _ => (
                    8159,
                    format!("'{alias}' has fewer columns than were specified in the column list."),
                ),
            };
            return Err(self.err(ServerMessage::error(number, text)));
        }
        if let Some(twice) = columns
            .iter()
            .enumerate()
            .find(|(i, c)| columns[..*i].iter().any(|d| d.eq_ignore_ascii_case(c)))
        {
            return Err(self.err(ServerMessage::error(
                8156,
                format!(
                    "The column '{}' was specified multiple times for '{alias}'.",
                    twice.1
                ),
            )));
        }
        let mut cells = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cell = Vec::with_capacity(width);
            for e in row {
                cell.push((self.table_value(e, scope)?, classify_cell(e)));
            }
            cells.push(cell);
        }
        let mut types = Vec::with_capacity(width);
        for (i, name) in columns.iter().enumerate() {
            let mut ty: Option<SqlType> = None;
            for ((_, t), cell) in cells.iter().map(|row| &row[i]) {
                if *cell == Cell::Null {
                    continue;
                }
                if let Some(have) = &ty {
                    if kind_of_type(have) != kind_of_type(t) {
                        return Err(self.err(unsupported(
                            &format!(
                                "a table value constructor whose column '{name}' mixes {} and {} rows",
                                type_name(have),
                                type_name(t)
                            ),
                            self.line,
                        )));
                    }
                }
                ty = Some(self.wider(ty, t.clone()));
            }
            let nullable = cells.iter().any(|row| row[i].1 != Cell::NotNull);
            types.push((ty.unwrap_or(SqlType::Int), nullable));
        }
        let sql_rows: Vec<String> = cells
            .into_iter()
            .map(|row| {
                let vs: Vec<String> = row
                    .into_iter()
                    .zip(&types)
                    .map(|(((s, t), _), (ty, _))| self.coerce_to(s, &t, ty))
                    .collect();
                format!("({})", vs.join(", "))
            })
            .collect();
        let select: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("column{} AS {}", i + 1, quote(c)))
            .collect();
        scope.sources.push(Source {
            alias: alias.to_string(),
            table: None,
            columns: columns
                .iter()
                .zip(types)
                .map(|(c, (ty, nullable))| (c.clone(), ty, nullable))
                .collect(),
        });
        Ok(format!(
            "(SELECT {} FROM (VALUES {})) AS {}",
            select.join(", "),
            sql_rows.join(", "),
            quote(alias)
        ))
    }

    /// One cell of a table value constructor: constants, variables and functions. SQL
    /// Server also lets a correlated subquery's rows name the enclosing query's columns
    /// (`FROM (VALUES (t.a), (t.b))`), which SQLite cannot run: refused by name.
    fn table_value(&mut self, e: &Expr, scope: &Scope) -> TResult<(String, SqlType)> {
        let unbound = match self.expr(e, &Scope::empty()) {
            Ok(cell) => return Ok(cell),
            Err(unbound) => unbound,
        };
        match scope.parent {
            Some(outer) if self.expr(e, outer).is_ok() => Err(self.err(unsupported(
                "a table value constructor whose rows name an enclosing query's columns",
                self.line,
            ))),
            _ => Err(unbound),
        }
    }

    pub fn query(&mut self, q: &Query, parent: Option<&Scope>) -> TResult<Translated> {
        let s = &q.select;
        let empty = Scope::empty();
        let parent_scope: &Scope = parent.unwrap_or(&empty);
        // The sources of a subquery see the outer query's columns.
        let mut scope = Scope::child(parent_scope);
        let mut from = Vec::new();
        for t in &s.from {
            from.push(self.source(t, &mut scope)?);
        }
        let mut items = Vec::new();
        let mut columns = Vec::new();
        for item in &s.items {
            match item {
                SelectItem::Wildcard(q) => {
                    let mut any = false;
                    for src in &scope.sources {
                        if q.as_ref().is_some_and(|q| {
                            !src.alias.eq_ignore_ascii_case(q)
                                && !src
                                    .table
                                    .as_deref()
                                    .is_some_and(|t| t.eq_ignore_ascii_case(q))
                        }) {
                            continue;
                        }
                        any = true;
                        for (c, ty, nullable) in &src.columns {
                            items.push(format!(
                                "{}.{} AS {}",
                                quote(&src.alias),
                                quote(c),
                                quote(c)
                            ));
                            columns.push(col(c, ty.clone(), *nullable));
                        }
                    }
                    if !any {
                        return Err(self.err(if s.from.is_empty() {
                            ServerMessage::error(263, "Must specify table to select from.")
                        } else {
                            ServerMessage::error(
                                4104,
                                format!(
                                    "The multi-part identifier \"{}\" could not be bound.",
                                    q.clone().unwrap_or_default()
                                ),
                            )
                        }));
                    }
                }
                SelectItem::Expr { expr, alias } => {
                    let (sql, ty) = self.expr(expr, &scope)?;
                    let nullable = match expr {
                        Expr::Column { qualifier, name } => {
                            self.column_nullable(qualifier.as_deref(), name, &scope)
                        }
                        Expr::Func { name, .. } if name == "COUNT" || name == "COUNT_BIG" => false,
                        _ => true,
                    };
                    let name = alias.clone().unwrap_or_else(|| match expr {
                        Expr::Column { name, .. } => name.clone(),
                        _ => String::new(),
                    });
                    let sql = if s.distinct { collated(sql, &ty) } else { sql };
                    items.push(format!(
                        "{sql} AS {}",
                        quote(&output_name(&name, columns.len()))
                    ));
                    columns.push(col(&name, ty, nullable));
                }
                SelectItem::Assign { var, expr } => {
                    let (sql, ty) = self.expr(expr, &scope)?;
                    items.push(sql);
                    columns.push(col(var, ty, true));
                }
            }
        }
        let assigns = s
            .items
            .iter()
            .filter(|i| matches!(i, SelectItem::Assign { .. }))
            .count();
        if assigns > 0 && assigns != s.items.len() {
            return Err(self.err(ServerMessage::error(
                141,
                "A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.",
            )));
        }
        scope.output = columns
            .iter()
            .filter(|c| !c.name.is_empty())
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect();
        let mut sql = format!(
            "SELECT {}{}",
            if s.distinct { "DISTINCT " } else { "" },
            items.join(", ")
        );
        if !from.is_empty() {
            sql.push_str(&format!(" FROM {}", from.join(", ")));
        }
        if let Some(f) = &s.filter {
            let (w, _) = self.expr(f, &scope)?;
            sql.push_str(&format!(" WHERE {w}"));
        }
        if !s.group_by.is_empty() {
            let mut g = Vec::new();
            for e in &s.group_by {
                let (gs, gt) = self.expr(e, &scope)?;
                g.push(collated(gs, &gt));
            }
            sql.push_str(&format!(" GROUP BY {}", g.join(", ")));
        }
        if let Some(h) = &s.having {
            let (hs, _) = self.expr(h, &scope)?;
            sql.push_str(&format!(" HAVING {hs}"));
        }
        if !q.order_by.is_empty() {
            let mut o = Vec::new();
            for (e, desc) in &q.order_by {
                let es = match e {
                    Expr::Literal(Value::Int(i)) if *i >= 1 && (*i as usize) <= columns.len() => {
                        i.to_string()
                    }
                    _ => {
                        let (es, et) = self.expr(e, &scope)?;
                        collated(es, &et)
                    }
                };
                o.push(format!("{es}{}", if *desc { " DESC" } else { "" }));
            }
            sql.push_str(&format!(" ORDER BY {}", o.join(", ")));
        }
        match (&s.top, &q.offset) {
            (Some(_), Some(_)) => {
                return Err(self.err(ServerMessage::error(
                    10741,
                    "A TOP can not be used in the same query or sub-query as a OFFSET.",
                )))
            }
            (Some(top), None) => {
                let (t, _) = self.expr(top, &scope)?;
                sql.push_str(&format!(" LIMIT tsql_rows({t}, 'TOP')"));
            }
            (None, Some((off, fetch))) => {
                if q.order_by.is_empty() {
                    return Err(
                        self.err(ServerMessage::error(102, "Incorrect syntax near 'OFFSET'."))
                    );
                }
                let (o, _) = self.expr(off, &scope)?;
                let f = match fetch {
                    Some(f) => format!("tsql_rows({}, 'FETCH')", self.expr(f, &scope)?.0),
                    None => "-1".into(),
                };
                sql.push_str(&format!(" LIMIT {f} OFFSET tsql_rows({o}, 'OFFSET')"));
            }
            (None, None) => {}
        }
        Ok(Translated { sql, columns })
    }

    fn column_nullable(&self, qualifier: Option<&str>, name: &str, scope: &Scope) -> bool {
        scope
            .sources
            .iter()
            .filter(|s| qualifier.is_none_or(|q| s.alias.eq_ignore_ascii_case(q)))
            .find_map(|s| {
                s.columns
                    .iter()
                    .find(|(c, _, _)| c.eq_ignore_ascii_case(name))
                    .map(|(_, _, n)| *n)
            })
            .unwrap_or(true)
    }

    /// A scope holding one table under its own name, for INSERT/UPDATE/DELETE.
    fn table_scope(info: &TableInfo, alias: &str) -> Scope<'static> {
        Scope {
            sources: vec![Source {
                alias: alias.to_string(),
                table: Some(info.name.clone()),
                columns: info
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
                    .collect(),
            }],
            parent: None,
            output: vec![],
        }
    }

    /// RETURNING for OUTPUT inserted.* / deleted.*.
    fn returning(
        &mut self,
        items: &[SelectItem],
        info: &TableInfo,
        allowed: &[&str],
    ) -> TResult<(String, Vec<Column>)> {
        if items.is_empty() {
            return Ok((String::new(), vec![]));
        }
        let mut scope = Scope::empty();
        for a in allowed {
            scope.sources.extend(Self::table_scope(info, a).sources);
        }
        let mut out = Vec::new();
        let mut columns = Vec::new();
        for item in items {
            match item {
                SelectItem::Wildcard(Some(q))
                    if allowed.iter().any(|a| a.eq_ignore_ascii_case(q)) =>
                {
                    for c in &info.columns {
                        out.push(quote(&c.name));
                        columns.push(col(&c.name, c.ty.clone(), c.nullable));
                    }
                }
                SelectItem::Expr { expr, alias } => {
                    let (sql, ty) = self.expr(expr, &scope)?;
                    // RETURNING names the table's columns without a qualifier.
                    let sql = allowed
                        .iter()
                        .fold(sql, |s, a| s.replace(&format!("{}.", quote(a)), ""));
                    let name = alias.clone().unwrap_or_else(|| match expr {
                        Expr::Column { name, .. } => name.clone(),
                        _ => String::new(),
                    });
                    out.push(sql);
                    columns.push(col(&name, ty, true));
                }
                _ => return Err(self.err(unsupported("this OUTPUT clause", self.line))),
            }
        }
        Ok((format!(" RETURNING {}", out.join(", ")), columns))
    }

    pub fn insert(&mut self, ins: &Insert) -> TResult<Translated> {
        let info = self.table(&ins.table)?;
        let names: Vec<String> = if ins.columns.is_empty() {
            info.columns
                .iter()
                .filter(|c| !c.identity)
                .map(|c| c.name.clone())
                .collect()
        } else {
            ins.columns.clone()
        };
        let mut targets = Vec::new();
        for n in &names {
            let c = info.column(n).ok_or_else(|| {
                self.err(ServerMessage::error(
                    207,
                    format!("Invalid column name '{n}'."),
                ))
            })?;
            if c.identity {
                return Err(self.err(ServerMessage::error(
                    544,
                    format!("Cannot insert explicit value for identity column in table '{}' when IDENTITY_INSERT is set to OFF.", info.name),
                )));
            }
            targets.push(c.clone());
        }
        let (ret, columns) = self.returning(&ins.output, &info, &["inserted"])?;
        let cols_sql = targets
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let strict = |c: &super::catalog::ColumnInfo| format!("{}.{}", info.name, c.name);
        let body = match &ins.source {
            InsertSource::DefaultValues => "DEFAULT VALUES".to_string(),
            InsertSource::Values(rows) => {
                let mut rs = Vec::new();
                let scope = Scope::empty();
                for row in rows {
                    if row.len() != targets.len() {
                        let (number, columns) = if row.len() > targets.len() {
                            (110, "fewer")
                        } else {
                            (109, "more")
                        };
                        return Err(self.err(ServerMessage::error(
                            number,
                            format!("There are {columns} columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement."),
                        )));
                    }
                    let mut vs = Vec::new();
                    for (e, c) in row.iter().zip(&targets) {
                        let (s, t) = self.expr(e, &scope)?;
                        vs.push(self.convert(s, &t, &c.ty, Some(&strict(c))));
                    }
                    rs.push(format!("({})", vs.join(", ")));
                }
                format!("VALUES {}", rs.join(", "))
            }
            InsertSource::Query(q) => {
                let sub = self.query(q, None)?;
                if sub.columns.len() != targets.len() {
                    return Err(self.err(ServerMessage::error(
                        120,
                        "The select list for the INSERT statement contains fewer items than the insert list. The number of SELECT values must match the number of INSERT columns.",
                    )));
                }
                let conv: Vec<String> = sub
                    .columns
                    .iter()
                    .zip(&targets)
                    .enumerate()
                    .map(|(i, (sc, c))| {
                        self.convert(
                            format!("s.{}", quote(&output_name(&sc.name, i))),
                            &sc.ty,
                            &c.ty,
                            Some(&strict(c)),
                        )
                    })
                    .collect();
                // WHERE true keeps SQLite from reading a following ON as an upsert clause.
                format!(
                    "SELECT {} FROM ({}) AS s WHERE true",
                    conv.join(", "),
                    sub.sql
                )
            }
        };
        let sql = if matches!(ins.source, InsertSource::DefaultValues) {
            format!("INSERT INTO {} DEFAULT VALUES{ret}", quote(&info.name))
        } else {
            format!("INSERT INTO {} ({cols_sql}) {body}{ret}", quote(&info.name))
        };
        Ok(Translated { sql, columns })
    }

    pub fn update(&mut self, u: &Update) -> TResult<Translated> {
        let info = self.table(&u.table)?;
        let scope = Self::table_scope(&info, &info.name);
        let mut sets = Vec::new();
        for (c, e) in &u.sets {
            let column = info
                .column(c)
                .ok_or_else(|| {
                    self.err(ServerMessage::error(
                        207,
                        format!("Invalid column name '{c}'."),
                    ))
                })?
                .clone();
            if column.identity {
                return Err(self.err(ServerMessage::error(
                    8102,
                    format!("Cannot update identity column '{}'.", column.name),
                )));
            }
            let (s, t) = self.expr(e, &scope)?;
            sets.push(format!(
                "{} = {}",
                quote(&column.name),
                self.convert(
                    s,
                    &t,
                    &column.ty,
                    Some(&format!("{}.{}", info.name, column.name))
                )
            ));
        }
        let filter = match &u.filter {
            Some(f) => format!(" WHERE {}", self.expr(f, &scope)?.0),
            None => String::new(),
        };
        let (ret, columns) = self.returning(&u.output, &info, &["inserted"])?;
        let sql = format!(
            "UPDATE {} AS {} SET {}{filter}{ret}",
            quote(&info.name),
            quote(&info.name),
            sets.join(", ")
        );
        Ok(Translated { sql, columns })
    }

    pub fn delete(&mut self, d: &Delete) -> TResult<Translated> {
        let info = self.table(&d.table)?;
        let scope = Self::table_scope(&info, &info.name);
        let filter = match &d.filter {
            Some(f) => format!(" WHERE {}", self.expr(f, &scope)?.0),
            None => String::new(),
        };
        let (ret, columns) = self.returning(&d.output, &info, &["deleted"])?;
        Ok(Translated {
            sql: format!(
                "DELETE FROM {} AS {}{filter}{ret}",
                quote(&info.name),
                quote(&info.name)
            ),
            columns,
        })
    }

    /// A condition outside any query (IF, WHILE), as 1 or 0.
    pub fn condition(&mut self, e: &Expr) -> TResult<Translated> {
        let (sql, _) = self.expr(e, &Scope::empty())?;
        Ok(Translated {
            sql: format!("SELECT CASE WHEN {sql} THEN 1 ELSE 0 END"),
            columns: vec![col("", SqlType::Int, false)],
        })
    }

    /// A scalar expression outside any query (`SET @v = ...`, IF, RETURN).
    pub fn scalar(&mut self, e: &Expr) -> TResult<Translated> {
        let (sql, ty) = self.expr(e, &Scope::empty())?;
        Ok(Translated {
            sql: format!("SELECT {sql}"),
            columns: vec![col("", ty, true)],
        })
    }

    /// The SQLite DDL for CREATE TABLE, and the catalog entry.
    pub fn create_table(&mut self, t: &CreateTable) -> TResult<(String, TableInfo)> {
        if self.catalog.table(&t.name).is_some() {
            return Err(self.err(ServerMessage::error(
                2714,
                format!(
                    "There is already an object named '{}' in the database.",
                    t.name
                ),
            )));
        }
        if let Some(c) = t
            .columns
            .iter()
            .find(|c| matches!(c.ty, SqlType::Decimal { .. }))
        {
            return Err(self.err(unsupported(
                &format!(
                    "the decimal column '{}' (SQLite would keep it as a float and lose precision)",
                    c.name
                ),
                self.line,
            )));
        }
        let mut info = TableInfo {
            name: t.name.clone(),
            columns: vec![],
            unique_keys: vec![],
        };
        for c in &t.columns {
            info.columns.push(super::catalog::ColumnInfo {
                name: c.name.clone(),
                ty: c.ty.clone(),
                nullable: c.nullable,
                identity: c.identity,
            });
        }
        let mut constraints: Vec<&TableConstraint> = t.constraints.iter().collect();
        for c in &t.columns {
            constraints.extend(c.constraints.iter());
        }
        let pk: Option<Vec<String>> = constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::PrimaryKey(cols) => Some(cols.clone()),
            _ => None,
        });
        if let Some(id) = t.columns.iter().find(|c| c.identity) {
            if pk
                .as_ref()
                .is_none_or(|p| p.len() != 1 || !p[0].eq_ignore_ascii_case(&id.name))
                || !is_integer(&id.ty)
            {
                return Err(self.err(unsupported(
                    "IDENTITY on a column that is not the whole integer PRIMARY KEY",
                    self.line,
                )));
            }
        }
        let scope = Self::table_scope(&info, &info.name);
        let mut defs = Vec::new();
        for c in &t.columns {
            let affinity = match &c.ty {
                t if is_integer(t) => "INTEGER",
                SqlType::Float => "REAL",
                SqlType::Decimal { .. } => "REAL",
                SqlType::VarBinary(_) => "BLOB",
                _ => "TEXT",
            };
            let mut d = format!("{} {affinity}", quote(&c.name));
            if c.identity {
                d.push_str(" PRIMARY KEY AUTOINCREMENT");
            }
            if is_string(&c.ty) {
                d.push_str(&format!(" COLLATE {COLLATION}"));
            }
            if !c.nullable {
                d.push_str(" NOT NULL");
            }
            if let Some(def) = &c.default {
                let (s, ty) = self.expr(def, &Scope::empty())?;
                d.push_str(&format!(" DEFAULT ({})", self.convert(s, &ty, &c.ty, None)));
            }
            defs.push(d);
        }
        let mut unnamed = 0;
        let mut name_of = |c: &TableConstraint, prefix: &str| {
            c.name.clone().unwrap_or_else(|| {
                unnamed += 1;
                format!("{prefix}__{}__{unnamed}", t.name)
            })
        };
        for c in &constraints {
            match &c.kind {
                ConstraintKind::PrimaryKey(cols) | ConstraintKind::Unique(cols) => {
                    let primary = matches!(c.kind, ConstraintKind::PrimaryKey(_));
                    let (prefix, sqlite, kind) = if primary {
                        ("PK", "PRIMARY KEY", "PRIMARY KEY")
                    } else {
                        ("UQ", "UNIQUE", "UNIQUE KEY")
                    };
                    let name = name_of(c, prefix);
                    if !primary {
                        refuse_nullable_unique(&info, cols, self.line)?;
                    }
                    // The identity primary key is SQLite's INTEGER PRIMARY KEY, declared on the column.
                    let identity_pk = primary
                        && cols.len() == 1
                        && t.columns
                            .iter()
                            .any(|x| x.identity && x.name.eq_ignore_ascii_case(&cols[0]));
                    if !identity_pk {
                        defs.push(format!(
                            "CONSTRAINT {} {sqlite} ({})",
                            quote(&name),
                            cols.iter().map(|x| quote(x)).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    info.unique_keys.push(super::catalog::UniqueKey {
                        name,
                        columns: cols.clone(),
                        constraint: Some(kind),
                    });
                }
                ConstraintKind::Check(e) => {
                    let name = name_of(c, "CK");
                    let (s, _) = self.expr(e, &scope)?;
                    let s = s.replace(&format!("{}.", quote(&info.name)), "");
                    defs.push(format!("CONSTRAINT {} CHECK ({s})", quote(&name)));
                }
                ConstraintKind::ForeignKey {
                    columns,
                    table,
                    ref_columns,
                } => {
                    let name = name_of(c, "FK");
                    let target = self.table(table)?;
                    let refs = if ref_columns.is_empty() {
                        target
                            .unique_keys
                            .iter()
                            .find(|k| k.constraint == Some("PRIMARY KEY"))
                            .map(|k| k.columns.clone())
                            .unwrap_or_default()
                    } else {
                        ref_columns.clone()
                    };
                    defs.push(format!(
                        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
                        quote(&name),
                        columns
                            .iter()
                            .map(|x| quote(x))
                            .collect::<Vec<_>>()
                            .join(", "),
                        quote(&target.name),
                        refs.iter().map(|x| quote(x)).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        Ok((
            format!("CREATE TABLE {} ({})", quote(&t.name), defs.join(", ")),
            info,
        ))
    }

    pub fn create_index(&mut self, ix: &CreateIndex) -> TResult<(String, TableInfo)> {
        let info = self.table(&ix.table)?;
        for (c, _) in &ix.columns {
            if info.column(c).is_none() {
                return Err(self.err(ServerMessage::error(
                    1911,
                    format!("Column name '{c}' does not exist in the target table or view."),
                )));
            }
        }
        if ix.unique {
            // Key columns the filter keeps NULLs out of may be nullable.
            let cols: Vec<String> = ix
                .columns
                .iter()
                .map(|(c, _)| c.clone())
                .filter(|c| !ix.filter.as_ref().is_some_and(|f| excludes_null(f, c)))
                .collect();
            refuse_nullable_unique(&info, &cols, self.line)?;
        }
        let scope = Self::table_scope(&info, &info.name);
        let filter = match &ix.filter {
            Some(f) => {
                let (s, _) = self.expr(f, &scope)?;
                format!(
                    " WHERE {}",
                    s.replace(&format!("{}.", quote(&info.name)), "")
                )
            }
            None => String::new(),
        };
        let cols = ix
            .columns
            .iter()
            .map(|(c, d)| format!("{}{}", quote(c), if *d { " DESC" } else { "" }))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "CREATE {}INDEX {} ON {} ({cols}){filter}",
            if ix.unique { "UNIQUE " } else { "" },
            quote(&ix.name),
            quote(&info.name)
        );
        let mut updated = (*info).clone();
        if ix.unique {
            updated.unique_keys.push(super::catalog::UniqueKey {
                name: ix.name.clone(),
                columns: ix.columns.iter().map(|(c, _)| c.clone()).collect(),
                constraint: None,
            });
        }
        Ok((sql, updated))
    }
}

/// SQL Server lets a unique key hold one NULL; SQLite lets it hold any number.
/// Rather than answer differently, refuse unless a filter excludes the NULLs.
fn refuse_nullable_unique(info: &TableInfo, cols: &[String], line: i32) -> TResult<()> {
    match cols.iter().find(|c| info.column(c).is_some_and(|c| c.nullable)) {
        Some(c) => Err(unsupported(
            &format!("a unique key on the nullable column '{c}' (make it NOT NULL, or use a unique index filtered WHERE {c} IS NOT NULL)"),
            line,
        )),
        None => Ok(()),
    }
}

/// `lhs [NOT] IN (items)`, comparing strings case-insensitively.
fn in_sql(lhs: String, ty: &SqlType, items: &str, negated: bool) -> String {
    format!(
        "({} {}IN ({items}))",
        collated(lhs, ty),
        if negated { "NOT " } else { "" }
    )
}

/// A string expression sorted, grouped and compared the way SQL Server's
/// case-insensitive collation does (a column carries it; an expression does not).
fn collated(sql: String, ty: &SqlType) -> String {
    if is_string(ty) {
        format!("{sql} COLLATE {COLLATION}")
    } else {
        sql
    }
}

/// Whether `filter` is, or ANDs in, `column IS NOT NULL`.
fn excludes_null(filter: &Expr, column: &str) -> bool {
    match filter {
        Expr::IsNull {
            expr,
            negated: true,
        } => {
            matches!(expr.as_ref(), Expr::Column { name, .. } if name.eq_ignore_ascii_case(column))
        }
        Expr::Binary(BinOp::And, l, r) => excludes_null(l, column) || excludes_null(r, column),
        _ => false,
    }
}

fn scope_has_alias(scope: &Scope, q: &str) -> bool {
    let mut s = Some(scope);
    while let Some(sc) = s {
        if sc.sources.iter().any(|x| {
            x.alias.eq_ignore_ascii_case(q)
                || x.table
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(q))
        }) {
            return true;
        }
        s = sc.parent;
    }
    false
}

/// The SQLite name of a select-list column (unnamed ones get `c<index>`).
fn output_name(name: &str, index: usize) -> String {
    if name.is_empty() {
        format!("c{index}")
    } else {
        name.to_string()
    }
}
