//! Typed column access shared by the row models.

use tiberius::{FromSql, Row};

use crate::{Error, Result};

/// A nullable column.
pub(crate) fn opt<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<Option<T>> {
    row.try_get::<T, usize>(idx)
        .map_err(|e| Error::decode(format!("column {} ({idx}): {e}", column_name(row, idx))))
}

/// A NOT NULL column.
pub(crate) fn req<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    opt(row, idx)?
        .ok_or_else(|| Error::decode(format!("column {} ({idx}) is NULL", column_name(row, idx))))
}

fn column_name(row: &Row, idx: usize) -> &str {
    row.columns().get(idx).map_or("?", |c| c.name())
}
