//! Conversions between T-SQL values, their SQLite storage form, and SQL
//! Server's implicit and explicit conversion rules.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use rusqlite::types::{Value as Lite, ValueRef};

use crate::types::{ServerMessage, SqlType, Value};

/// How date/time values are stored: sortable text with seven fractional
/// digits (datetime2's 100 ns).
pub fn format_datetime(d: &NaiveDateTime) -> String {
    format!(
        "{}.{:07}",
        d.format("%Y-%m-%d %H:%M:%S"),
        (d.nanosecond() % 1_000_000_000) / 100
    )
}
pub const DATE_FORMAT: &str = "%Y-%m-%d";

pub fn type_name(ty: &SqlType) -> String {
    let len = |n: &Option<u16>| n.map(|n| n.to_string()).unwrap_or_else(|| "max".into());
    match ty {
        SqlType::Bit => "bit".into(),
        SqlType::TinyInt => "tinyint".into(),
        SqlType::SmallInt => "smallint".into(),
        SqlType::Int => "int".into(),
        SqlType::BigInt => "bigint".into(),
        SqlType::Float => "float".into(),
        SqlType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        SqlType::NVarChar(n) => format!("nvarchar({})", len(n)),
        SqlType::VarChar(n) => format!("varchar({})", len(n)),
        SqlType::DateTime2(s) => format!("datetime2({s})"),
        SqlType::DateTime => "datetime".into(),
        SqlType::Date => "date".into(),
        SqlType::UniqueIdentifier => "uniqueidentifier".into(),
        SqlType::VarBinary(n) => format!("varbinary({})", len(n)),
    }
}

pub fn is_string(ty: &SqlType) -> bool {
    matches!(ty, SqlType::NVarChar(_) | SqlType::VarChar(_))
}

pub fn is_temporal(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::DateTime2(_) | SqlType::DateTime | SqlType::Date
    )
}

pub fn is_integer(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::Bit | SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt
    )
}

pub fn is_numeric(ty: &SqlType) -> bool {
    is_integer(ty) || matches!(ty, SqlType::Float | SqlType::Decimal { .. })
}

/// The value as bound to a SQLite statement.
pub fn to_lite(v: &Value) -> Lite {
    match v {
        Value::Null => Lite::Null,
        Value::Bit(b) => Lite::Integer(*b as i64),
        Value::Int(i) => Lite::Integer(*i),
        Value::Float(f) => Lite::Real(*f),
        Value::Decimal(u, s) => Lite::Real(*u as f64 / 10f64.powi(*s as i32)),
        Value::Str(s) => Lite::Text(s.clone()),
        Value::Bytes(b) => Lite::Blob(b.clone()),
        Value::DateTime(d) => Lite::Text(format_datetime(d)),
        Value::Date(d) => Lite::Text(d.format(DATE_FORMAT).to_string()),
        Value::Guid(g) => Lite::Text(guid_text(g)),
    }
}

pub fn guid_text(g: &[u8; 16]) -> String {
    let h: String = g.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Reads a stored value back as the column's type.
pub fn from_lite(v: ValueRef<'_>, ty: &SqlType) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => match ty {
            SqlType::Bit => Value::Bit(i != 0),
            SqlType::Float => Value::Float(i as f64),
            SqlType::Decimal { scale, .. } => {
                Value::Decimal(i as i128 * 10i128.pow(*scale as u32), *scale)
            }
            t if is_string(t) => Value::Str(i.to_string()),
            _ => Value::Int(i),
        },
        ValueRef::Real(f) => match ty {
            SqlType::Decimal { scale, .. } => {
                Value::Decimal((f * 10f64.powi(*scale as i32)).round() as i128, *scale)
            }
            t if is_integer(t) => Value::Int(f as i64),
            t if is_string(t) => Value::Str(f.to_string()),
            _ => Value::Float(f),
        },
        ValueRef::Text(t) => {
            let s = String::from_utf8_lossy(t).into_owned();
            match ty {
                SqlType::DateTime2(_) | SqlType::DateTime => parse_datetime(&s)
                    .map(Value::DateTime)
                    .unwrap_or(Value::Str(s)),
                SqlType::Date => parse_datetime(&s)
                    .map(|d| Value::Date(d.date()))
                    .unwrap_or(Value::Str(s)),
                SqlType::UniqueIdentifier => {
                    parse_guid(&s).map(Value::Guid).unwrap_or(Value::Str(s))
                }
                t if is_integer(t) => s.trim().parse().map(Value::Int).unwrap_or(Value::Str(s)),
                _ => Value::Str(s),
            }
        }
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

/// Reads the stored form (`format_datetime`) without chrono's general parser.
fn parse_stored(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 27
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    date.and_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, num(20..27)? * 100)
}

pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    if let Some(d) = parse_stored(s) {
        return Some(d);
    }
    let s = s.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y%m%d %H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d);
        }
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .ok()?;
    date.and_hms_opt(0, 0, 0)
}

/// Rounds a timestamp to `scale` fractional digits, as datetime2(scale) stores it.
pub fn round_to_scale(d: NaiveDateTime, scale: u8) -> NaiveDateTime {
    let unit = 10u32.pow(9 - scale.min(7) as u32);
    let nanos = d.nanosecond() % 1_000_000_000;
    let rounded = (nanos + unit / 2) / unit * unit;
    if rounded >= 1_000_000_000 {
        d.with_nanosecond(0).unwrap_or(d) + chrono::Duration::seconds(1)
    } else {
        d.with_nanosecond(rounded).unwrap_or(d)
    }
}

pub fn err(number: i32, message: String) -> ServerMessage {
    ServerMessage::error(number, message)
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn source_type(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "nvarchar",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Decimal(..) => "numeric",
        Value::Bit(_) => "bit",
        Value::Bytes(_) => "varbinary",
        Value::DateTime(_) | Value::Date(_) => "datetime2",
        Value::Guid(_) => "uniqueidentifier",
        Value::Null => "null",
    }
}

/// Converts a value to `ty` as CAST does. With `strict_target` (a
/// "table.column" name), a string that does not fit is error 2628 instead of
/// being cut, as an INSERT or UPDATE does.
pub fn convert(
    v: Value,
    ty: &SqlType,
    strict_target: Option<&str>,
) -> Result<Value, ServerMessage> {
    let target = type_name(ty);
    let fail = |v: &Value| {
        let number = if is_temporal(ty) { 241 } else { 245 };
        let message = if is_temporal(ty) {
            "Conversion failed when converting date and/or time from character string.".to_string()
        } else {
            format!(
                "Conversion failed when converting the {} value '{}' to data type {}.",
                source_type(v),
                describe(v),
                target
            )
        };
        let mut m = err(number, message);
        m.class = 16;
        m
    };
    let overflow = || {
        err(
            8115,
            format!("Arithmetic overflow error converting expression to data type {target}."),
        )
    };
    if matches!(v, Value::Null) {
        return Ok(Value::Null);
    }
    Ok(match ty {
        SqlType::Bit => match &v {
            Value::Bit(b) => Value::Bit(*b),
            Value::Int(i) => Value::Bit(*i != 0),
            Value::Float(f) => Value::Bit(*f != 0.0),
            Value::Decimal(u, _) => Value::Bit(*u != 0),
            Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Value::Bit(true),
                "false" => Value::Bit(false),
                t => Value::Bit(t.parse::<i64>().map_err(|_| fail(&v))? != 0),
            },
            _ => return Err(fail(&v)),
        },
        SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt => {
            let i: i64 = match &v {
                Value::Bit(b) => *b as i64,
                Value::Int(i) => *i,
                Value::Float(f) => {
                    if !f.is_finite() || f.abs() > 9.2e18 {
                        return Err(overflow());
                    }
                    f.trunc() as i64
                }
                Value::Decimal(u, s) => i64::try_from(*u / 10i128.pow(*s as u32)).map_err(|_| overflow())?,
                Value::Str(s) => s.trim().parse().map_err(|_| fail(&v))?,
                _ => return Err(fail(&v)),
            };
            let (lo, hi) = match ty {
                SqlType::TinyInt => (0, 255),
                SqlType::SmallInt => (i16::MIN as i64, i16::MAX as i64),
                SqlType::Int => (i32::MIN as i64, i32::MAX as i64),
                _ => (i64::MIN, i64::MAX),
            };
            if i < lo || i > hi {
                return Err(overflow());
            }
            Value::Int(i)
        }
        SqlType::Float => match &v {
            Value::Bit(b) => Value::Float(*b as i64 as f64),
            Value::Int(i) => Value::Float(*i as f64),
            Value::Float(f) => Value::Float(*f),
            Value::Decimal(u, s) => Value::Float(*u as f64 / 10f64.powi(*s as i32)),
            Value::Str(s) => Value::Float(s.trim().parse().map_err(|_| fail(&v))?),
            _ => return Err(fail(&v)),
        },
        SqlType::Decimal { precision, scale } => {
            let f = match &v {
                Value::Bit(b) => *b as i64 as f64,
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                Value::Decimal(u, s) => *u as f64 / 10f64.powi(*s as i32),
                Value::Str(s) => s.trim().parse().map_err(|_| fail(&v))?,
                _ => return Err(fail(&v)),
            };
            let unscaled = (f * 10f64.powi(*scale as i32)).round();
            if unscaled.abs() >= 10f64.powi(*precision as i32) {
                return Err(overflow());
            }
            Value::Decimal(unscaled as i128, *scale)
        }
        SqlType::NVarChar(max) | SqlType::VarChar(max) => {
            let s = match v {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Bit(b) => (b as i32).to_string(),
                Value::Float(f) => f.to_string(),
                Value::Decimal(u, s) => format_decimal(u, s),
                Value::DateTime(d) => format_datetime(&d),
                Value::Date(d) => d.format(DATE_FORMAT).to_string(),
                Value::Guid(g) => guid_text(&g),
                Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                Value::Null => unreachable!("NULL returned above"),
            };
            match max {
                Some(n) if s.chars().count() > *n as usize => match strict_target {
                    Some(target) => {
                        let (table, column) = target.split_once('.').unwrap_or(("", target));
                        let shown: String = s.chars().take(*n as usize).collect();
                        return Err(err(
                            2628,
                            format!(
                                "String or binary data would be truncated in table 'dbo.{table}', column '{column}'. Truncated value: '{shown}'."
                            ),
                        ));
                    }
                    None => Value::Str(s.chars().take(*n as usize).collect()),
                },
                _ => Value::Str(s),
            }
        }
        SqlType::DateTime2(scale) => Value::DateTime(round_to_scale(to_datetime(&v).ok_or_else(|| fail(&v))?, *scale)),
        SqlType::DateTime => Value::DateTime(round_to_scale(to_datetime(&v).ok_or_else(|| fail(&v))?, 3)),
        SqlType::Date => Value::Date(to_datetime(&v).ok_or_else(|| fail(&v))?.date()),
        SqlType::UniqueIdentifier => match &v {
            Value::Guid(g) => Value::Guid(*g),
            Value::Str(s) => Value::Guid(parse_guid(s).ok_or_else(|| {
                err(8169, "Conversion failed when converting from a character string to uniqueidentifier.".into())
            })?),
            _ => return Err(fail(&v)),
        },
        SqlType::VarBinary(max) => {
            let b = match v {
                Value::Bytes(b) => b,
                Value::Str(s) => s.into_bytes(),
                other => return Err(fail(&other)),
            };
            match max {
                Some(n) if b.len() > *n as usize && strict_target.is_some() => {
                    return Err(err(2628, format!("String or binary data would be truncated in column '{}'.", strict_target.unwrap_or_default())));
                }
                Some(n) => Value::Bytes(b.into_iter().take(*n as usize).collect()),
                None => Value::Bytes(b),
            }
        }
    })
}

fn to_datetime(v: &Value) -> Option<NaiveDateTime> {
    match v {
        Value::DateTime(d) => Some(*d),
        Value::Date(d) => d.and_hms_opt(0, 0, 0),
        Value::Str(s) => parse_datetime(s),
        _ => None,
    }
}

pub fn format_decimal(u: i128, s: u8) -> String {
    if s == 0 {
        return u.to_string();
    }
    let neg = u < 0;
    let digits = format!("{:0width$}", u.unsigned_abs(), width = s as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - s as usize);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

/// The type of a literal value.
pub fn literal_type(v: &Value) -> SqlType {
    match v {
        Value::Null => SqlType::Int,
        Value::Bit(_) => SqlType::Bit,
        Value::Int(i) if *i >= i32::MIN as i64 && *i <= i32::MAX as i64 => SqlType::Int,
        Value::Int(_) => SqlType::BigInt,
        Value::Float(_) => SqlType::Float,
        Value::Decimal(_, s) => SqlType::Decimal {
            precision: 38,
            scale: *s,
        },
        Value::Str(s) => SqlType::NVarChar(Some(s.chars().count().clamp(1, 4000) as u16)),
        Value::Bytes(b) => SqlType::VarBinary(Some(b.len().clamp(1, 8000) as u16)),
        Value::DateTime(_) => SqlType::DateTime2(7),
        Value::Date(_) => SqlType::Date,
        Value::Guid(_) => SqlType::UniqueIdentifier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_datetimes_read_back_exactly() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_nano_opt(9, 8, 7, 123_456_700)
            .unwrap();
        assert_eq!(format_datetime(&d), "2026-12-03 09:08:07.1234567");
        assert_eq!(parse_datetime(&format_datetime(&d)), Some(d));
        assert_eq!(
            parse_datetime("2026-12-03"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
                .unwrap()
                .and_hms_opt(0, 0, 0)
        );
        assert_eq!(parse_datetime("2026-13-03 00:00:00.0000000"), None);
    }
}
