//! The few statements that differ between SQLite and PostgreSQL. Everything else in the store is
//! one code path; keep this file short.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr,
    sea_query::{Alias, InsertStatement},
    sqlx::{self, Connection, postgres::PgConnectOptions},
};

/// The PostgreSQL channel that event writers `NOTIFY` and event readers `LISTEN` on.
pub(crate) const EVENTS_CHANNEL: &str = "maecenas_events";
/// Sent in each event's transaction; PostgreSQL delivers it at commit, once per transaction.
pub(crate) const NOTIFY_EVENTS: &str = "NOTIFY maecenas_events";

/// Opens one connection within `timeout` and, when given, creates `schema` if it does not exist
/// (tests give each run its own schema).
pub(crate) async fn probe_pg(
    opts: PgConnectOptions,
    schema: Option<&str>,
    timeout: Duration,
) -> Result<(), sqlx::Error> {
    let mut conn = tokio::time::timeout(timeout, sqlx::PgConnection::connect_with(&opts))
        .await
        .map_err(|_| sqlx::Error::Io(std::io::ErrorKind::TimedOut.into()))??;
    if let Some(schema) = schema {
        check_schema_name(schema)?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await
}

fn check_schema_name(schema: &str) -> Result<(), sqlx::Error> {
    if schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("bad schema name {schema:?}").into(),
        ))
    }
}

/// Drops a schema made by [`ensure_pg_schema`] and everything in it.
pub async fn drop_pg_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    use std::str::FromStr;
    check_schema_name(schema)?;
    let opts = PgConnectOptions::from_str(url)?;
    let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

/// `count` bind placeholders numbered from `first` (1-based), comma-separated: `?` on SQLite,
/// `$n` on PostgreSQL. For the hot statements written as text, whose lists come in a few fixed
/// lengths so that each text is prepared once per connection (see `oauth_tokens`).
pub(crate) fn placeholders(backend: DatabaseBackend, first: usize, count: usize) -> String {
    let one = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    (first..first + count)
        .map(one)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Makes a claim's inner `SELECT` skip rows another transaction holds: `FOR UPDATE SKIP LOCKED`
/// on PostgreSQL. SQLite has no row locks (sea-query leaves the clause out there); a claim is
/// one `UPDATE … WHERE id IN (SELECT …) RETURNING …` statement, atomic under SQLite's single
/// writer.
pub(crate) fn claim_lock(select: &mut sea_orm::sea_query::SelectStatement) {
    select.lock_with_behavior(
        sea_orm::sea_query::LockType::Update,
        sea_orm::sea_query::LockBehavior::SkipLocked,
    );
}

/// Runs the multi-row `insert` (into a table with an auto-increment `id`, which it does not set)
/// and returns the new rows' ids in the order of its `VALUES` list.
///
/// PostgreSQL: `RETURNING id`, sorted (ids are drawn in `VALUES` order; `RETURNING` need not
/// keep it). SQLite: no `RETURNING`, which the driver would hand over a row at a time from its
/// connection thread (a wake-up per row, most of a batch's cost): one statement holding the
/// write lock numbers its rows consecutively, so they are the `n` ids ending at
/// `last_insert_rowid()`.
pub(crate) async fn insert_ids(
    conn: &impl ConnectionTrait,
    mut insert: InsertStatement,
    rows: usize,
) -> Result<Vec<i64>, DbErr> {
    let backend = conn.get_database_backend();
    let ids = if backend == DatabaseBackend::Postgres {
        insert.returning_col(Alias::new("id"));
        let mut ids = conn
            .query_all(backend.build(&insert))
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        ids
    } else {
        let done = conn.execute(backend.build(&insert)).await?;
        let last = i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX);
        let first = i64::try_from(done.rows_affected())
            .ok()
            .and_then(|n| last.checked_sub(n - 1))
            .unwrap_or(last);
        (first..=last).collect()
    };
    if ids.len() != rows {
        return Err(DbErr::Custom(format!(
            "{rows} rows inserted, {} ids found",
            ids.len()
        )));
    }
    Ok(ids)
}
