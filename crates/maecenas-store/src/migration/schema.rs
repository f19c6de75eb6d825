//! A small vocabulary over sea-query's schema builder so every table reads as a column list.
//!
//! Conventions: `id` is a 64-bit auto-increment key (SQLite `INTEGER PRIMARY KEY`, PostgreSQL
//! `bigserial`); times are `timestamp with time zone`; money is integer minor units plus a
//! three-letter currency column; lists are JSON text.

use sea_orm_migration::prelude::*;

pub fn name(n: &str) -> Alias {
    Alias::new(n)
}

pub fn id() -> ColumnDef {
    ColumnDef::new(name("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

pub fn text(n: &str) -> ColumnDef {
    ColumnDef::new(name(n)).text().not_null().take()
}

pub fn text_default(n: &str, default: &str) -> ColumnDef {
    ColumnDef::new(name(n))
        .text()
        .not_null()
        .default(default)
        .take()
}

pub fn text_null(n: &str) -> ColumnDef {
    ColumnDef::new(name(n)).text().null().take()
}

pub fn int(n: &str) -> ColumnDef {
    ColumnDef::new(name(n)).big_integer().not_null().take()
}

pub fn int_default(n: &str, default: i64) -> ColumnDef {
    ColumnDef::new(name(n))
        .big_integer()
        .not_null()
        .default(default)
        .take()
}

pub fn int_null(n: &str) -> ColumnDef {
    ColumnDef::new(name(n)).big_integer().null().take()
}

pub fn flag(n: &str, default: bool) -> ColumnDef {
    ColumnDef::new(name(n))
        .boolean()
        .not_null()
        .default(default)
        .take()
}

pub fn time(n: &str) -> ColumnDef {
    ColumnDef::new(name(n))
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

pub fn time_null(n: &str) -> ColumnDef {
    ColumnDef::new(name(n))
        .timestamp_with_time_zone()
        .null()
        .take()
}

pub fn uuid_pk() -> ColumnDef {
    ColumnDef::new(name("id"))
        .uuid()
        .not_null()
        .primary_key()
        .take()
}

pub fn uuid_ref(n: &str) -> ColumnDef {
    ColumnDef::new(name(n)).uuid().not_null().take()
}

/// `CREATE TABLE` with the given columns.
pub fn table(n: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name(n));
    for mut c in cols {
        t.col(&mut c);
    }
    t
}

/// A foreign key `table.col → target.id`, deleting with the parent when `cascade`.
pub fn fk(tbl: &str, col: &str, target: &str, cascade: bool) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.name(format!("fk_{tbl}_{col}"))
        .from(name(tbl), name(col))
        .to(name(target), name("id"))
        .on_delete(if cascade {
            ForeignKeyAction::Cascade
        } else {
            ForeignKeyAction::SetNull
        });
    f
}

/// An index (unique when asked) over `cols`.
pub fn index(tbl: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("ix_{tbl}_{}", cols.join("_")))
        .table(name(tbl));
    for c in cols {
        i.col(name(c));
    }
    if unique {
        i.unique();
    }
    i
}

/// Creates each table (with its foreign keys) then each index.
pub async fn create(
    manager: &SchemaManager<'_>,
    tables: Vec<(TableCreateStatement, Vec<ForeignKeyCreateStatement>)>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for (mut t, fks) in tables {
        for mut f in fks {
            t.foreign_key(&mut f);
        }
        manager.create_table(t).await?;
    }
    for i in indexes {
        manager.create_index(i).await?;
    }
    Ok(())
}

/// Drops tables in the order given.
pub async fn drop(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for t in tables {
        manager
            .drop_table(Table::drop().table(name(t)).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
