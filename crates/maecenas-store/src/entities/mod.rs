//! SeaORM entities, one module per table. Rows leave the store as these `Model` structs.

pub mod session;
pub mod user;
