//! The JSON:API engine: lenient query parsing ([`query`]), include trees ([`include`]), sparse
//! fieldsets and documents ([`document`]), opaque keyset cursors ([`cursor`]) and the errors
//! envelope ([`error`]).

pub mod cursor;
pub mod document;
pub mod error;
pub mod include;
pub mod links;
pub mod query;

pub use cursor::Cursor;
pub use document::{Document, Links, Meta, Relationship, Resource, ResourceId, sparse};
pub use error::ApiError;
pub use include::{AllowedIncludes, IncludeTree};
pub use links::next_link;
pub use query::{JsonApiQuery, SortKey};
