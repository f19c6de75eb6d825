//! One WebSocket connection: the Centrifugo v2 state machine (connect first, then subscribe,
//! unsubscribe, ping), its reader and writer halves, liveness (WS pings, stale and read
//! deadlines), expiry of its tokens, a command rate limit and the close path.

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{
        State,
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode, header::ORIGIN},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream::SplitStream};
use maecenas_types::ConnectionSlot;
use tokio::{
    sync::watch,
    time::{Duration, Instant, sleep_until, timeout},
};
use uuid::Uuid;

use crate::{
    Realtime,
    hub::{Closer, Outbox, RecoverFrom, Snapshot, SubscribeError, Subscription},
    limit::TokenBucket,
    protocol::{
        ChannelParams, ClientInfo, Command, ConnectParams, ConnectResult, Disconnect, Empty,
        EmptyReply, ErrorCode, ErrorReply, Method, ResultReply, SERVER_VERSION, SubscribeParams,
        SubscribeResult, decode_commands, encode,
    },
    token::TokenError,
    writer::{Writer, write_loop},
};

/// Namespaces that exist (`specs/donationalerts-centrifugo.md` §7.3); others get 102.
const NAMESPACES: [&str; 3] = ["alerts", "goals", "polls"];
/// Longest channel name (Centrifugo: 255).
const MAX_CHANNEL_LEN: usize = 255;
/// How long to wait for the client's close frame after ours.
const LINGER: Duration = Duration::from_secs(1);

/// `GET /connection/websocket`: any subprotocol header is accepted and none is chosen (§1.1).
/// A browser `Origin` outside `allowed_origins` gets 403. The connection keeps its slot of
/// the server's connection cap while it lives.
pub(crate) async fn upgrade(
    State(rt): State<Realtime>,
    slot: Option<Extension<ConnectionSlot>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(ORIGIN).map(|v| v.to_str().unwrap_or("\u{0}"));
    if !rt.settings().origin_allowed(origin) {
        tracing::debug!(?origin, "websocket from an origin that is not allowed");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let config = rt.config();
    let limit = config.max_message_size;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(config.read_buffer_size)
        .write_buffer_size(config.write_buffer_size)
        .on_failed_upgrade(|err| tracing::debug!(error = %err, "websocket upgrade failed"))
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            run(rt, socket).await;
        })
}

/// How the reader stops.
enum Exit {
    /// Close with this code and reason.
    Close(Disconnect),
    /// The peer is gone or dead: no close frame.
    Drop,
}

struct Connected {
    info: ClientInfo,
    exp: Option<i64>,
}

struct Connection {
    rt: Realtime,
    client: String,
    outbox: Outbox,
    user: Option<Connected>,
    /// Subscribed channels and their subscription token's `exp`.
    subs: HashMap<String, Option<i64>>,
    bucket: TokenBucket,
}

async fn run(rt: Realtime, socket: WebSocket) {
    let config = rt.config().clone();
    let (sink, mut stream) = socket.split();
    let (tx, rx) = flume::bounded(config.queue_capacity);
    let (closer, closed) = Closer::new();
    let writer = tokio::spawn(write_loop(
        Writer {
            rx,
            closed: closed.clone(),
            ping_interval: config.ping_interval,
        },
        sink,
    ));
    let mut conn = Connection {
        client: Uuid::new_v4().to_string(),
        outbox: Outbox::new(tx, closer.clone()),
        user: None,
        subs: HashMap::new(),
        bucket: TokenBucket::new(config.command_burst, config.commands_per_second),
        rt,
    };
    let exit = conn.read_loop(&mut stream, closed).await;
    for channel in conn.subs.keys() {
        conn.rt.broker().unsubscribe(channel, &conn.client);
    }
    drop(conn);
    match exit {
        Exit::Close(reason) => {
            closer.close(reason);
            let _ = writer.await;
            // Read until the client's close frame (or EOF), so unread input does not turn our
            // close into a reset.
            let _ = timeout(LINGER, async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        Exit::Drop => writer.abort(),
    }
}

impl Connection {
    async fn read_loop(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        mut closed: watch::Receiver<Option<Disconnect>>,
    ) -> Exit {
        let config = self.rt.config().clone();
        // Centrifugo allows 10/9 of the ping interval (a pong within 2.8 s of each ping); twice
        // the interval still finds a dead peer within 50 s without dropping a client that was
        // busy for a few seconds. Any frame counts, not only pongs.
        let read_window = config.ping_interval * 2;
        let mut deadline = Instant::now() + config.connect_timeout;
        let mut expiry = tokio::time::interval(config.ping_interval);
        let mut shutdown = self.rt.shutting_down();
        if *shutdown.borrow_and_update() {
            return Exit::Close(Disconnect::SHUTDOWN);
        }
        loop {
            tokio::select! {
                biased;
                _ = closed.changed() => {
                    // The hub closed us (slow): the first reason is the one the writer sends.
                    return closed.borrow().map_or(Exit::Drop, Exit::Close);
                }
                _ = shutdown.changed() => return Exit::Close(Disconnect::SHUTDOWN),
                () = sleep_until(deadline) => {
                    return if self.user.is_none() { Exit::Close(Disconnect::STALE) } else { Exit::Drop };
                }
                _ = expiry.tick() => {
                    if let Err(exit) = self.check_expiry() {
                        return exit;
                    }
                }
                message = stream.next() => {
                    let text = match message {
                        None | Some(Ok(Message::Close(_))) => return Exit::Drop,
                        Some(Err(err)) => return read_error(err),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(bytes))) => match Utf8Bytes::try_from(bytes) {
                            Ok(text) => text,
                            Err(_) => return Exit::Close(Disconnect::BAD_REQUEST),
                        },
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                            if self.user.is_some() {
                                deadline = Instant::now() + read_window;
                            }
                            continue;
                        }
                    };
                    if let Err(exit) = self.handle_frame(text.as_str()).await {
                        return exit;
                    }
                    if self.user.is_some() {
                        deadline = Instant::now() + read_window;
                    }
                }
            }
        }
    }

    async fn handle_frame(&mut self, frame: &str) -> Result<(), Exit> {
        let commands = decode_commands(frame).map_err(|_| Exit::Close(Disconnect::BAD_REQUEST))?;
        for cmd in commands {
            if cmd.method == Method::Subscribe && cmd.id != 0 && self.user.is_some() {
                // The broker may ask Redis: boxed, so idle connections do not carry the
                // subscribe future's space.
                if !self.bucket.take() {
                    self.error(cmd.id, ErrorCode::TOO_MANY_REQUESTS)?;
                    continue;
                }
                Box::pin(self.subscribe(&cmd)).await?;
            } else {
                self.handle(cmd)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, cmd: Command) -> Result<(), Exit> {
        // Only `send` may have id 0; before connect, only connect is allowed (§1.4).
        if cmd.id == 0 && cmd.method != Method::Send {
            return Err(Exit::Close(Disconnect::BAD_REQUEST));
        }
        if self.user.is_none() && cmd.method != Method::Connect {
            return Err(Exit::Close(Disconnect::BAD_REQUEST));
        }
        // Rate limit: Centrifugo v2 has none built in, but reserves 111 "too many requests".
        // A command over the limit gets that error and is not executed; the connection stays
        // open, and a flooder that does not read its replies fills its queue and is closed
        // with 3008 like any slow client.
        if !self.bucket.take() {
            return self.error(cmd.id, ErrorCode::TOO_MANY_REQUESTS);
        }
        match cmd.method {
            Method::Connect => self.connect(&cmd),
            // Handled by `handle_frame`; with id 0 or before connect it never gets here.
            Method::Subscribe => Err(bad_request()),
            Method::Unsubscribe => self.unsubscribe(&cmd),
            Method::Ping => self.send(&EmptyReply { id: cmd.id }),
            // `send` is fire-and-forget and there is no message handler: ignored, no reply.
            Method::Send => Ok(()),
            // Clients may not publish (Centrifugo's default: permission denied).
            Method::Publish => self.error(cmd.id, ErrorCode::PERMISSION_DENIED),
            Method::Presence
            | Method::PresenceStats
            | Method::History
            | Method::Rpc
            | Method::Refresh
            | Method::SubRefresh => self.error(cmd.id, ErrorCode::NOT_AVAILABLE),
            Method::Unknown(_) => self.error(cmd.id, ErrorCode::METHOD_NOT_FOUND),
        }
    }

    fn connect(&mut self, cmd: &Command) -> Result<(), Exit> {
        if self.user.is_some() {
            return Err(Exit::Close(Disconnect::BAD_REQUEST));
        }
        let params: ConnectParams = cmd.params().map_err(|_| bad_request())?;
        if params.token.is_empty() {
            // No credentials and no anonymous access.
            return Err(Exit::Close(Disconnect::BAD_REQUEST));
        }
        let now = self.rt.now();
        let claims = match self.rt.key().verify_connection(&params.token, now) {
            Ok(claims) => claims,
            // An expired token is an error reply: the client may refresh and connect again.
            Err(TokenError::Expired) => return self.error(cmd.id, ErrorCode::TOKEN_EXPIRED),
            Err(TokenError::Invalid | TokenError::Mismatch) => {
                return Err(Exit::Close(Disconnect::INVALID_TOKEN));
            }
        };
        let result = ConnectResult {
            client: self.client.clone(),
            version: SERVER_VERSION,
            expires: claims.exp.is_some(),
            ttl: ttl(claims.exp, now.timestamp()),
        };
        self.user = Some(Connected {
            info: ClientInfo {
                user: claims.user,
                client: self.client.clone(),
            },
            exp: claims.exp,
        });
        self.send(&ResultReply { id: cmd.id, result })
    }

    async fn subscribe(&mut self, cmd: &Command) -> Result<(), Exit> {
        let params: SubscribeParams = cmd.params().map_err(|_| bad_request())?;
        let channel = params.channel.as_str();
        if channel.is_empty() {
            return Err(bad_request());
        }
        if channel.len() > MAX_CHANNEL_LEN || self.subs.len() >= self.rt.config().max_channels {
            return self.error(cmd.id, ErrorCode::LIMIT_EXCEEDED);
        }
        if self.subs.contains_key(channel) {
            return self.error(cmd.id, ErrorCode::ALREADY_SUBSCRIBED);
        }
        let private = channel.starts_with('$');
        let namespace = channel
            .trim_start_matches('$')
            .split_once(':')
            .map(|(ns, _)| ns);
        if !namespace.is_some_and(|ns| NAMESPACES.contains(&ns)) {
            return self.error(cmd.id, ErrorCode::UNKNOWN_CHANNEL);
        }
        let now = self.rt.now();
        let mut exp = None;
        if private {
            let verified =
                self.rt
                    .key()
                    .verify_subscription(&params.token, &self.client, channel, now);
            match verified {
                Ok(claims) => exp = claims.exp,
                Err(TokenError::Expired) => return self.error(cmd.id, ErrorCode::TOKEN_EXPIRED),
                Err(TokenError::Invalid | TokenError::Mismatch) => {
                    return self.error(cmd.id, ErrorCode::PERMISSION_DENIED);
                }
            }
        }
        let recover = params.recover.then(|| RecoverFrom {
            seq: params.seq,
            epoch: params.epoch.clone(),
        });
        let asked = recover.is_some();
        let ttl = ttl(exp, now.timestamp());
        let reply = |s: &Snapshot<'_>| {
            let mut result = SubscribeResult {
                expires: exp.is_some(),
                ttl,
                ..SubscribeResult::default()
            };
            if asked {
                result.recoverable = true;
                result.seq = s.seq;
                result.epoch = s.epoch;
                result.publications.clone_from(&s.missed);
                result.recovered = s.recovered;
            }
            encode(&ResultReply { id: cmd.id, result })
        };
        let Some(user) = &self.user else {
            return Err(bad_request());
        };
        let subscription = Subscription {
            channel,
            info: &user.info,
            outbox: self.outbox.clone(),
            recover,
        };
        match self.rt.broker().subscribe(subscription, &reply).await {
            Ok(()) => {
                self.subs.insert(channel.to_owned(), exp);
                Ok(())
            }
            Err(SubscribeError::Encode | SubscribeError::Unavailable) => {
                self.error(cmd.id, ErrorCode::INTERNAL)
            }
            Err(SubscribeError::Closed) => Err(Exit::Close(Disconnect::SLOW)),
        }
    }

    fn unsubscribe(&mut self, cmd: &Command) -> Result<(), Exit> {
        let params: ChannelParams = cmd.params().map_err(|_| bad_request())?;
        if params.channel.is_empty() {
            return Err(bad_request());
        }
        if self.subs.remove(&params.channel).is_some() {
            self.rt.broker().unsubscribe(&params.channel, &self.client);
        }
        self.send(&ResultReply {
            id: cmd.id,
            result: Empty {},
        })
    }

    /// Token expiry, checked on every ping tick: there is no refresh (108), so an expired
    /// connection closes with 3005 and an expired subscription with 3006 (both reconnect).
    fn check_expiry(&self) -> Result<(), Exit> {
        let now = self.rt.now().timestamp();
        let past = |exp: &Option<i64>| exp.is_some_and(|exp| now >= exp);
        if self.user.as_ref().is_some_and(|u| past(&u.exp)) {
            return Err(Exit::Close(Disconnect::EXPIRED));
        }
        if self.subs.values().any(past) {
            return Err(Exit::Close(Disconnect::SUBSCRIPTION_EXPIRED));
        }
        Ok(())
    }

    fn error(&self, id: u32, error: ErrorCode) -> Result<(), Exit> {
        if id == 0 {
            return Ok(());
        }
        self.send(&ErrorReply { id, error })
    }

    fn send<T: serde::Serialize>(&self, message: &T) -> Result<(), Exit> {
        let frame = encode(message).map_err(|_| Exit::Close(Disconnect::SERVER_ERROR))?;
        if self.outbox.push(Utf8Bytes::from(frame)) {
            Ok(())
        } else {
            Err(Exit::Close(Disconnect::SLOW))
        }
    }
}

fn bad_request() -> Exit {
    Exit::Close(Disconnect::BAD_REQUEST)
}

/// Seconds from `now` until `exp` (0 without one).
fn ttl(exp: Option<i64>, now: i64) -> u64 {
    exp.map_or(0, |exp| u64::try_from(exp - now).unwrap_or(0))
}

/// A message over the size limit closes with 1009 (RFC 6455 §7.4.1); any other read error
/// means the peer is gone or broke the protocol.
fn read_error(err: axum::Error) -> Exit {
    let inner = err.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Exit::Close(Disconnect::MESSAGE_TOO_BIG),
        _ => Exit::Drop,
    }
}
