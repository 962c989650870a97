//! Reads: parameterized SELECTs, one constant next to the function that runs it.
//!
//! "Deleted" means the user's `DeletedDate` is set (end users) or the admin logon's
//! `DeletedDate` is set (admins).

use chrono::NaiveDateTime;
use futures_util::stream::{self, BoxStream, StreamExt};
use tiberius::Row;

use crate::db::{span, traced, LogonDb};
use crate::model::{
    admin_logon_columns, user_logon_columns, AdminLogonRow, LogonStatus, UserLogonRow,
};
use crate::validate::{self, MAX_LOGIN_NAME};
use crate::{Error, Result};

/// SELECT of user logons joined to their user (`ul`, `u`), with the given tail.
macro_rules! select_user_logons {
    ($($tail:literal),+) => {
        concat!(
            "SELECT ", user_logon_columns!(),
            " FROM dbo.UserLogon ul INNER JOIN dbo.[User] u ON u.UserID = ul.UserID ",
            $($tail),+
        )
    };
}

/// SELECT of admin logons (`al`) with the given tail.
macro_rules! select_admin_logons {
    ($($tail:literal),+) => {
        concat!("SELECT ", admin_logon_columns!(), " FROM dbo.AdminUserLogon al ", $($tail),+)
    };
}

/// Which logons [`LogonDb::get`] looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogonQuery<'a> {
    /// Every logon of one user (or admin user).
    ByUserId(i32),
    /// The logon with this login name (case-insensitive).
    ByName(&'a str),
}

/// How many rows the stream buffers between the connection and the consumer.
const STREAM_BUFFER: usize = 64;

pub(crate) fn decode<R>(sets: Vec<Vec<Row>>, f: fn(&Row) -> Result<R>) -> Result<Vec<R>> {
    sets.into_iter()
        .next()
        .unwrap_or_default()
        .iter()
        .map(f)
        .collect()
}

impl LogonDb {
    /// End-user logons with this login name (case-insensitive).
    pub async fn get_login_by_name(
        &self,
        name: &str,
        include_deleted: bool,
    ) -> Result<Vec<UserLogonRow>> {
        const SQL: &str = select_user_logons!(
            "WHERE ul.LoginName = @P1 AND (@P2 = 1 OR u.DeletedDate IS NULL) ORDER BY ul.UserLogonID;"
        );
        traced("get_login_by_name", async {
            validate::login_name("name", name, MAX_LOGIN_NAME)?;
            decode(
                self.read(SQL, &[&name, &include_deleted]).await?,
                UserLogonRow::from_row,
            )
        })
        .await
    }

    /// Admin logons with this login name (case-insensitive).
    pub async fn get_admin_login_by_name(
        &self,
        name: &str,
        include_deleted: bool,
    ) -> Result<Vec<AdminLogonRow>> {
        const SQL: &str = select_admin_logons!(
            "WHERE al.LoginName = @P1 AND (@P2 = 1 OR al.DeletedDate IS NULL) ORDER BY al.AdminUserLogonID;"
        );
        traced("get_admin_login_by_name", async {
            validate::login_name("name", name, MAX_LOGIN_NAME)?;
            decode(
                self.read(SQL, &[&name, &include_deleted]).await?,
                AdminLogonRow::from_row,
            )
        })
        .await
    }

    /// All logons of one user.
    pub async fn get_login_by_id(
        &self,
        user_id: i32,
        include_deleted: bool,
    ) -> Result<Vec<UserLogonRow>> {
        const SQL: &str = select_user_logons!(
            "WHERE ul.UserID = @P1 AND (@P2 = 1 OR u.DeletedDate IS NULL) ORDER BY ul.UserLogonID;"
        );
        traced("get_login_by_id", async {
            validate::id("user_id", user_id)?;
            decode(
                self.read(SQL, &[&user_id, &include_deleted]).await?,
                UserLogonRow::from_row,
            )
        })
        .await
    }

    /// All logons of one admin user.
    pub async fn get_admin_login_by_id(
        &self,
        admin_user_id: i32,
        include_deleted: bool,
    ) -> Result<Vec<AdminLogonRow>> {
        const SQL: &str = select_admin_logons!(
            "WHERE al.AdminUserID = @P1 AND (@P2 = 1 OR al.DeletedDate IS NULL) ORDER BY al.AdminUserLogonID;"
        );
        traced("get_admin_login_by_id", async {
            validate::id("admin_user_id", admin_user_id)?;
            decode(
                self.read(SQL, &[&admin_user_id, &include_deleted]).await?,
                AdminLogonRow::from_row,
            )
        })
        .await
    }

    /// Every logon of the user, on every UI source, whether or not the user is deleted.
    pub async fn get_list_of_associated_logons(&self, user_id: i32) -> Result<Vec<UserLogonRow>> {
        self.get_login_by_id(user_id, true).await
    }

    /// End-user logons by user id or by login name.
    pub async fn get(
        &self,
        query: LogonQuery<'_>,
        include_deleted: bool,
    ) -> Result<Vec<UserLogonRow>> {
        match query {
            LogonQuery::ByUserId(id) => self.get_login_by_id(id, include_deleted).await,
            LogonQuery::ByName(name) => self.get_login_by_name(name, include_deleted).await,
        }
    }

    /// Admin logons by admin user id or by login name.
    pub async fn get_admin(
        &self,
        query: LogonQuery<'_>,
        include_deleted: bool,
    ) -> Result<Vec<AdminLogonRow>> {
        match query {
            LogonQuery::ByUserId(id) => self.get_admin_login_by_id(id, include_deleted).await,
            LogonQuery::ByName(name) => self.get_admin_login_by_name(name, include_deleted).await,
        }
    }

    /// One end-user logon by its own id (deleted or not); `NotFound` when there is none.
    pub async fn get_login_by_logon_id(&self, user_logon_id: i32) -> Result<UserLogonRow> {
        const SQL: &str = select_user_logons!("WHERE ul.UserLogonID = @P1;");
        traced("get_login_by_logon_id", async {
            validate::id("user_logon_id", user_logon_id)?;
            decode(
                self.read(SQL, &[&user_logon_id]).await?,
                UserLogonRow::from_row,
            )?
            .pop()
            .ok_or_else(|| Error::NotFound {
                what: format!("user logon {user_logon_id}"),
            })
        })
        .await
    }

    /// One admin logon by its own id (deleted or not); `NotFound` when there is none.
    pub async fn get_admin_login_by_logon_id(
        &self,
        admin_user_logon_id: i32,
    ) -> Result<AdminLogonRow> {
        const SQL: &str = select_admin_logons!("WHERE al.AdminUserLogonID = @P1;");
        traced("get_admin_login_by_logon_id", async {
            validate::id("admin_user_logon_id", admin_user_logon_id)?;
            decode(
                self.read(SQL, &[&admin_user_logon_id]).await?,
                AdminLogonRow::from_row,
            )?
            .pop()
            .ok_or_else(|| Error::NotFound {
                what: format!("admin logon {admin_user_logon_id}"),
            })
        })
        .await
    }

    /// The logons of any number of users in ONE round trip: the ids travel as one JSON
    /// array parameter (`OPENJSON`), so SQL Server's 2,100-parameter limit does not apply.
    /// Duplicate ids are sent once.
    pub async fn get_logons_from_user_id_list(
        &self,
        user_ids: &[i32],
        include_deleted: bool,
    ) -> Result<Vec<UserLogonRow>> {
        const SQL: &str = select_user_logons!(
            "WHERE ul.UserID IN (SELECT CAST(j.[value] AS int) FROM OPENJSON(@P1) AS j) ",
            "AND (@P2 = 1 OR u.DeletedDate IS NULL) ORDER BY ul.UserID, ul.UserLogonID;"
        );
        traced("get_logons_from_user_id_list", async {
            validate::id_list("user_ids", user_ids)?;
            let mut ids = user_ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let json = serde_json::to_string(&ids).map_err(|e| Error::Protocol(e.to_string()))?;
            decode(
                self.read(SQL, &[&json, &include_deleted]).await?,
                UserLogonRow::from_row,
            )
        })
        .await
    }

    /// Logons of live users whose last logon is before `since`, or that never logged on and
    /// were created before it; optionally only those with `status`. Ordered by UserLogonID.
    pub async fn get_logons_without_login_since(
        &self,
        since: NaiveDateTime,
        status: Option<LogonStatus>,
    ) -> Result<Vec<UserLogonRow>> {
        traced("get_logons_without_login_since", async {
            validate::date("since", since)?;
            let code = status.map(LogonStatus::as_code);
            let sql = without_login_since_sql(status);
            let sets = match &code {
                Some(code) => self.read(sql, &[&since, code]).await?,
                None => self.read(sql, &[&since]).await?,
            };
            decode(sets, UserLogonRow::from_row)
        })
        .await
    }

    /// The streaming form of [`LogonDb::get_logons_without_login_since`] for batch jobs: one
    /// pooled connection is held while the stream lives and at most a few dozen rows are in
    /// memory at any time, however many match. The command timeout bounds the wait for each
    /// row. Dropping the stream early discards its connection (the response is unread).
    pub fn stream_logons_without_login_since(
        &self,
        since: NaiveDateTime,
        status: Option<LogonStatus>,
    ) -> BoxStream<'static, Result<UserLogonRow>> {
        if let Err(e) = validate::date("since", since) {
            return stream::once(async { Err(e) }).boxed();
        }
        let db = self.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<UserLogonRow>>(STREAM_BUFFER);
        let sweep = async move {
            let span = span("stream_logons_without_login_since");
            let feed = tx.clone();
            let run = async move {
                let mut conn = db.conn().await?;
                let code = status.map(LogonStatus::as_code);
                let params: Vec<&dyn tiberius::ToSql> = match &code {
                    Some(code) => vec![&since, code],
                    None => vec![&since],
                };
                let rows = conn
                    .for_each_row(
                        without_login_since_sql(status),
                        &params,
                        db.command_timeout(),
                        |row| {
                            let item = UserLogonRow::from_row(&row);
                            let feed = &feed;
                            async move { feed.send(item).await.is_ok() }
                        },
                    )
                    .await?;
                tracing::Span::current().record("rows", rows);
                Ok::<_, Error>(())
            };
            if let Err(e) = tracing::Instrument::instrument(run, span).await {
                let _ = tx.send(Err(e)).await;
            }
        };
        let mut sweep = Some(sweep);
        stream::unfold(rx, move |mut rx| {
            if let Some(sweep) = sweep.take() {
                tokio::spawn(sweep);
            }
            async move { rx.recv().await.map(|item| (item, rx)) }
        })
        .boxed()
    }

    /// Logons of live users that logged on within the last `days` days, newest first (ties by
    /// UserLogonID), `return_count` per page (at most [`crate::MAX_RETURN_COUNT`]), pages
    /// from 1.
    pub async fn get_active_users_since(
        &self,
        days: i32,
        return_count: i32,
        page_number: i32,
    ) -> Result<Vec<UserLogonRow>> {
        const SQL: &str = select_user_logons!(
            "WHERE ul.LastLogon >= DATEADD(day, @P1, SYSUTCDATETIME()) AND u.DeletedDate IS NULL ",
            "ORDER BY ul.LastLogon DESC, ul.UserLogonID DESC ",
            "OFFSET @P2 ROWS FETCH NEXT @P3 ROWS ONLY;"
        );
        traced("get_active_users_since", async {
            let offset = validate::paging(days, return_count, page_number)?;
            let back = -days;
            decode(
                self.read(SQL, &[&back, &offset, &return_count]).await?,
                UserLogonRow::from_row,
            )
        })
        .await
    }
}

/// The dormant-logon predicate (`@P1` = the date) with the given tail.
macro_rules! select_dormant {
    ($($tail:literal),+) => {
        select_user_logons!(
            "WHERE (ul.LastLogon < @P1 OR (ul.LastLogon IS NULL AND ul.CreateDate < @P1)) ",
            "AND u.DeletedDate IS NULL ",
            $($tail),+
        )
    };
}

/// The dormant-logon query, with or without the status filter (`@P2`).
fn without_login_since_sql(status: Option<LogonStatus>) -> &'static str {
    const ANY: &str = select_dormant!("ORDER BY ul.UserLogonID;");
    const WITH_STATUS: &str = select_dormant!("AND ul.Status = @P2 ORDER BY ul.UserLogonID;");
    match status {
        Some(_) => WITH_STATUS,
        None => ANY,
    }
}
