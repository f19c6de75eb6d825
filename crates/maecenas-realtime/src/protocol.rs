//! The Centrifugo v2 JSON client protocol as typed serde structs: commands in (method as a number
//! or a case-insensitive name), replies, pushes, error codes and disconnect codes
//! (`specs/donationalerts-centrifugo.md` §1.2–§1.6).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, de};
use serde_json::value::RawValue;

/// The server version a connect reply reports: the Centrifugo release whose protocol this is.
pub const SERVER_VERSION: &str = "2.8.6";

/// A command method (`MethodType` in `client.proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// 0; also what an omitted `method` means.
    #[default]
    Connect,
    /// 1.
    Subscribe,
    /// 2.
    Unsubscribe,
    /// 3.
    Publish,
    /// 4.
    Presence,
    /// 5.
    PresenceStats,
    /// 6.
    History,
    /// 7.
    Ping,
    /// 8: the only command that may carry id 0, and that gets no reply.
    Send,
    /// 9.
    Rpc,
    /// 10.
    Refresh,
    /// 11.
    SubRefresh,
    /// A number outside the enum: answered with error 104.
    Unknown(u64),
}

const NAMES: [(&str, Method); 12] = [
    ("connect", Method::Connect),
    ("subscribe", Method::Subscribe),
    ("unsubscribe", Method::Unsubscribe),
    ("publish", Method::Publish),
    ("presence", Method::Presence),
    ("presence_stats", Method::PresenceStats),
    ("history", Method::History),
    ("ping", Method::Ping),
    ("send", Method::Send),
    ("rpc", Method::Rpc),
    ("refresh", Method::Refresh),
    ("sub_refresh", Method::SubRefresh),
];

impl Method {
    fn from_number(n: u64) -> Self {
        usize::try_from(n)
            .ok()
            .and_then(|i| NAMES.get(i))
            .map_or(Self::Unknown(n), |(_, m)| *m)
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Method;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a method number or name")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Method, E> {
                Ok(Method::from_number(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Method, E> {
                u64::try_from(n)
                    .map(Method::from_number)
                    .map_err(|_| E::custom("negative method"))
            }
            // Go's `MethodType.UnmarshalJSON`: names match case-insensitively; an unknown name
            // is a decoding error (so the connection closes with 3003), unlike an unknown number.
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Method, E> {
                NAMES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, m)| *m)
                    .ok_or_else(|| E::custom("unknown method name"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One command from a client. Every field may be omitted.
#[derive(Debug, Deserialize)]
pub struct Command {
    /// Echoed in the reply; must be > 0 except for `send`.
    #[serde(default)]
    pub id: u32,
    /// The method; omitted means connect.
    #[serde(default)]
    pub method: Method,
    /// Method parameters, decoded once the method is known.
    #[serde(default)]
    pub params: Option<Box<RawValue>>,
}

impl Command {
    /// The params as `T`; missing params decode as `T::default()`.
    pub fn params<T: for<'de> Deserialize<'de> + Default>(&self) -> Result<T, serde_json::Error> {
        match &self.params {
            None => Ok(T::default()),
            Some(raw) => serde_json::from_str(raw.get()),
        }
    }
}

/// Why a frame could not be decoded: the connection closes with 3003.
#[derive(Debug)]
pub struct DecodeError;

/// The commands of one text frame. Like Go's streaming decoder, any whitespace separates them;
/// an empty frame or any invalid command fails the whole frame.
pub fn decode_commands(frame: &str) -> Result<Vec<Command>, DecodeError> {
    // Each value must be an object: serde would also take a struct from an array.
    let commands = serde_json::Deserializer::from_str(frame)
        .into_iter::<&RawValue>()
        .map(|raw| match raw {
            Ok(raw) if raw.get().starts_with('{') => {
                serde_json::from_str::<Command>(raw.get()).map_err(|_| DecodeError)
            }
            _ => Err(DecodeError),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if commands.is_empty() {
        return Err(DecodeError);
    }
    Ok(commands)
}

/// Connect params. Unknown keys (`name`, `version`, `data`, `subs`) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ConnectParams {
    /// The connection JWT.
    #[serde(default)]
    pub token: String,
}

/// Subscribe params.
#[derive(Debug, Default, Deserialize)]
pub struct SubscribeParams {
    /// The channel.
    #[serde(default)]
    pub channel: String,
    /// The subscription JWT (private channels).
    #[serde(default)]
    pub token: String,
    /// Whether the client asks for the publications it missed.
    #[serde(default)]
    pub recover: bool,
    /// The last seq the client saw.
    #[serde(default)]
    pub seq: u64,
    /// The epoch the client saw it in.
    #[serde(default)]
    pub epoch: String,
}

/// Unsubscribe params.
#[derive(Debug, Default, Deserialize)]
pub struct ChannelParams {
    /// The channel.
    #[serde(default)]
    pub channel: String,
}

/// A reply with a result.
#[derive(Debug, Serialize)]
pub struct ResultReply<T> {
    /// The command's id.
    pub id: u32,
    /// The result object.
    pub result: T,
}

/// The reply to ping: `{"id":N}`.
#[derive(Debug, Serialize)]
pub struct EmptyReply {
    /// The command's id.
    pub id: u32,
}

/// A reply carrying an error.
#[derive(Debug, Serialize)]
pub struct ErrorReply {
    /// The command's id.
    pub id: u32,
    /// The error.
    pub error: ErrorCode,
}

/// A result with no fields: `{}`.
#[derive(Debug, Default, Serialize)]
pub struct Empty {}

/// The connect result.
#[derive(Debug, Serialize)]
pub struct ConnectResult {
    /// The connection's UUIDv4.
    pub client: String,
    /// [`SERVER_VERSION`].
    pub version: &'static str,
    /// Whether the connection expires (its token had `exp`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expires: bool,
    /// Seconds until it expires.
    #[serde(skip_serializing_if = "is_zero")]
    pub ttl: u64,
}

/// The subscribe result; every field is omitted when empty, so a plain subscribe is `{}`.
#[derive(Debug, Default, Serialize)]
pub struct SubscribeResult<'a> {
    /// Whether the subscription expires (its token had `exp`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expires: bool,
    /// Seconds until it expires.
    #[serde(skip_serializing_if = "is_zero")]
    pub ttl: u64,
    /// Whether the channel can recover (set when the client asked to).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recoverable: bool,
    /// The channel's current seq.
    #[serde(skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The channel's epoch.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub epoch: &'a str,
    /// Missed publications, newest first (the legacy seq order).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub publications: Vec<Publication<'a>>,
    /// Whether every missed publication was recovered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// A publication: Go field order seq, gen, uid, data, info, offset; only seq and data are used.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Publication<'a> {
    /// The per-channel counter, from 1.
    #[serde(skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The published JSON, verbatim.
    pub data: &'a RawValue,
}

/// The kinds of asynchronous push; publication is 0 and its `type` key is omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushType {
    /// 0.
    Publication = 0,
    /// 1.
    Join = 1,
    /// 2.
    Leave = 2,
}

impl Serialize for PushType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

fn is_publication(t: &PushType) -> bool {
    *t == PushType::Publication
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A push: `{"result":{"type":T,"channel":C,"data":D}}` with no id.
#[derive(Debug, Serialize)]
pub struct PushFrame<'a, T> {
    /// The push.
    pub result: Push<'a, T>,
}

/// The push object.
#[derive(Debug, Serialize)]
pub struct Push<'a, T> {
    /// Omitted for publications.
    #[serde(rename = "type", skip_serializing_if = "is_publication")]
    pub kind: PushType,
    /// The channel.
    pub channel: &'a str,
    /// The payload.
    pub data: T,
}

/// Who joined or left.
#[derive(Debug, Clone, Serialize)]
pub struct ClientInfo {
    /// The connection token's `sub`.
    pub user: String,
    /// The connection's UUID.
    pub client: String,
}

/// The data of a JOIN or LEAVE push.
#[derive(Debug, Serialize)]
pub struct JoinLeave<'a> {
    /// The client.
    pub info: &'a ClientInfo,
}

/// An error in a reply (`cgo@v0.14.2:errors.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErrorCode {
    /// The number.
    pub code: u32,
    /// The fixed message.
    pub message: &'static str,
}

macro_rules! errors {
    ($($name:ident = $code:literal, $msg:literal;)+) => {
        impl ErrorCode {$(
            #[doc = concat!($code, ": ", $msg, ".")]
            pub const $name: Self = Self { code: $code, message: $msg };
        )+}
    };
}

errors! {
    INTERNAL = 100, "internal server error";
    UNAUTHORIZED = 101, "unauthorized";
    UNKNOWN_CHANNEL = 102, "unknown channel";
    PERMISSION_DENIED = 103, "permission denied";
    METHOD_NOT_FOUND = 104, "method not found";
    ALREADY_SUBSCRIBED = 105, "already subscribed";
    LIMIT_EXCEEDED = 106, "limit exceeded";
    BAD_REQUEST = 107, "bad request";
    NOT_AVAILABLE = 108, "not available";
    TOKEN_EXPIRED = 109, "token expired";
    EXPIRED = 110, "expired";
    TOO_MANY_REQUESTS = 111, "too many requests";
}

/// A server-side disconnect: a WS close with this code and a JSON reason
/// (`cgo@v0.14.2:disconnect.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect {
    /// The close code.
    pub code: u16,
    /// The reason.
    pub reason: &'static str,
    /// Whether the client should reconnect.
    pub reconnect: bool,
}

macro_rules! disconnects {
    ($($name:ident = $code:literal, $reason:literal, $reconnect:literal;)+) => {
        impl Disconnect {$(
            #[doc = concat!($code, ": ", $reason, ".")]
            pub const $name: Self = Self { code: $code, reason: $reason, reconnect: $reconnect };
        )+}
    };
}

disconnects! {
    NORMAL = 3000, "normal", true;
    SHUTDOWN = 3001, "shutdown", true;
    INVALID_TOKEN = 3002, "invalid token", false;
    BAD_REQUEST = 3003, "bad request", false;
    SERVER_ERROR = 3004, "internal server error", true;
    EXPIRED = 3005, "expired", true;
    SUBSCRIPTION_EXPIRED = 3006, "subscription expired", true;
    STALE = 3007, "stale", false;
    SLOW = 3008, "slow", true;
    WRITE_ERROR = 3009, "write error", true;
    INSUFFICIENT_STATE = 3010, "insufficient state", true;
    FORCE_RECONNECT = 3011, "force reconnect", true;
    FORCE_NO_RECONNECT = 3012, "force disconnect", false;
    CONNECTION_LIMIT = 3013, "connection limit", false;
    MESSAGE_TOO_BIG = 1009, "message too big", false;
}

#[derive(Serialize)]
struct CloseText<'a> {
    reason: &'a str,
    reconnect: bool,
}

impl Disconnect {
    /// The close frame's reason text: `{"reason":"…","reconnect":bool}` (always under 123 bytes).
    pub fn close_text(&self) -> String {
        serde_json::to_string(&CloseText {
            reason: self.reason,
            reconnect: self.reconnect,
        })
        .unwrap_or_default()
    }
}

/// One outgoing message: its JSON followed by `\n`.
pub fn encode<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string(message)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
