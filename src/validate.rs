//! Input checks that run before any round trip; each failure is
//! `Error::InvalidInput { field, reason }`.

use chrono::{NaiveDate, NaiveDateTime};

use crate::{Error, Result};

/// Longest login name the schema stores (`nvarchar(128)`).
pub const MAX_LOGIN_NAME: usize = 128;
/// Largest `return_count` of `get_active_users_since`.
pub const MAX_RETURN_COUNT: i32 = 1000;
/// Largest `days` of `get_active_users_since` (100 years).
pub const MAX_DAYS: i32 = 36_500;
/// Most ids `get_logons_from_user_id_list` takes in one call.
pub const MAX_ID_LIST: usize = 1_000_000;

/// The length SQL Server gives `s` in an `nvarchar` (and `LEN`): UTF-16 code units, so a
/// character outside the BMP (an emoji) counts twice.
fn nvarchar_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A login name: not empty, at most `max` UTF-16 code units (128, the `nvarchar(128)` of the
/// schema, or the policy's `LoginMaxLength` where it applies), no control characters.
pub(crate) fn login_name(field: &'static str, name: &str, max: usize) -> Result<()> {
    let len = nvarchar_len(name);
    if name.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if len > max {
        return Err(Error::invalid(
            field,
            format!("{len} UTF-16 code units, at most {max} allowed"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// A new login name additionally has no leading or trailing white space (SQL Server's `=`
/// ignores trailing spaces, so `"bob "` would collide with `"bob"` in confusing ways) and
/// at least `min` UTF-16 code units.
pub(crate) fn new_login_name(
    field: &'static str,
    name: &str,
    min: usize,
    max: usize,
) -> Result<()> {
    login_name(field, name, max)?;
    if name.trim() != name {
        return Err(Error::invalid(
            field,
            "must not start or end with white space",
        ));
    }
    let len = nvarchar_len(name);
    if len < min {
        return Err(Error::invalid(
            field,
            format!("{len} UTF-16 code units, at least {min} required"),
        ));
    }
    Ok(())
}

/// A database id: positive.
pub(crate) fn id(field: &'static str, id: i32) -> Result<()> {
    if id <= 0 {
        return Err(Error::invalid(field, format!("{id} is not a positive id")));
    }
    Ok(())
}

/// A non-empty list of positive ids, at most [`MAX_ID_LIST`].
pub(crate) fn id_list(field: &'static str, ids: &[i32]) -> Result<()> {
    if ids.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if ids.len() > MAX_ID_LIST {
        return Err(Error::invalid(
            field,
            format!("{} ids, at most {MAX_ID_LIST} per call", ids.len()),
        ));
    }
    if let Some(bad) = ids.iter().find(|i| **i <= 0) {
        return Err(Error::invalid(field, format!("{bad} is not a positive id")));
    }
    Ok(())
}

/// Paging of `get_active_users_since`: `days` in 1..=36500, `return_count` in
/// 1..=[`MAX_RETURN_COUNT`], `page_number` >= 1 with an offset that fits an `int`. Returns
/// the row offset.
pub(crate) fn paging(days: i32, return_count: i32, page_number: i32) -> Result<i32> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::invalid(
            "days",
            format!("{days} is not in 1..={MAX_DAYS}"),
        ));
    }
    if !(1..=MAX_RETURN_COUNT).contains(&return_count) {
        return Err(Error::invalid(
            "return_count",
            format!("{return_count} is not in 1..={MAX_RETURN_COUNT}"),
        ));
    }
    if page_number < 1 {
        return Err(Error::invalid(
            "page_number",
            format!("{page_number} is below 1"),
        ));
    }
    (page_number - 1)
        .checked_mul(return_count)
        .ok_or_else(|| Error::invalid("page_number", format!("{page_number} is too large")))
}

/// A date to compare `LastLogon` with: inside SQL Server's `datetime2` range and sane
/// (from 1900-01-01 to 9999-12-31).
pub(crate) fn date(field: &'static str, d: NaiveDateTime) -> Result<()> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    if earliest.is_some_and(|e| d < e)
        || d.date() > NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
    {
        return Err(Error::invalid(
            field,
            format!("{d} is outside 1900-01-01 ..= 9999-12-31"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<impl Sized>) -> &'static str {
        match r {
            Err(Error::InvalidInput { field, .. }) => field,
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn login_names() {
        assert!(login_name("name", "alice", 128).is_ok());
        assert!(login_name("name", "O'Brien\"; DROP TABLE dbo.UserLogon; --", 128).is_ok());
        assert!(login_name("name", &"é".repeat(128), 128).is_ok());
        for bad in ["", "   ", "a\u{0}b", "tab\there", "nl\n"] {
            assert_eq!(field_of(login_name("name", bad, 128)), "name", "{bad:?}");
        }
        assert_eq!(field_of(login_name("name", &"x".repeat(129), 128)), "name");
        assert_eq!(field_of(login_name("name", "abcdef", 5)), "name");
    }

    #[test]
    fn login_name_length_is_counted_in_utf16_units_like_nvarchar() {
        // 100 characters outside the BMP are 200 UTF-16 units: too long for nvarchar(128).
        let emoji = "\u{1F600}".repeat(100);
        assert_eq!(emoji.chars().count(), 100);
        assert_eq!(field_of(login_name("name", &emoji, 128)), "name");
        assert!(login_name("name", &"\u{1F600}".repeat(64), 128).is_ok());
        assert_eq!(
            field_of(login_name("name", &"\u{1F600}".repeat(65), 128)),
            "name"
        );
        // The minimum of a new name is counted the same way: one emoji is two units.
        assert!(new_login_name("new_name", "\u{1F600}a", 3, 64).is_ok());
    }

    #[test]
    fn new_login_names() {
        assert!(new_login_name("new_name", "bob.new", 3, 64).is_ok());
        assert_eq!(
            field_of(new_login_name("new_name", "bob ", 3, 64)),
            "new_name"
        );
        assert_eq!(
            field_of(new_login_name("new_name", " bob", 3, 64)),
            "new_name"
        );
        assert_eq!(
            field_of(new_login_name("new_name", "ab", 3, 64)),
            "new_name"
        );
        assert_eq!(
            field_of(new_login_name("new_name", &"a".repeat(65), 3, 64)),
            "new_name"
        );
    }

    #[test]
    fn ids() {
        assert!(id("user_id", 1).is_ok());
        assert_eq!(field_of(id("user_id", 0)), "user_id");
        assert_eq!(field_of(id("user_id", -5)), "user_id");
        assert!(id_list("user_ids", &[1, 2, 3]).is_ok());
        assert_eq!(field_of(id_list("user_ids", &[])), "user_ids");
        assert_eq!(field_of(id_list("user_ids", &[3, 0])), "user_ids");
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(paging(30, 100, 1).unwrap(), 0);
        assert_eq!(paging(30, 100, 3).unwrap(), 200);
        assert_eq!(paging(36_500, MAX_RETURN_COUNT, 1).unwrap(), 0);
        assert_eq!(field_of(paging(0, 100, 1)), "days");
        assert_eq!(field_of(paging(36_501, 100, 1)), "days");
        assert_eq!(field_of(paging(30, 0, 1)), "return_count");
        assert_eq!(field_of(paging(30, -1, 1)), "return_count");
        assert_eq!(
            field_of(paging(30, MAX_RETURN_COUNT + 1, 1)),
            "return_count"
        );
        assert_eq!(field_of(paging(30, 100, 0)), "page_number");
        assert_eq!(field_of(paging(30, 100, -3)), "page_number");
        assert_eq!(field_of(paging(30, 1000, i32::MAX)), "page_number");
    }

    #[test]
    fn dates() {
        let d = |y, m, day| {
            NaiveDate::from_ymd_opt(y, m, day)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert!(date("since", d(2024, 5, 1)).is_ok());
        assert!(date("since", d(1900, 1, 1)).is_ok());
        assert!(date("since", d(9999, 12, 31)).is_ok());
        assert_eq!(field_of(date("since", d(1899, 12, 31))), "since");
        assert_eq!(field_of(date("since", d(1, 1, 1))), "since");
        assert_eq!(field_of(date("since", NaiveDateTime::MAX)), "since");
        assert_eq!(field_of(date("since", NaiveDateTime::MIN)), "since");
    }
}
