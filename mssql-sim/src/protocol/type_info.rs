//! TYPE_INFO and values: how each [`SqlType`] is described and encoded in
//! COLMETADATA/ROW/RETURNVALUE, and how RPC parameters are decoded.

use chrono::NaiveDateTime;

use super::cp1252;
use super::cursor::{utf16_to_string, Cursor, DecodeError, DecodeResult};
use super::temporal;
use crate::types::{SqlType, Value};

/// TYPE_INFO type codes.
mod code {
    pub const NULL: u8 = 0x1F;
    pub const INT1: u8 = 0x30;
    pub const BIT: u8 = 0x32;
    pub const INT2: u8 = 0x34;
    pub const INT4: u8 = 0x38;
    pub const DATETIM4: u8 = 0x3A;
    pub const FLT4: u8 = 0x3B;
    pub const DATETIME: u8 = 0x3D;
    pub const FLT8: u8 = 0x3E;
    pub const INT8: u8 = 0x7F;
    pub const GUID: u8 = 0x24;
    pub const INTN: u8 = 0x26;
    pub const DATEN: u8 = 0x28;
    pub const TIMEN: u8 = 0x29;
    pub const DATETIME2N: u8 = 0x2A;
    pub const BITN: u8 = 0x68;
    pub const DECIMALN: u8 = 0x6A;
    pub const NUMERICN: u8 = 0x6C;
    pub const FLTN: u8 = 0x6D;
    pub const DATETIMN: u8 = 0x6F;
    pub const BIGVARBIN: u8 = 0xA5;
    pub const BIGVARCHAR: u8 = 0xA7;
    pub const BIGBINARY: u8 = 0xAD;
    pub const BIGCHAR: u8 = 0xAF;
    pub const NVARCHAR: u8 = 0xE7;
    pub const NCHAR: u8 = 0xEF;
}

/// SQL_Latin1_General_CP1_CI_AS (LCID 1033, case/kana/width-insensitive, sort id 52).
pub const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

/// The u16 max length that marks a (MAX) type sent as PLP.
const MAX_LEN: u16 = 0xFFFF;
const PLP_NULL: u64 = u64::MAX;
const PLP_UNKNOWN_LEN: u64 = u64::MAX - 1;

/// A value that cannot be encoded as the declared type (an engine bug).
pub type EncodeResult = Result<(), String>;

fn int_width(ty: &SqlType) -> Option<u8> {
    match ty {
        SqlType::TinyInt => Some(1),
        SqlType::SmallInt => Some(2),
        SqlType::Int => Some(4),
        SqlType::BigInt => Some(8),
        _ => None,
    }
}

fn decimal_len(precision: u8) -> u8 {
    match precision {
        0..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

/// Byte length of a non-MAX character/binary type, or `None` for MAX.
fn var_len(ty: &SqlType) -> Result<Option<u16>, String> {
    let (chars, unit, limit) = match ty {
        SqlType::NVarChar(n) => (n, 2, 4000),
        SqlType::VarChar(n) => (n, 1, 8000),
        SqlType::VarBinary(n) => (n, 1, 8000),
        _ => return Ok(None),
    };
    match chars {
        None => Ok(None),
        Some(n) if *n <= limit => Ok(Some(n * unit)),
        Some(n) => Err(format!("{ty:?}: length {n} above {limit}, use MAX")),
    }
}

/// Appends the TYPE_INFO of `ty`.
pub fn write_type_info(buf: &mut Vec<u8>, ty: &SqlType) -> EncodeResult {
    match ty {
        SqlType::Bit => buf.extend_from_slice(&[code::BITN, 1]),
        SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt => {
            buf.extend_from_slice(&[code::INTN, int_width(ty).unwrap_or(8)])
        }
        SqlType::Float => buf.extend_from_slice(&[code::FLTN, 8]),
        SqlType::Decimal { precision, scale } => {
            if !(1..=38).contains(precision) || scale > precision {
                return Err(format!("decimal({precision},{scale}) is not a valid type"));
            }
            buf.extend_from_slice(&[code::DECIMALN, decimal_len(*precision), *precision, *scale])
        }
        SqlType::NVarChar(_) | SqlType::VarChar(_) | SqlType::VarBinary(_) => {
            let ty_code = match ty {
                SqlType::NVarChar(_) => code::NVARCHAR,
                SqlType::VarChar(_) => code::BIGVARCHAR,
                _ => code::BIGVARBIN,
            };
            buf.push(ty_code);
            buf.extend_from_slice(&var_len(ty)?.unwrap_or(MAX_LEN).to_le_bytes());
            if ty_code != code::BIGVARBIN {
                buf.extend_from_slice(&COLLATION);
            }
        }
        SqlType::DateTime2(scale) => {
            if *scale > 7 {
                return Err(format!("datetime2({scale}) is not a valid type"));
            }
            buf.extend_from_slice(&[code::DATETIME2N, *scale])
        }
        SqlType::DateTime => buf.extend_from_slice(&[code::DATETIMN, 8]),
        SqlType::Date => buf.push(code::DATEN),
        SqlType::UniqueIdentifier => buf.extend_from_slice(&[code::GUID, 16]),
    }
    Ok(())
}

/// Appends `value` encoded as `ty` (length prefix included).
pub fn write_value(buf: &mut Vec<u8>, ty: &SqlType, value: &Value) -> EncodeResult {
    let mismatch = || format!("value {value:?} does not fit type {ty:?}");
    if matches!(value, Value::Null) {
        match var_len(ty)? {
            Some(_) => buf.extend_from_slice(&MAX_LEN.to_le_bytes()),
            None if matches!(
                ty,
                SqlType::NVarChar(_) | SqlType::VarChar(_) | SqlType::VarBinary(_)
            ) =>
            {
                buf.extend_from_slice(&PLP_NULL.to_le_bytes())
            }
            None => buf.push(0),
        }
        return Ok(());
    }
    match (ty, value) {
        (SqlType::Bit, Value::Bit(b)) => buf.extend_from_slice(&[1, u8::from(*b)]),
        (SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt, Value::Int(v)) => {
            let width = int_width(ty).unwrap_or(8);
            let fits = match width {
                1 => u8::try_from(*v).is_ok(),
                2 => i16::try_from(*v).is_ok(),
                4 => i32::try_from(*v).is_ok(),
                _ => true,
            };
            if !fits {
                return Err(format!("{v} overflows {ty:?}"));
            }
            buf.push(width);
            buf.extend_from_slice(&v.to_le_bytes()[..usize::from(width)]);
        }
        (SqlType::Float, Value::Float(f)) => write_float(buf, *f),
        (SqlType::Float, Value::Int(i)) => write_float(buf, *i as f64),
        (SqlType::Decimal { precision, scale }, Value::Decimal(v, s)) => {
            write_decimal(buf, *precision, *scale, *v, *s)?
        }
        (SqlType::Decimal { precision, scale }, Value::Int(v)) => {
            write_decimal(buf, *precision, *scale, i128::from(*v), 0)?
        }
        (SqlType::NVarChar(_), Value::Str(s)) => {
            let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
            write_var_bytes(buf, ty, &bytes)?
        }
        (SqlType::VarChar(_), Value::Str(s)) => write_var_bytes(buf, ty, &cp1252::encode(s))?,
        (SqlType::VarBinary(_), Value::Bytes(b)) => write_var_bytes(buf, ty, b)?,
        (SqlType::DateTime2(scale), Value::DateTime(dt)) => write_datetime2(buf, *scale, dt)?,
        (SqlType::DateTime2(scale), Value::Date(d)) => {
            write_datetime2(buf, *scale, &d.and_time(chrono::NaiveTime::MIN))?
        }
        (SqlType::DateTime, Value::DateTime(dt)) => {
            buf.push(8);
            temporal::write_datetime(buf, *dt)?
        }
        (SqlType::Date, Value::Date(d)) => {
            buf.push(3);
            temporal::write_date(buf, *d)?
        }
        (SqlType::Date, Value::DateTime(dt)) => {
            buf.push(3);
            temporal::write_date(buf, dt.date())?
        }
        (SqlType::UniqueIdentifier, Value::Guid(g)) => {
            buf.push(16);
            buf.extend_from_slice(&guid_wire_order(g));
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

fn write_float(buf: &mut Vec<u8>, f: f64) {
    buf.push(8);
    buf.extend_from_slice(&f.to_le_bytes());
}

fn write_datetime2(buf: &mut Vec<u8>, scale: u8, dt: &NaiveDateTime) -> EncodeResult {
    buf.push(temporal::time_len(scale) + 3);
    temporal::write_time(buf, dt.time(), scale);
    temporal::write_date(buf, dt.date())
}

fn write_decimal(buf: &mut Vec<u8>, precision: u8, scale: u8, v: i128, s: u8) -> EncodeResult {
    let overflow =
        || format!("decimal value {v} (scale {s}) overflows decimal({precision},{scale})");
    let rescaled = if s <= scale {
        10i128
            .checked_pow(u32::from(scale - s))
            .and_then(|f| v.checked_mul(f))
            .ok_or_else(overflow)?
    } else {
        let f = 10i128
            .checked_pow(u32::from(s - scale))
            .ok_or_else(overflow)?;
        // Round half away from zero, as SQL Server does.
        let (q, r) = (v / f, v % f);
        q + (2 * r.abs() >= f) as i128 * v.signum()
    };
    let magnitude = rescaled.unsigned_abs();
    if magnitude >= 10u128.pow(u32::from(precision)) {
        return Err(overflow());
    }
    let len = decimal_len(precision);
    buf.push(len);
    buf.push(u8::from(rescaled >= 0));
    buf.extend_from_slice(&magnitude.to_le_bytes()[..usize::from(len - 1)]);
    Ok(())
}

fn write_var_bytes(buf: &mut Vec<u8>, ty: &SqlType, bytes: &[u8]) -> EncodeResult {
    if var_len(ty)?.is_some() {
        let len = u16::try_from(bytes.len())
            .ok()
            .filter(|l| *l < MAX_LEN)
            .ok_or_else(|| format!("{} bytes do not fit {ty:?}", bytes.len()))?;
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(bytes);
        return Ok(());
    }
    buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    if !bytes.is_empty() {
        let chunk = u32::try_from(bytes.len()).map_err(|_| "value above 4 GiB".to_string())?;
        buf.extend_from_slice(&chunk.to_le_bytes());
        buf.extend_from_slice(bytes);
    }
    buf.extend_from_slice(&0u32.to_le_bytes());
    Ok(())
}

/// Converts between the textual GUID byte order and the wire order (the
/// first three groups little-endian); the mapping is its own inverse.
pub fn guid_wire_order(g: &[u8; 16]) -> [u8; 16] {
    let mut out = *g;
    out[0..4].reverse();
    out[4..6].reverse();
    out[6..8].reverse();
    out
}

/// Reads a TYPE_INFO and the value that follows it (an RPC parameter).
/// The type is `None` for the untyped NULL.
pub fn read_typed_value(cur: &mut Cursor<'_>) -> DecodeResult<(Option<SqlType>, Value)> {
    let ty_code = cur.u8()?;
    let (ty, value) = match ty_code {
        code::NULL => return Ok((None, Value::Null)),
        code::INT1 => (SqlType::TinyInt, Value::Int(i64::from(cur.u8()?))),
        code::INT2 => (SqlType::SmallInt, read_int(cur, 2)?),
        code::INT4 => (SqlType::Int, read_int(cur, 4)?),
        code::INT8 => (SqlType::BigInt, read_int(cur, 8)?),
        code::BIT => (SqlType::Bit, Value::Bit(cur.u8()? != 0)),
        code::FLT4 => (SqlType::Float, read_float(cur, 4)?),
        code::FLT8 => (SqlType::Float, read_float(cur, 8)?),
        code::DATETIME => (
            SqlType::DateTime,
            Value::DateTime(temporal::read_datetime(cur, 8)?),
        ),
        code::DATETIM4 => (
            SqlType::DateTime,
            Value::DateTime(temporal::read_datetime(cur, 4)?),
        ),
        code::INTN => {
            let max = cur.u8()?;
            let ty = match max {
                1 => SqlType::TinyInt,
                2 => SqlType::SmallInt,
                4 => SqlType::Int,
                8 => SqlType::BigInt,
                _ => return Err(bad_len("INTN", max)),
            };
            (
                ty,
                read_nullable(cur, &[max], |c, len| match len {
                    1 => Ok(Value::Int(i64::from(c.u8()?))),
                    _ => read_int(c, len),
                })?,
            )
        }
        code::BITN => {
            expect_len(cur, "BITN", &[1])?;
            (
                SqlType::Bit,
                read_nullable(cur, &[1], |c, _| Ok(Value::Bit(c.u8()? != 0)))?,
            )
        }
        code::FLTN => {
            let max = expect_len(cur, "FLTN", &[4, 8])?;
            (SqlType::Float, read_nullable(cur, &[max], read_float)?)
        }
        code::DATETIMN => {
            let max = expect_len(cur, "DATETIMN", &[4, 8])?;
            let value = read_nullable(cur, &[max], |c, len| {
                temporal::read_datetime(c, len).map(Value::DateTime)
            })?;
            (SqlType::DateTime, value)
        }
        code::GUID => {
            expect_len(cur, "GUID", &[16])?;
            let value = read_nullable(cur, &[16], |c, _| {
                let mut g = [0u8; 16];
                g.copy_from_slice(c.bytes(16)?);
                Ok(Value::Guid(guid_wire_order(&g)))
            })?;
            (SqlType::UniqueIdentifier, value)
        }
        code::DECIMALN | code::NUMERICN => read_decimal(cur)?,
        code::DATEN => (
            SqlType::Date,
            read_nullable(cur, &[3], |c, _| temporal::read_date(c).map(Value::Date))?,
        ),
        code::TIMEN => {
            let scale = read_scale(cur)?;
            let len = temporal::time_len(scale);
            let value = read_nullable(cur, &[len], |c, len| {
                let time = temporal::read_time(c, len, scale)?;
                Ok(Value::DateTime(temporal::time_to_datetime(time)))
            })?;
            (SqlType::DateTime2(scale), value)
        }
        code::DATETIME2N => {
            let scale = read_scale(cur)?;
            let tlen = temporal::time_len(scale);
            let value = read_nullable(cur, &[tlen + 3], |c, _| {
                let time = temporal::read_time(c, usize::from(tlen), scale)?;
                Ok(Value::DateTime(temporal::read_date(c)?.and_time(time)))
            })?;
            (SqlType::DateTime2(scale), value)
        }
        code::NVARCHAR | code::NCHAR | code::BIGVARCHAR | code::BIGCHAR => {
            read_chars(cur, ty_code)?
        }
        code::BIGVARBIN | code::BIGBINARY => {
            let max = cur.u16()?;
            let ty = SqlType::VarBinary(char_len(max, 1, ty_code == code::BIGVARBIN)?);
            let value = read_var_bytes(cur, max)?.map_or(Value::Null, Value::Bytes);
            (ty, value)
        }
        other => {
            return Err(DecodeError::unsupported(format!(
                "parameter data type {other:#04x}"
            )))
        }
    };
    Ok((Some(ty), value))
}

fn bad_len(what: &str, len: u8) -> DecodeError {
    DecodeError::malformed(format!("{what} with length {len}"))
}

/// Reads a TYPE_INFO length byte that must be one of `allowed`.
fn expect_len(cur: &mut Cursor<'_>, what: &str, allowed: &[u8]) -> DecodeResult<u8> {
    let len = cur.u8()?;
    if allowed.contains(&len) {
        Ok(len)
    } else {
        Err(bad_len(what, len))
    }
}

fn read_scale(cur: &mut Cursor<'_>) -> DecodeResult<u8> {
    let scale = cur.u8()?;
    if scale > 7 {
        return Err(bad_len("time scale", scale));
    }
    Ok(scale)
}

/// Reads a one-byte value length: 0 is NULL, anything else must be in `allowed`.
fn read_nullable(
    cur: &mut Cursor<'_>,
    allowed: &[u8],
    read: impl FnOnce(&mut Cursor<'_>, usize) -> DecodeResult<Value>,
) -> DecodeResult<Value> {
    match cur.u8()? {
        0 => Ok(Value::Null),
        len if allowed.contains(&len) => read(cur, usize::from(len)),
        len => Err(bad_len("value", len)),
    }
}

fn read_int(cur: &mut Cursor<'_>, len: usize) -> DecodeResult<Value> {
    let raw = cur.uint_le(len)?;
    let shift = 64 - 8 * len as u32;
    Ok(Value::Int(((raw << shift) as i64) >> shift))
}

fn read_float(cur: &mut Cursor<'_>, len: usize) -> DecodeResult<Value> {
    Ok(Value::Float(match len {
        4 => f64::from(f32::from_bits(cur.u32()?)),
        _ => f64::from_bits(cur.u64()?),
    }))
}

fn read_decimal(cur: &mut Cursor<'_>) -> DecodeResult<(SqlType, Value)> {
    let max = cur.u8()?;
    let (precision, scale) = (cur.u8()?, cur.u8()?);
    if !(1..=38).contains(&precision) || scale > precision || !(2..=17).contains(&max) {
        return Err(DecodeError::malformed(format!(
            "DECIMALN length {max} precision {precision} scale {scale}"
        )));
    }
    let len = cur.u8()?;
    let value = if len == 0 {
        Value::Null
    } else {
        if len > max || len < 2 {
            return Err(bad_len("decimal value", len));
        }
        let positive = cur.u8()? != 0;
        let mut magnitude = [0u8; 16];
        magnitude[..usize::from(len - 1)].copy_from_slice(cur.bytes(usize::from(len - 1))?);
        let v = i128::try_from(u128::from_le_bytes(magnitude))
            .map_err(|_| DecodeError::malformed("decimal magnitude"))?;
        Value::Decimal(if positive { v } else { -v }, scale)
    };
    Ok((SqlType::Decimal { precision, scale }, value))
}

/// Characters of a max byte length; `None` (MAX) only where `may_be_max`.
fn char_len(max: u16, unit: u16, may_be_max: bool) -> DecodeResult<Option<u16>> {
    match max {
        MAX_LEN if may_be_max => Ok(None),
        MAX_LEN => Err(DecodeError::malformed("fixed-length type with MAX length")),
        n => Ok(Some(n / unit)),
    }
}

fn read_chars(cur: &mut Cursor<'_>, ty_code: u8) -> DecodeResult<(SqlType, Value)> {
    let max = cur.u16()?;
    cur.skip(COLLATION.len())?;
    let unicode = matches!(ty_code, code::NVARCHAR | code::NCHAR);
    let is_var = matches!(ty_code, code::NVARCHAR | code::BIGVARCHAR);
    let len = char_len(max, if unicode { 2 } else { 1 }, is_var)?;
    let ty = if unicode {
        SqlType::NVarChar(len)
    } else {
        SqlType::VarChar(len)
    };
    let value = match read_var_bytes(cur, max)? {
        None => Value::Null,
        Some(bytes) if unicode => Value::Str(utf16_to_string(&bytes)?),
        Some(bytes) => Value::Str(cp1252::decode(&bytes)),
    };
    Ok((ty, value))
}

/// Reads a USHORTLEN value, or a PLP value when the max length is MAX.
fn read_var_bytes(cur: &mut Cursor<'_>, max: u16) -> DecodeResult<Option<Vec<u8>>> {
    if max != MAX_LEN {
        return match cur.u16()? {
            MAX_LEN => Ok(None),
            len => Ok(Some(cur.bytes(usize::from(len))?.to_vec())),
        };
    }
    let total = cur.u64()?;
    if total == PLP_NULL {
        return Ok(None);
    }
    let mut out = Vec::new();
    loop {
        let chunk = cur.u32()? as usize;
        if chunk == 0 {
            break;
        }
        out.extend_from_slice(cur.bytes(chunk)?);
    }
    if total != PLP_UNKNOWN_LEN && total != out.len() as u64 {
        return Err(DecodeError::malformed(format!(
            "PLP value announced {total} bytes, carried {}",
            out.len()
        )));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Encoding then decoding each type gives the value back.
    #[test]
    fn every_type_round_trips() {
        let dt = NaiveDate::from_ymd_opt(2023, 7, 1)
            .and_then(|d| d.and_hms_nano_opt(12, 34, 56, 789_000_000))
            .unwrap();
        let cases = vec![
            (SqlType::Bit, Value::Bit(true)),
            (SqlType::TinyInt, Value::Int(255)),
            (SqlType::SmallInt, Value::Int(-32768)),
            (SqlType::Int, Value::Int(-5)),
            (SqlType::BigInt, Value::Int(i64::MIN)),
            (SqlType::Float, Value::Float(-1.5e300)),
            (
                SqlType::Decimal {
                    precision: 38,
                    scale: 4,
                },
                Value::Decimal(-(10i128.pow(37)), 4),
            ),
            (
                SqlType::Decimal {
                    precision: 5,
                    scale: 2,
                },
                Value::Decimal(12345, 2),
            ),
            (SqlType::NVarChar(Some(10)), Value::Str("héllo €".into())),
            (SqlType::NVarChar(None), Value::Str("x".repeat(9000))),
            (SqlType::NVarChar(None), Value::Str(String::new())),
            (SqlType::VarChar(Some(20)), Value::Str("café €".into())),
            (SqlType::VarChar(None), Value::Str("y".repeat(9000))),
            (
                SqlType::VarBinary(Some(4)),
                Value::Bytes(vec![0, 1, 2, 255]),
            ),
            (SqlType::VarBinary(None), Value::Bytes(vec![7; 10000])),
            (SqlType::DateTime2(7), Value::DateTime(dt)),
            (SqlType::DateTime2(3), Value::DateTime(dt)),
            // Legacy DATETIME keeps 1/300 s: .790 is exact, .789 is not.
            (
                SqlType::DateTime,
                Value::DateTime(dt + chrono::TimeDelta::milliseconds(1)),
            ),
            (SqlType::Date, Value::Date(dt.date())),
            (SqlType::UniqueIdentifier, Value::Guid(*b"0123456789abcdef")),
        ];
        for (ty, value) in cases {
            for v in [value, Value::Null] {
                let mut buf = Vec::new();
                write_type_info(&mut buf, &ty).unwrap();
                write_value(&mut buf, &ty, &v).unwrap();
                let mut cur = Cursor::new(&buf);
                let (back_ty, back) = read_typed_value(&mut cur).unwrap();
                assert_eq!((back_ty.as_ref(), &back), (Some(&ty), &v), "{ty:?}");
                assert_eq!(cur.remaining(), 0);
            }
        }
    }

    #[test]
    fn decimal_is_rescaled_and_checked() {
        let ty = SqlType::Decimal {
            precision: 5,
            scale: 2,
        };
        let mut buf = Vec::new();
        write_type_info(&mut buf, &ty).unwrap();
        write_value(&mut buf, &ty, &Value::Decimal(12345, 3)).unwrap();
        let (_, v) = read_typed_value(&mut Cursor::new(&buf)).unwrap();
        assert_eq!(v, Value::Decimal(1235, 2));
        assert!(write_value(&mut Vec::new(), &ty, &Value::Decimal(100000, 2)).is_err());
    }

    #[test]
    fn mismatches_and_overflows_are_errors() {
        let mut buf = Vec::new();
        assert!(write_value(&mut buf, &SqlType::Int, &Value::Str("1".into())).is_err());
        assert!(write_value(&mut buf, &SqlType::TinyInt, &Value::Int(256)).is_err());
        assert!(write_value(&mut buf, &SqlType::Int, &Value::Int(1 << 40)).is_err());
        assert!(write_type_info(&mut buf, &SqlType::NVarChar(Some(4001))).is_err());
    }

    #[test]
    fn fixed_types_and_nulltype_decode() {
        let cases: Vec<(Vec<u8>, Option<SqlType>, Value)> = vec![
            (vec![0x1F], None, Value::Null),
            (vec![0x30, 200], Some(SqlType::TinyInt), Value::Int(200)),
            (
                vec![0x34, 0xFF, 0xFF],
                Some(SqlType::SmallInt),
                Value::Int(-1),
            ),
            (vec![0x38, 1, 0, 0, 0], Some(SqlType::Int), Value::Int(1)),
            (vec![0x32, 1], Some(SqlType::Bit), Value::Bit(true)),
            (
                vec![0x3B, 0, 0, 0xC0, 0x3F],
                Some(SqlType::Float),
                Value::Float(1.5),
            ),
            (
                vec![0xAF, 3, 0, 0, 0, 0, 0, 0, 3, 0, b'a', b'b', b' '],
                Some(SqlType::VarChar(Some(3))),
                Value::Str("ab ".into()),
            ),
            (
                vec![0xEF, 2, 0, 0, 0, 0, 0, 0, 2, 0, b'z', 0],
                Some(SqlType::NVarChar(Some(1))),
                Value::Str("z".into()),
            ),
            (
                vec![0xAD, 1, 0, 1, 0, 9],
                Some(SqlType::VarBinary(Some(1))),
                Value::Bytes(vec![9]),
            ),
        ];
        for (bytes, ty, value) in cases {
            assert_eq!(
                read_typed_value(&mut Cursor::new(&bytes)).unwrap(),
                (ty, value)
            );
        }
    }

    #[test]
    fn malformed_and_unsupported_are_distinguished() {
        let money = [0x6E, 8, 0];
        assert!(matches!(
            read_typed_value(&mut Cursor::new(&money)),
            Err(DecodeError::Unsupported(_))
        ));
        for bad in [
            &[0x26, 3, 3, 0, 0, 0][..],
            &[0x26, 4, 2, 0, 0],
            &[
                0xE7, 0xFF, 0xFF, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0,
            ],
        ] {
            assert!(
                matches!(
                    read_typed_value(&mut Cursor::new(bad)),
                    Err(DecodeError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
    }
}
