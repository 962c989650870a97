//! Date and time wire formats: days since 0001-01-01 (DATE, DATETIME2),
//! fractions of a second at a scale (TIME, DATETIME2), and the legacy
//! DATETIME (days since 1900 plus 1/300 s ticks).

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use super::cursor::{Cursor, DecodeError, DecodeResult};

const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
const TICKS_PER_DAY: u64 = 86_400 * 300;

/// Day 0 of DATE and DATETIME2.
const EPOCH: NaiveDate = ymd(1, 1, 1);
/// Day 0 of the legacy DATETIME.
const BASE_1900: NaiveDate = ymd(1900, 1, 1);
/// The day number of 9999-12-31, the last day SQL Server knows.
const MAX_DAY: u64 = 3_652_058;

const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}

fn bad(what: &str) -> DecodeError {
    DecodeError::malformed(format!("{what} out of range"))
}

/// Bytes of the time part at `scale` (0-7).
pub fn time_len(scale: u8) -> u8 {
    match scale {
        0..=2 => 3,
        3..=4 => 4,
        _ => 5,
    }
}

fn units_per_second(scale: u8) -> u64 {
    10u64.pow(u32::from(scale.min(7)))
}

/// Appends the 3-byte day number of `date`, or fails below year 1.
pub fn write_date(buf: &mut Vec<u8>, date: NaiveDate) -> Result<(), String> {
    let days = u32::try_from(date.signed_duration_since(EPOCH).num_days())
        .ok()
        .filter(|d| u64::from(*d) <= MAX_DAY)
        .ok_or_else(|| format!("date {date} out of range"))?;
    buf.extend_from_slice(&days.to_le_bytes()[..3]);
    Ok(())
}

/// Reads a 3-byte day number.
pub fn read_date(cur: &mut Cursor<'_>) -> DecodeResult<NaiveDate> {
    let days = cur.uint_le(3)?;
    if days > MAX_DAY {
        return Err(bad("date"));
    }
    EPOCH
        .checked_add_days(Days::new(days))
        .ok_or_else(|| bad("date"))
}

/// Appends the time of day in 10^-scale second units.
pub fn write_time(buf: &mut Vec<u8>, time: NaiveTime, scale: u8) {
    let nanos = u64::from(time.num_seconds_from_midnight()) * 1_000_000_000
        + u64::from(time.nanosecond().min(999_999_999));
    let units = nanos / (1_000_000_000 / units_per_second(scale));
    buf.extend_from_slice(&units.to_le_bytes()[..usize::from(time_len(scale))]);
}

/// Reads a time of day of `len` bytes at `scale`.
pub fn read_time(cur: &mut Cursor<'_>, len: usize, scale: u8) -> DecodeResult<NaiveTime> {
    let units = cur.uint_le(len)?;
    let nanos = units
        .checked_mul(1_000_000_000 / units_per_second(scale))
        .filter(|n| *n < NANOS_PER_DAY)
        .ok_or_else(|| bad("time"))?;
    nanos_to_time(nanos)
}

fn nanos_to_time(nanos: u64) -> DecodeResult<NaiveTime> {
    let secs = u32::try_from(nanos / 1_000_000_000).map_err(|_| bad("time"))?;
    let frac = u32::try_from(nanos % 1_000_000_000).map_err(|_| bad("time"))?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, frac).ok_or_else(|| bad("time"))
}

/// The date SQL Server gives a bare time converted to datetime2.
pub fn time_to_datetime(time: NaiveTime) -> NaiveDateTime {
    BASE_1900.and_time(time)
}

/// Appends a legacy DATETIME (8 bytes), rounded to the nearest 1/300 s.
pub fn write_datetime(buf: &mut Vec<u8>, value: NaiveDateTime) -> Result<(), String> {
    let nanos = u64::from(value.num_seconds_from_midnight()) * 1_000_000_000
        + u64::from(value.nanosecond().min(999_999_999));
    let mut ticks = (nanos * 3 + 5_000_000) / 10_000_000;
    let mut date = value.date();
    if ticks >= TICKS_PER_DAY {
        ticks -= TICKS_PER_DAY;
        date = date
            .succ_opt()
            .ok_or_else(|| format!("datetime {value} out of range"))?;
    }
    let days = i32::try_from(date.signed_duration_since(BASE_1900).num_days())
        .map_err(|_| format!("datetime {value} out of range"))?;
    buf.extend_from_slice(&days.to_le_bytes());
    buf.extend_from_slice(&(ticks as u32).to_le_bytes());
    Ok(())
}

/// Reads a legacy DATETIME (8 bytes) or SMALLDATETIME (4 bytes).
pub fn read_datetime(cur: &mut Cursor<'_>, len: usize) -> DecodeResult<NaiveDateTime> {
    let (days, nanos) = match len {
        8 => {
            let days = i64::from(cur.u32()? as i32);
            let ticks = u64::from(cur.u32()?);
            if ticks >= TICKS_PER_DAY {
                return Err(bad("datetime ticks"));
            }
            (days, ticks * 10_000_000 / 3)
        }
        4 => {
            let days = i64::from(cur.u16()?);
            let minutes = u64::from(cur.u16()?);
            if minutes >= 24 * 60 {
                return Err(bad("smalldatetime minutes"));
            }
            (days, minutes * 60 * 1_000_000_000)
        }
        _ => return Err(DecodeError::malformed(format!("DATETIME of {len} bytes"))),
    };
    let date = BASE_1900
        .checked_add_signed(TimeDelta::days(days))
        .ok_or_else(|| bad("datetime"))?;
    Ok(date.and_time(nanos_to_time(nanos)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn datetime2_parts_round_trip() {
        let v = dt("2024-02-29 23:59:59.1234567");
        let mut buf = Vec::new();
        write_time(&mut buf, v.time(), 7);
        write_date(&mut buf, v.date()).unwrap();
        assert_eq!(buf.len(), 8);
        let mut c = Cursor::new(&buf);
        let t = read_time(&mut c, 5, 7).unwrap();
        assert_eq!(read_date(&mut c).unwrap().and_time(t), v);
    }

    #[test]
    fn legacy_datetime_rounds_to_ticks() {
        let mut buf = Vec::new();
        write_datetime(&mut buf, dt("2000-01-01 00:00:00.010")).unwrap();
        let back = read_datetime(&mut Cursor::new(&buf), 8).unwrap();
        assert_eq!(back, dt("2000-01-01 00:00:00.010"));
        buf.clear();
        write_datetime(&mut buf, dt("1999-12-31 23:59:59.999")).unwrap();
        assert_eq!(
            read_datetime(&mut Cursor::new(&buf), 8).unwrap(),
            dt("2000-01-01 00:00:00")
        );
    }

    #[test]
    fn out_of_range_is_an_error() {
        let ticks = [0u8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(read_datetime(&mut Cursor::new(&ticks), 8).is_err());
        assert!(read_time(&mut Cursor::new(&[0xFF; 5]), 5, 7).is_err());
        assert!(read_date(&mut Cursor::new(&[0xFF; 3])).is_err());
    }
}
