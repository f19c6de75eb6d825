//! A webhook receiver on 127.0.0.1 (axum) that verifies each delivery the way integrations do:
//! `X-Patreon-Signature` as WordPress's plugin (`hash_hmac('md5', raw, secret)`, constant-time
//! compare) and `webhook-signature` as the Standard Webhooks libraries (HMAC-SHA256 over
//! `id.timestamp.body` with the base64 key after `whsec_`). Written here from the specs, not
//! with the server's signing code.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU16, AtomicU64, Ordering},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub webhook_id: String,
    pub body: serde_json::Value,
    pub md5_ok: bool,
    pub standard_ok: bool,
}

/// The receiver: what it got, and the status it answers with.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    secret: Arc<Mutex<String>>,
}

/// Patreon's check: lowercase hex HMAC-MD5 of the raw body.
pub fn md5_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<md5::Md5>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    expected.as_bytes().ct_eq(signature.as_bytes()).into()
}

/// Standard Webhooks' check: any `v1,` signature in the space-separated list matches.
pub fn standard_valid(secret: &str, id: &str, ts: &str, body: &[u8], header: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    header.split(' ').any(|sig| {
        sig.strip_prefix("v1,")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
    })
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let secret = r.secret.lock().unwrap().clone();
    let received = Received {
        event: h("x-patreon-event"),
        webhook_id: h("webhook-id"),
        body: serde_json::from_slice(&body).unwrap_or_default(),
        md5_ok: md5_valid(&secret, &body, &h("x-patreon-signature")),
        standard_ok: standard_valid(
            &secret,
            &h("webhook-id"),
            &h("webhook-timestamp"),
            &body,
            &h("webhook-signature"),
        ),
    };
    let delay = r.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    r.got.lock().unwrap().push(received);
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
}

impl Receiver {
    /// Listens on a free loopback port, answering 200.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let receiver = Self {
            url: format!("http://{addr}/hook"),
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            delay_ms: Arc::default(),
            secret: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// The secret to verify with (the webhook's, once created).
    pub fn set_secret(&self, secret: &str) {
        *self.secret.lock().unwrap() = secret.to_owned();
    }

    /// Answer with `status` from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Answer only after `ms` milliseconds from now on (a receiver that takes its time).
    pub fn delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// How many deliveries arrived so far.
    pub fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Everything received so far.
    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until at least `n` deliveries arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} deliveries, got {}", self.got().len());
    }
}

/// The verifiers themselves pass the published vectors.
#[test]
fn the_receivers_checks_pass_the_published_vectors() {
    assert!(md5_valid(
        "hereisaverycomplexsecret",
        br#"{"data":{"id":"1","type":"member"}}"#,
        "b5f438cd7c9c33d66c91e92ec92fdd88"
    ));
    assert!(!md5_valid(
        "hereisaverycomplexsecret",
        br#"{"data":{"id":"2","type":"member"}}"#,
        "b5f438cd7c9c33d66c91e92ec92fdd88"
    ));
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let id = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    assert!(standard_valid(
        secret,
        id,
        "1649367553",
        body,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    ));
    assert!(standard_valid(
        secret,
        id,
        "1649367553",
        body,
        "v1,bm9ldHU= v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    ));
    assert!(!standard_valid(
        secret,
        id,
        "1649367554",
        body,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    ));
}
