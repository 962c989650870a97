//! SQL Server semantics SQLite lacks, registered as SQLite functions and a
//! collation: case-insensitive, trailing-space-blind comparison; CAST with
//! SQL Server's errors; date arithmetic; LEN; Unicode UPPER/LOWER.

use std::cmp::Ordering;

use chrono::{Datelike, Duration, Months, NaiveDateTime, Timelike, Utc};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as Lite, ValueRef};
use rusqlite::Connection;

use super::parser::parse_type_name;
use super::value::{convert, format_datetime, parse_datetime, to_lite};
use crate::types::{ServerMessage, SqlType, Value};

/// The collation every character column and comparison uses
/// (SQL_Latin1_General_CP1_CI_AS: case-insensitive, trailing spaces ignored).
pub const COLLATION: &str = "TSQL_CI";

/// Marks a SQLite error message that carries a SQL Server error.
const TAG: &str = "TSQL|";

pub fn tsql_error(number: i32, message: &str) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(format!("{TAG}{number}|{message}").into())
}

/// Recovers the SQL Server error a function raised from SQLite's message.
pub fn decode_error(message: &str) -> Option<ServerMessage> {
    let rest = &message[message.find(TAG)? + TAG.len()..];
    let (number, text) = rest.split_once('|')?;
    Some(ServerMessage::error(number.parse().ok()?, text.to_string()))
}

pub fn compare_ci(a: &str, b: &str) -> Ordering {
    let a = a.trim_end_matches(' ');
    let b = b.trim_end_matches(' ');
    // Index searches compare names all the time; most are ASCII.
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// One element of a LIKE pattern.
enum LikeToken {
    AnyRun,
    AnyOne,
    Char(char),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

fn like_tokens(pattern: &[char]) -> Vec<LikeToken> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        i += 1;
        match c {
            '%' => out.push(LikeToken::AnyRun),
            '_' => out.push(LikeToken::AnyOne),
            '[' => match pattern[i..].iter().position(|&x| x == ']') {
                // `[]` or an unclosed `[` is the character itself.
                Some(len) if len > 0 => {
                    let mut body = &pattern[i..i + len];
                    i += len + 1;
                    let negated = body.first() == Some(&'^') && body.len() > 1;
                    if negated {
                        body = &body[1..];
                    }
                    let mut ranges = Vec::new();
                    let mut k = 0;
                    while k < body.len() {
                        if k + 2 < body.len() && body[k + 1] == '-' {
                            ranges.push((body[k], body[k + 2]));
                            k += 3;
                        } else {
                            ranges.push((body[k], body[k]));
                            k += 1;
                        }
                    }
                    out.push(LikeToken::Class { negated, ranges });
                }
                _ => out.push(LikeToken::Char('[')),
            },
            c => out.push(LikeToken::Char(c)),
        }
    }
    out
}

fn like_one(token: &LikeToken, c: char) -> bool {
    match token {
        LikeToken::AnyOne => true,
        LikeToken::Char(p) => *p == c,
        LikeToken::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
        LikeToken::AnyRun => false,
    }
}

/// T-SQL LIKE under a case-insensitive collation: `%`, `_`, `[abc]`,
/// `[a-f]`, `[^x]`. Trailing spaces count, as they do for nvarchar.
pub fn like(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let v: Vec<char> = value.chars().flat_map(char::to_lowercase).collect();
    let tokens = like_tokens(&p);
    // Greedy matching that backtracks to the last `%`.
    let (mut t, mut i) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while i < v.len() {
        if t < tokens.len() && !matches!(tokens[t], LikeToken::AnyRun) && like_one(&tokens[t], v[i])
        {
            t += 1;
            i += 1;
        } else if t < tokens.len() && matches!(tokens[t], LikeToken::AnyRun) {
            resume = Some((t, i));
            t += 1;
        } else if let Some((rt, ri)) = resume {
            t = rt + 1;
            i = ri + 1;
            resume = Some((rt, ri + 1));
        } else {
            return false;
        }
    }
    tokens[t..].iter().all(|x| matches!(x, LikeToken::AnyRun))
}

/// A stored date/time as text, the way SQL Server converts `ty` with `style`
/// (0 = CAST's default, 120, 121, 126, 127).
pub fn datetime_text(d: NaiveDateTime, ty: &SqlType, style: u16) -> String {
    let fraction = |digits: usize| {
        let f = format!("{:09}", d.nanosecond() % 1_000_000_000);
        if digits == 0 {
            String::new()
        } else {
            format!(".{}", &f[..digits])
        }
    };
    let digits = match ty {
        SqlType::DateTime2(s) => *s as usize,
        SqlType::DateTime => 3,
        _ => 0,
    };
    if *ty == SqlType::Date {
        return d.format("%Y-%m-%d").to_string();
    }
    match (style, ty) {
        (0, SqlType::DateTime) => d.format("%b %e %Y %l:%M%p").to_string(),
        (120, _) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        (126 | 127, _) => {
            let f = if d.nanosecond() == 0 {
                String::new()
            } else {
                fraction(digits)
            };
            let zone = if style == 127 { "Z" } else { "" };
            format!("{}{f}{zone}", d.format("%Y-%m-%dT%H:%M:%S"))
        }
        _ => format!("{}{}", d.format("%Y-%m-%d %H:%M:%S"), fraction(digits)),
    }
}

/// UPPER/LOWER change each character on its own, as SQL Server's do: a
/// character whose case mapping is longer than one (ß → SS) stays as it is.
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.remove(0)
            } else {
                c
            }
        })
        .collect()
}

pub fn now_text() -> String {
    format_datetime(&Utc::now().naive_utc())
}

fn text_arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    })
}

fn raw_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Str(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

fn datetime_arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<NaiveDateTime>> {
    match text_arg(ctx, i)? {
        None => Ok(None),
        Some(s) => parse_datetime(&s).map(Some).ok_or_else(|| {
            tsql_error(
                241,
                "Conversion failed when converting date and/or time from character string.",
            )
        }),
    }
}

fn date_part(part: &str) -> rusqlite::Result<&'static str> {
    Ok(match part {
        "year" | "yy" | "yyyy" => "year",
        "quarter" | "qq" | "q" => "quarter",
        "month" | "mm" | "m" => "month",
        "day" | "dd" | "d" | "dayofyear" | "dy" | "y" => "day",
        "week" | "wk" | "ww" => "week",
        "hour" | "hh" => "hour",
        "minute" | "mi" | "n" => "minute",
        "second" | "ss" | "s" => "second",
        "millisecond" | "ms" => "millisecond",
        "microsecond" | "mcs" => "microsecond",
        "nanosecond" | "ns" => "nanosecond",
        other => {
            return Err(tsql_error(
                155,
                &format!("'{other}' is not a recognized dateadd option."),
            ))
        }
    })
}

fn dateadd(part: &str, n: i64, d: NaiveDateTime) -> Option<NaiveDateTime> {
    let months = |m: i64| {
        if m >= 0 {
            d.checked_add_months(Months::new(m as u32))
        } else {
            d.checked_sub_months(Months::new((-m) as u32))
        }
    };
    match part {
        "year" => months(n.checked_mul(12)?),
        "quarter" => months(n.checked_mul(3)?),
        "month" => months(n),
        "week" => d.checked_add_signed(Duration::try_days(n.checked_mul(7)?)?),
        "day" => d.checked_add_signed(Duration::try_days(n)?),
        "hour" => d.checked_add_signed(Duration::try_hours(n)?),
        "minute" => d.checked_add_signed(Duration::try_minutes(n)?),
        "second" => d.checked_add_signed(Duration::try_seconds(n)?),
        "millisecond" => d.checked_add_signed(Duration::try_milliseconds(n)?),
        "microsecond" => d.checked_add_signed(Duration::microseconds(n)),
        _ => d.checked_add_signed(Duration::nanoseconds(n)),
    }
}

/// DATEDIFF counts the boundaries of `part` crossed between the two dates.
fn datediff(part: &str, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
    let months = |d: NaiveDateTime| d.year() as i64 * 12 + d.month0() as i64;
    let trunc = |d: NaiveDateTime, unit: i64| d.and_utc().timestamp().div_euclid(unit);
    match part {
        "year" => (b.year() - a.year()) as i64,
        "quarter" => months(b) / 3 - months(a) / 3,
        "month" => months(b) - months(a),
        "day" => (b.date() - a.date()).num_days(),
        "week" => {
            // Weeks start on Sunday (DATEFIRST 7).
            let sunday = |d: NaiveDateTime| (d.date().num_days_from_ce() as i64).div_euclid(7);
            sunday(b) - sunday(a)
        }
        "hour" => trunc(b, 3600) - trunc(a, 3600),
        "minute" => trunc(b, 60) - trunc(a, 60),
        "second" => trunc(b, 1) - trunc(a, 1),
        "millisecond" => b.and_utc().timestamp_millis() - a.and_utc().timestamp_millis(),
        "microsecond" => b.and_utc().timestamp_micros() - a.and_utc().timestamp_micros(),
        _ => (b - a).num_nanoseconds().unwrap_or(i64::MAX),
    }
}

fn to_sql_err(m: ServerMessage) -> rusqlite::Error {
    tsql_error(m.number, &m.message)
}

pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation(COLLATION, compare_ci)?;
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let volatile = FunctionFlags::SQLITE_UTF8;
    conn.create_scalar_function("tsql_now", 0, volatile, |_| Ok(now_text()))?;
    // `x LIKE y` is like(y, x) to SQLite; its own ignores case for ASCII only and knows no [ ].
    conn.create_scalar_function("like", 2, det, |ctx| {
        Ok(match (text_arg(ctx, 0)?, text_arg(ctx, 1)?) {
            (Some(pattern), Some(value)) => Some(like(&pattern, &value)),
            _ => None,
        })
    })?;
    // tsql_conv(value, type name, strict target or NULL)
    conn.create_scalar_function("tsql_conv", 3, det, |ctx| {
        let ty = parse_type_name(&text_arg(ctx, 1)?.unwrap_or_default()).map_err(to_sql_err)?;
        let target = text_arg(ctx, 2)?;
        let v = raw_value(ctx.get_raw(0));
        let converted = convert(v, &ty, target.as_deref()).map_err(to_sql_err)?;
        Ok(to_lite(&converted))
    })?;
    conn.create_scalar_function("tsql_dateadd", 3, det, |ctx| {
        let part = date_part(&text_arg(ctx, 0)?.unwrap_or_default())?;
        let n: Option<i64> = ctx.get(1)?;
        let (Some(n), Some(d)) = (n, datetime_arg(ctx, 2)?) else {
            return Ok(Lite::Null);
        };
        let out = dateadd(part, n, d)
            .filter(|r| r.year() >= 1 && r.year() <= 9999)
            .ok_or_else(|| {
                tsql_error(
                    517,
                    "Adding a value to a 'datetime2' column caused an overflow.",
                )
            })?;
        Ok(Lite::Text(format_datetime(&out)))
    })?;
    conn.create_scalar_function("tsql_datediff", 3, det, |ctx| {
        let part = date_part(&text_arg(ctx, 0)?.unwrap_or_default())?;
        let (Some(a), Some(b)) = (datetime_arg(ctx, 1)?, datetime_arg(ctx, 2)?) else {
            return Ok(Lite::Null);
        };
        let diff = datediff(part, a, b);
        if diff < i32::MIN as i64 || diff > i32::MAX as i64 {
            return Err(tsql_error(
                535,
                "The datediff function resulted in an overflow. The number of dateparts separating two date/time instances is too large.",
            ));
        }
        Ok(Lite::Integer(diff))
    })?;
    conn.create_scalar_function("tsql_len", 1, det, |ctx| {
        Ok(text_arg(ctx, 0)?.map(|s| s.trim_end_matches(' ').chars().count() as i64))
    })?;
    conn.create_scalar_function("tsql_upper", 1, det, |ctx| {
        Ok(text_arg(ctx, 0)?.map(|s| map_case(&s, true)))
    })?;
    conn.create_scalar_function("tsql_lower", 1, det, |ctx| {
        Ok(text_arg(ctx, 0)?.map(|s| map_case(&s, false)))
    })?;
    conn.create_scalar_function("tsql_datetime_text", 3, det, |ctx| {
        let ty = parse_type_name(&text_arg(ctx, 1)?.unwrap_or_default()).map_err(to_sql_err)?;
        let style: i64 = ctx.get(2)?;
        Ok(datetime_arg(ctx, 0)?.map(|d| datetime_text(d, &ty, style as u16)))
    })?;
    conn.create_scalar_function("tsql_div", 2, det, |ctx| {
        let (a, b) = (ctx.get_raw(0), ctx.get_raw(1));
        Ok(match (a, b) {
            (ValueRef::Null, _) | (_, ValueRef::Null) => Lite::Null,
            (ValueRef::Integer(_), ValueRef::Integer(0)) => {
                return Err(tsql_error(8134, "Divide by zero error encountered."))
            }
            (ValueRef::Integer(x), ValueRef::Integer(y)) => match x.checked_div(y) {
                Some(q) => Lite::Integer(q),
                None => Lite::Real(x as f64 / y as f64),
            },
            (x, y) => {
                let (x, y) = (as_f64(x), as_f64(y));
                if y == 0.0 {
                    return Err(tsql_error(8134, "Divide by zero error encountered."));
                }
                Lite::Real(x / y)
            }
        })
    })?;
    // SQLite turns an i64 overflow into a float; an int result must fit 32 bits.
    conn.create_scalar_function("tsql_checked", 2, det, |ctx| {
        let ty = text_arg(ctx, 1)?.unwrap_or_default();
        let overflow = || {
            tsql_error(
                8115,
                &format!("Arithmetic overflow error converting expression to data type {ty}."),
            )
        };
        match ctx.get_raw(0) {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) if ty == "bigint" || i32::try_from(i).is_ok() => Ok(Some(i)),
            _ => Err(overflow()),
        }
    })?;
    conn.create_scalar_function("tsql_mod", 2, det, |ctx| {
        let (a, b): (Option<i64>, Option<i64>) = (ctx.get(0)?, ctx.get(1)?);
        match (a, b) {
            (Some(_), Some(0)) => Err(tsql_error(8134, "Divide by zero error encountered.")),
            (Some(x), Some(y)) => Ok(Some(x.wrapping_rem(y))),
            _ => Ok(None),
        }
    })?;
    // Row counts of TOP and FETCH must be whole and non-negative; SQLite would read -1 as "all".
    conn.create_scalar_function("tsql_rows", 2, det, |ctx| {
        let n: Option<i64> = ctx.get(0)?;
        let what = text_arg(ctx, 1)?.unwrap_or_default();
        match (n, what.as_str()) {
            (Some(n), "OFFSET") if n < 0 => Err(tsql_error(10742, "The offset specified in a OFFSET clause may not be negative.")),
            (Some(n), "FETCH") if n <= 0 => Err(tsql_error(10744, "The number of rows provided for a FETCH clause must be greater then zero.")),
            (Some(n), "TOP") if n < 0 => Err(tsql_error(1014, "A TOP or FETCH clause contains an invalid value.")),
            (Some(n), _) => Ok(n),
            (None, _) => Err(tsql_error(1060, "The number of rows provided for a TOP or FETCH clauses row count parameter must be an integer.")),
        }
    })?;
    conn.create_scalar_function("tsql_too_many_rows", 0, volatile, |_| -> rusqlite::Result<i64> {
        Err(tsql_error(
            512,
            "Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression.",
        ))
    })?;
    conn.create_scalar_function("tsql_newid", 0, volatile, |_| {
        let mut b = [0u8; 16];
        for chunk in b.chunks_mut(8) {
            let r = rand_u64();
            chunk.copy_from_slice(&r.to_le_bytes()[..chunk.len()]);
        }
        b[6] = (b[6] & 0x0F) | 0x40;
        b[8] = (b[8] & 0x3F) | 0x80;
        Ok(super::value::guid_text(&b))
    })?;
    Ok(())
}

fn as_f64(v: ValueRef<'_>) -> f64 {
    match v {
        ValueRef::Integer(i) => i as f64,
        ValueRef::Real(f) => f,
        ValueRef::Text(t) => String::from_utf8_lossy(t).trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn rand_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(Utc::now().timestamp_nanos_opt().unwrap_or(0) as u128);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_follows_tsql() {
        assert!(like("a%", "ABC"));
        assert!(like("%b%", "abc"));
        assert!(!like("%d%", "abc"));
        assert!(like("a_c", "abc"));
        assert!(!like("a_c", "abbc"));
        assert!(like("[a-c]bc", "Bbc"));
        assert!(!like("[^a-c]bc", "bbc"));
        assert!(like("[^a-c]bc", "xbc"));
        assert!(like("ÄB%", "äbc"));
        assert!(like("%a%b%c", "xxaxxbxxc"));
        assert!(!like("abc", "abc "));
        assert!(like("[", "["));
        assert!(like("100[%]", "100%"));
        assert!(!like("100[%]", "1000"));
    }
}
