//! The Patreon dialect of Maecenas: API v1 and v2 are views of the one domain, rendered through
//! a typed JSON:API engine that reproduces Patreon's conventions and the quirks its clients
//! depend on (`shared/specs/patreon.md` §2).

pub mod jsonapi;
