//! Opaque keyset cursors. A cursor carries the sort key of the last row of a page plus the name
//! of the list it belongs to, base64url-encoded; the next page starts after that key, so a deep
//! page costs what the first does. A cursor that does not decode, or belongs to another list,
//! is a 400 with code 3 on `page[cursor]`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::ApiError;

/// Longest cursor accepted (anything longer was not made here).
const MAX_LEN: usize = 512;

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Which list the cursor belongs to.
    k: String,
    /// The keyset position.
    v: T,
}

/// Encodes and decodes cursors for one list.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    list: &'static str,
}

impl Cursor {
    /// Cursors of the list named `list` (e.g. `"members"`).
    pub const fn new(list: &'static str) -> Self {
        Self { list }
    }

    /// The cursor for a page that starts after `position`.
    pub fn encode<T: Serialize>(&self, position: &T) -> String {
        let envelope = Envelope {
            k: self.list.to_owned(),
            v: position,
        };
        // Serialising plain data to a Vec cannot fail; an empty cursor would only be refused.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap_or_default())
    }

    /// The position in `cursor`, or a `page[cursor]` error.
    pub fn decode<T: DeserializeOwned>(&self, cursor: &str) -> Result<T, ApiError> {
        if cursor.len() > MAX_LEN {
            return Err(ApiError::bad_cursor());
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor.trim_end_matches('='))
            .map_err(|_| ApiError::bad_cursor())?;
        let envelope: Envelope<T> =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::bad_cursor())?;
        if envelope.k == self.list {
            Ok(envelope.v)
        } else {
            Err(ApiError::bad_cursor())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_strangers() {
        let members = Cursor::new("members");
        let cursor = members.encode(&("2026-01-01T00:00:00+00:00", 42_i64));
        assert!(
            cursor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let back: (String, i64) = members.decode(&cursor).unwrap();
        assert_eq!(back, ("2026-01-01T00:00:00+00:00".to_owned(), 42));

        let posts = Cursor::new("posts");
        assert_eq!(
            posts
                .decode::<(String, i64)>(&cursor)
                .unwrap_err()
                .parameter(),
            Some("page[cursor]")
        );
        for bad in ["", "!!!", "bm90IGpzb24", &"A".repeat(600)] {
            assert!(members.decode::<(String, i64)>(bad).is_err(), "{bad}");
        }
        // Right list, wrong shape.
        assert!(
            members
                .decode::<(String, i64)>(&members.encode(&"x"))
                .is_err()
        );
    }
}
