//! The few statements that differ between SQLite and PostgreSQL. Everything else in the store is
//! one code path; keep this file short.

use std::time::Duration;

use sea_orm::sqlx::{self, Connection, postgres::PgConnectOptions};

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
