//! The one way procedures are called. tiberius 0.12 has no RPC procedure-call API, so a call
//! is a parameterized batch that declares the OUTPUT variables, runs
//! `EXEC @rc = dbo.P @Name = @P1, ..., @Out = @o1 OUTPUT` and selects the return status and
//! the outputs as one row:
//!
//! ```sql
//! DECLARE @rc int, @o1 int; EXEC @rc = dbo.P @A = @P1, @O1 = @o1 OUTPUT; SELECT @rc AS rc, @o1 AS o1;
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use tiberius::{Row, ToSql};

use crate::pool::{Connection, Request};
use crate::{Error, Result};

/// A procedure and its parameters, by name.
pub(crate) struct Procedure<'a> {
    name: &'static str,
    inputs: Vec<(&'static str, &'a dyn ToSql)>,
    outputs: &'static [(&'static str, &'static str)],
}

impl<'a> Procedure<'a> {
    /// A call of `dbo.<name>`.
    pub(crate) fn new(name: &'static str) -> Self {
        Procedure {
            name,
            inputs: Vec::new(),
            outputs: &[],
        }
    }

    /// An input parameter (`@name = @Pn`).
    pub(crate) fn arg(mut self, name: &'static str, value: &'a dyn ToSql) -> Self {
        self.inputs.push((name, value));
        self
    }

    /// The OUTPUT parameters: `(name, T-SQL type)`, in the order the result row holds them.
    pub(crate) fn outputs(mut self, outputs: &'static [(&'static str, &'static str)]) -> Self {
        self.outputs = outputs;
        self
    }

    /// The batch text (names and types are compile-time constants; values are all `@Pn`).
    fn sql(&self) -> String {
        let mut sql = String::from("DECLARE @rc int");
        for (i, (_, ty)) in self.outputs.iter().enumerate() {
            let _ = write!(sql, ", @o{} {ty}", i + 1);
        }
        let _ = write!(sql, "; EXEC @rc = dbo.{}", self.name);
        let args = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("@{name} = @P{}", i + 1))
            .chain(
                self.outputs
                    .iter()
                    .enumerate()
                    .map(|(i, (name, _))| format!("@{name} = @o{} OUTPUT", i + 1)),
            )
            .collect::<Vec<_>>()
            .join(", ");
        if !args.is_empty() {
            sql.push(' ');
            sql.push_str(&args);
        }
        sql.push_str("; SELECT @rc AS rc");
        for i in 1..=self.outputs.len() {
            let _ = write!(sql, ", @o{i} AS o{i}");
        }
        sql.push(';');
        sql
    }

    /// Runs the call; returns the row `rc, o1, o2, ...` (outputs at index 1..). A non-zero
    /// return status is an error: the contract's procedures THROW on failure and return 0.
    pub(crate) async fn call(&self, conn: &mut Connection, timeout: Duration) -> Result<Row> {
        let sql = self.sql();
        let params: Vec<&dyn ToSql> = self.inputs.iter().map(|(_, v)| *v).collect();
        let mut sets = conn
            .query(Request::Statement(&sql, &params), timeout)
            .await?;
        let row = sets
            .pop()
            .and_then(|rows| rows.into_iter().next())
            .ok_or_else(|| Error::Protocol(format!("dbo.{} returned no status row", self.name)))?;
        match row.try_get::<i32, _>(0)? {
            Some(0) => Ok(row),
            other => Err(Error::Protocol(format!(
                "dbo.{} returned status {other:?}",
                self.name
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_declares_calls_and_selects() {
        let name = "alice";
        let depth = 5i32;
        let p = Procedure::new("UserLogon_SetPassword")
            .arg("LoginName", &name)
            .arg("HistoryDepth", &depth)
            .outputs(&[("UserLogonID", "int"), ("Status", "nvarchar(20)")]);
        assert_eq!(
            p.sql(),
            "DECLARE @rc int, @o1 int, @o2 nvarchar(20); \
             EXEC @rc = dbo.UserLogon_SetPassword @LoginName = @P1, @HistoryDepth = @P2, \
             @UserLogonID = @o1 OUTPUT, @Status = @o2 OUTPUT; \
             SELECT @rc AS rc, @o1 AS o1, @o2 AS o2;"
        );
    }

    #[test]
    fn a_call_without_arguments() {
        assert_eq!(
            Procedure::new("P").sql(),
            "DECLARE @rc int; EXEC @rc = dbo.P; SELECT @rc AS rc;"
        );
    }
}
