//! What the configuration file says about the real-time server (`[realtime]`): the broker
//! (in-process, or Redis shared by several instances) and which browser origins may open the
//! WebSocket.

use serde::{Deserialize, Serialize};

/// `[realtime]` in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RealtimeSettings {
    /// `redis://[:password@]host:port/db`: publications, seq and history go through this Redis,
    /// so every instance sharing it (and the database) reaches every subscriber. Unset: the
    /// in-process hub, for one instance.
    #[serde(serialize_with = "redacted_url")]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and of the pub/sub channel; instances of one deployment share
    /// it, deployments sharing one Redis must not.
    pub redis_prefix: String,
    /// Origins browsers may open the WebSocket from (`https://overlay.example`, `*` for any).
    /// Empty (the default) allows every origin: OBS browser sources and DonationAlerts clients
    /// send all kinds. A request without an `Origin` header (not a browser) is always allowed.
    pub allowed_origins: Vec<String>,
}

impl Default for RealtimeSettings {
    fn default() -> Self {
        Self {
            redis_url: None,
            redis_prefix: "maecenas".to_owned(),
            allowed_origins: Vec::new(),
        }
    }
}

fn redacted_url<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("<redacted>"),
        None => s.serialize_none(),
    }
}

impl RealtimeSettings {
    /// Checks the values make sense.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.redis_url {
            crate::redis_broker::check_url(url)
                .map_err(|err| format!("realtime.redis_url: {err}"))?;
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.contains(char::is_whitespace) {
            return Err("realtime.redis_prefix must be a non-empty word".into());
        }
        for origin in &self.allowed_origins {
            if origin != "*" && !valid_origin(origin) {
                return Err(format!(
                    "realtime.allowed_origins: {origin:?} is not an origin like https://host[:port]"
                ));
            }
        }
        Ok(())
    }

    /// Whether a WebSocket request with this `Origin` header may connect.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        self.allowed_origins.is_empty()
            || self
                .allowed_origins
                .iter()
                .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    }
}

/// `scheme://host[:port]` with nothing after it.
fn valid_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' '])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_all_allowed_by_default_and_only_listed_ones_otherwise() {
        let open = RealtimeSettings::default();
        assert!(open.origin_allowed(Some("https://anything.example")));
        assert!(open.origin_allowed(None));
        let closed = RealtimeSettings {
            allowed_origins: vec!["https://overlay.example".into()],
            ..RealtimeSettings::default()
        };
        assert!(closed.validate().is_ok());
        assert!(closed.origin_allowed(Some("https://overlay.example")));
        assert!(closed.origin_allowed(Some("HTTPS://Overlay.Example")));
        assert!(!closed.origin_allowed(Some("https://evil.example")));
        assert!(!closed.origin_allowed(Some("null")));
        assert!(
            closed.origin_allowed(None),
            "non-browser clients send no Origin"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in ["overlay.example", "https://x/path", "https://"] {
            let s = RealtimeSettings {
                allowed_origins: vec![bad.into()],
                ..RealtimeSettings::default()
            };
            assert!(s.validate().is_err(), "{bad}");
        }
        let s = RealtimeSettings {
            redis_url: Some("http://127.0.0.1".into()),
            ..RealtimeSettings::default()
        };
        assert!(s.validate().unwrap_err().contains("redis_url"));
    }
}
