//! The API's response cache: a `GET` answered `200` is kept, keyed by its path and query and the
//! hash of its bearer token, and tagged with the database's [`DataVersion`] read *before* the
//! handler read anything. The same request is answered from memory for as long as the version is
//! unchanged (no commit anywhere since, by this process, another process or another instance)
//! and the token has not expired; rate limits still count every request. Any write — a pledge,
//! a revoked token, a renamed tier — changes the version, and the next request is served fresh.
//!
//! So a cached answer is never staler than a fresh one would be: the version is read after the
//! request arrived, and a commit visible to the handler's reads changes it.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use http_body::Body as _;
use maecenas_store::{DataVersion, Store, VersionProbe};
use quick_cache::{Equivalent, Weighter, sync::Cache};
use sha2::{Digest, Sha256};

use crate::{
    auth::{Caller, LimitKeys},
    jsonapi::ApiError,
    state::PatreonState,
};

/// The largest response kept (a members page of 1,000 with every include is about 1 MB).
const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;

/// Responses kept in memory, up to a total size.
#[derive(Debug)]
pub struct ResponseCache {
    entries: Cache<Key, Arc<Entry>, BodyWeight>,
    probe: VersionProbe,
    hits: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// Path and query, exactly as requested.
    target: String,
    /// SHA-256 of the bearer token (scopes and user follow from it).
    token: [u8; 32],
}

/// A [`Key`] borrowed from the request, so a hit allocates nothing to look itself up (the
/// derived hashes of the two agree field by field).
#[derive(Hash)]
struct KeyRef<'a> {
    target: &'a str,
    token: &'a [u8; 32],
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.target == key.target && *self.token == key.token
    }
}

#[derive(Debug)]
struct Entry {
    version: DataVersion,
    /// When the token the answer was made for expires.
    expires_at: DateTime<Utc>,
    limit_keys: LimitKeys,
    headers: HeaderMap,
    body: axum::body::Bytes,
}

#[derive(Debug, Clone)]
struct BodyWeight;

impl Weighter<Key, Arc<Entry>> for BodyWeight {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        (key.target.len() + entry.body.len() + 256) as u64
    }
}

impl ResponseCache {
    /// A cache of at most `bytes` over `store`'s data version; `None` when `bytes` is 0 (off).
    pub fn new(store: &Store, bytes: u64) -> Option<Arc<Self>> {
        (bytes > 0).then(|| {
            Arc::new(Self {
                // quick_cache wants an item estimate: assume 8 KiB answers.
                entries: Cache::with_weighter(
                    usize::try_from(bytes / 8192).unwrap_or(usize::MAX).max(16),
                    bytes,
                    BodyWeight,
                ),
                probe: store.version_probe(),
                hits: AtomicU64::new(0),
            })
        })
    }

    /// How many requests were answered from memory so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

/// Middleware over every API route: answers a repeated `GET` from the cache, or runs the
/// handler (with the caller already authenticated) and keeps a `200`. Its state is behind one
/// `Arc`, so a hit does not clone every handle the handlers need.
pub(crate) async fn serve(
    State(state): State<Arc<PatreonState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(cache) = state.cache.as_deref() else {
        return next.run(request).await;
    };
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let Some(token) = crate::auth::bearer(request.headers()).map(|t| Sha256::digest(t).into())
    else {
        return next.run(request).await;
    };
    let version = match cache.probe.current().await {
        Ok(version) => version,
        Err(err) => {
            tracing::warn!(error = %err, "reading the data version failed; not caching");
            return next.run(request).await;
        }
    };
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path(), |pq| pq.as_str());
    let now = state.clock.now();
    let hit = cache
        .entries
        .get(&KeyRef {
            target,
            token: &token,
        })
        .filter(|e| e.version == version && e.expires_at > now);
    if let Some(entry) = hit {
        if let Err(err) = entry.limit_keys.count(&state) {
            return err.into_response();
        }
        cache.hits.fetch_add(1, Ordering::Relaxed);
        let mut response = Response::new(Body::from(entry.body.clone()));
        *response.headers_mut() = entry.headers.clone();
        return response;
    }
    let key = Key {
        target: target.to_owned(),
        token,
    };
    let caller = match Caller::authenticate(&state, request.headers()).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    let (expires_at, limit_keys) = (caller.expires_at, caller.limit_keys());
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    let small = response
        .body()
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_ENTRY_BYTES as u64);
    if response.status() != StatusCode::OK || !small {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_ENTRY_BYTES).await else {
        return ApiError::internal().into_response();
    };
    cache.entries.insert(
        key,
        Arc::new(Entry {
            version,
            expires_at,
            limit_keys,
            headers: parts.headers.clone(),
            body: body.clone(),
        }),
    );
    Response::from_parts(parts, Body::from(body))
}
