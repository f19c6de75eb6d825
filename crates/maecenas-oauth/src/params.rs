//! Token-request parameters, wherever a client put them: the query string (Patreon's Python and
//! Ruby libraries POST an empty body), a form-urlencoded body, or a JSON body. They are merged;
//! empty values count as absent and a repeated parameter is `invalid_request` (OA-26/28).
//!
//! Client authentication is `client_secret_post` or HTTP Basic (RFC 6749 §2.3.1: both halves
//! form-urlencoded before base64), never both.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use crate::error::OAuthError;

/// The merged parameters of one token request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenParams(BTreeMap<String, String>);

impl TokenParams {
    /// Merges the query string and the body (read by `content_type`).
    pub fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(query) = query {
            pairs.extend(form_pairs(query.as_bytes())?);
        }
        if !body.iter().all(u8::is_ascii_whitespace) {
            let media = content_type
                .and_then(|ct| ct.split(';').next())
                .map(|m| m.trim().to_ascii_lowercase());
            match media.as_deref() {
                None | Some("application/x-www-form-urlencoded") => {
                    pairs.extend(form_pairs(body)?);
                }
                Some(m) if m == "application/json" || m.ends_with("+json") => {
                    pairs.extend(json_pairs(body)?);
                }
                Some(_) => {
                    return Err(OAuthError::invalid_request(
                        "Send parameters form-urlencoded, as JSON or in the query string.",
                    ));
                }
            }
        }
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "The {name} parameter is repeated."
                )));
            }
        }
        Ok(Self(map))
    }

    /// The value of `name`, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("Missing {name} parameter.")))
    }
}

fn form_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|_| OAuthError::invalid_request("The form-urlencoded parameters are malformed."))
}

/// A JSON object's members in order, duplicates kept so they can be refused.
struct JsonPairs(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for JsonPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    pairs.push(entry);
                }
                Ok(JsonPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

fn json_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let JsonPairs(members) = serde_json::from_slice(bytes)
        .map_err(|_| OAuthError::invalid_request("The JSON body must be an object."))?;
    let mut pairs = Vec::with_capacity(members.len());
    for (name, value) in members {
        let text = match value {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(OAuthError::invalid_request(format!(
                    "The {name} parameter must be a string."
                )));
            }
        };
        pairs.push((name, text));
    }
    Ok(pairs)
}

/// Who the client says it is, and how it proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The `client_id`: the public string id, or the numeric id DonationAlerts clients send.
    pub client_id: String,
    /// The presented secret; `None` for a public client.
    pub secret: Option<String>,
    /// Whether they came in an `Authorization: Basic` header (failures then get a challenge).
    pub via_basic: bool,
}

impl ClientCredentials {
    /// Reads the credentials from the `Authorization` header or the parameters.
    pub fn from_request(headers: &HeaderMap, params: &TokenParams) -> Result<Self, OAuthError> {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, credentials)| decode_basic(credentials.trim()));
        match basic {
            Some(Ok((id, secret))) => {
                if params.get("client_secret").is_some() {
                    return Err(OAuthError::invalid_request(
                        "Use one client authentication method, not both.",
                    ));
                }
                if params.get("client_id").is_some_and(|p| p != id) {
                    return Err(OAuthError::invalid_request(
                        "The client_id parameter does not match the Authorization header.",
                    ));
                }
                Ok(Self {
                    client_id: id,
                    secret: Some(secret),
                    via_basic: true,
                })
            }
            Some(Err(())) => Err(OAuthError::invalid_client().with_basic_challenge()),
            None => Ok(Self {
                client_id: params
                    .get("client_id")
                    .ok_or_else(OAuthError::invalid_client)?
                    .to_owned(),
                secret: params.get("client_secret").map(str::to_owned),
                via_basic: false,
            }),
        }
    }
}

/// `base64(urlencode(id) ":" urlencode(secret))` → (id, secret).
fn decode_basic(encoded: &str) -> Result<(String, String), ()> {
    let bytes = STANDARD.decode(encoded).map_err(|_| ())?;
    let text = String::from_utf8(bytes).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    let id = form_decode(id)?;
    if id.is_empty() {
        return Err(());
    }
    Ok((id, form_decode(secret)?))
}

fn form_decode(part: &str) -> Result<String, ()> {
    percent_encoding::percent_decode_str(&part.replace('+', " "))
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use axum::http::HeaderValue;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=UTF-8");

    #[test]
    fn query_form_and_json_are_merged() {
        let p = TokenParams::parse(Some("grant_type=authorization_code"), FORM, b"code=a%2Bb+c")
            .unwrap();
        assert_eq!(p.get("grant_type"), Some("authorization_code"));
        assert_eq!(p.get("code"), Some("a+b c"));

        let p = TokenParams::parse(
            Some("x=1"),
            Some("application/json"),
            br#"{"client_id": 42, "code": "c", "redirect_uri": null, "flag": true}"#,
        )
        .unwrap();
        assert_eq!(p.get("client_id"), Some("42"));
        assert_eq!(p.get("redirect_uri"), None);
        assert_eq!(p.get("flag"), Some("true"));
        assert_eq!(p.get("x"), Some("1"));

        // Patreon's Python library: everything in the query, empty body, no Content-Type.
        let p = TokenParams::parse(Some("code=abc&client_id=id"), None, b"").unwrap();
        assert_eq!(p.require("code").unwrap(), "abc");
        assert_eq!(
            p.require("refresh_token").unwrap_err().description,
            "Missing refresh_token parameter."
        );
    }

    #[test]
    fn oa_28_repeated_parameters_are_refused_wherever_they_are() {
        for (query, ct, body) in [
            (Some("code=a&code=b"), None, &b""[..]),
            (Some("code=a"), FORM, &b"code=a"[..]),
            (None, FORM, &b"code=a&code=b"[..]),
            (
                None,
                Some("application/json"),
                &br#"{"code":"a","code":"b"}"#[..],
            ),
        ] {
            let err = TokenParams::parse(query, ct, body).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{query:?} {body:?}");
            assert_eq!(err.description, "The code parameter is repeated.");
        }
        // Empty means absent, so an empty twin is not a repeat.
        let p = TokenParams::parse(Some("code="), FORM, b"code=x").unwrap();
        assert_eq!(p.get("code"), Some("x"));
    }

    #[test]
    fn malformed_bodies_are_invalid_requests() {
        for (ct, body) in [
            (Some("application/json"), &b"[1,2]"[..]),
            (Some("application/json"), &br#"{"code":{"a":1}}"#[..]),
            (Some("text/plain"), &b"code=a"[..]),
        ] {
            let err = TokenParams::parse(None, ct, body).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest);
        }
    }

    fn basic(user_pass: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(user_pass));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        headers
    }

    #[test]
    fn client_credentials_from_basic_or_body_but_not_both() {
        let none = TokenParams::default();
        let c = ClientCredentials::from_request(&basic("my%20id:s%3Ac%2Br+t"), &none).unwrap();
        assert_eq!(c.client_id, "my id");
        assert_eq!(c.secret.as_deref(), Some("s:c+r t"));
        assert!(c.via_basic);

        let body = TokenParams::parse(None, FORM, b"client_id=abc&client_secret=s").unwrap();
        let c = ClientCredentials::from_request(&HeaderMap::new(), &body).unwrap();
        assert_eq!(
            (c.client_id.as_str(), c.secret.as_deref()),
            ("abc", Some("s"))
        );
        assert!(!c.via_basic);

        let err = ClientCredentials::from_request(&basic("abc:s"), &body).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);

        let other = TokenParams::parse(None, FORM, b"client_id=xyz").unwrap();
        let err = ClientCredentials::from_request(&basic("abc:s"), &other).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        let same = TokenParams::parse(None, FORM, b"client_id=abc").unwrap();
        assert!(ClientCredentials::from_request(&basic("abc:s"), &same).is_ok());

        let err = ClientCredentials::from_request(&basic("no-colon"), &none).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        let err = ClientCredentials::from_request(&HeaderMap::new(), &none).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }
}
