//! Request parameters from wherever a client puts them (spec §4.1: "accept query, form **and**
//! JSON"): the query string, then a form or JSON body on top. Form and query keys written as
//! `channels[]` or `channels[0]` collect into an array, as PHP reads them.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The merged parameters of a request.
#[derive(Debug, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// The raw value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    fn merge_pairs(&mut self, pairs: Vec<(String, String)>) {
        for (key, value) in pairs {
            match key.find('[') {
                Some(open) if key.ends_with(']') => {
                    let base = key[..open].to_owned();
                    let slot = self
                        .0
                        .entry(base)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = slot {
                        items.push(Value::String(value));
                    } else {
                        *slot = Value::Array(vec![Value::String(value)]);
                    }
                }
                _ => {
                    self.0.insert(key, Value::String(value));
                }
            }
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Some(query) = request.uri().query() {
            params.merge_pairs(serde_urlencoded::from_str(query).unwrap_or_default());
        }
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::invalid_body())?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        // A body labelled JSON must be JSON; an unlabelled or form-labelled one is read as a
        // form unless it is a JSON object (some clients forget the content type).
        let json = serde_json::from_slice::<Map<String, Value>>(&body).ok();
        match json {
            Some(object) if is_json || body.first() == Some(&b'{') => params.0.extend(object),
            None if is_json => return Err(ApiError::invalid_body()),
            _ => match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
                Ok(pairs) => params.merge_pairs(pairs),
                Err(_) => return Err(ApiError::invalid_body()),
            },
        }
        Ok(params)
    }
}
