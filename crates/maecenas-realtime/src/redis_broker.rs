//! The Redis broker, for several instances behind one address: publications, JOIN and LEAVE go
//! through one Redis pub/sub channel that every instance listens to, and each channel's `seq`,
//! epoch and 100-entry history live in Redis (a hash and a list, changed by Lua scripts), so
//! `recover` answers the same on every instance — Centrifugo's Redis engine, simplified.
//!
//! Ordering: the subscribe script reads the snapshot and publishes the subscriber's JOIN in one
//! step, so everything before that JOIN in the pub/sub stream is in the snapshot and everything
//! after it is live. A joining subscriber gets nothing until its own JOIN arrives, and nothing
//! before its reply is queued: reply, JOIN, publications — as the in-process hub sends them.
//!
//! Exactly once: a publication may carry a `once` key (the event id); the publish script
//! claims it with `SET NX` in the same step, so of several instances reading the same event
//! log, one publishes. Redis down: publishing and subscribing fail (logged by the caller, error
//! 100 to the client); the listener reconnects with a back-off and says so in the log.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError, Weak},
    time::Duration,
};

use axum::extract::ws::Utf8Bytes;
use futures::{StreamExt, future::BoxFuture};
use redis::{AsyncCommands, Script, aio::ConnectionManager};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::{
    sync::{OnceCell, watch},
    task::JoinHandle,
};

use crate::{
    hub::{
        Broker, BrokerError, JOIN_LEAVE_LIMIT, Publish, ReplyBuilder, SubscribeError, Subscriber,
        Subscription, join_leave, new_epoch, snapshot,
    },
    protocol::{Publication, PushType},
};

/// How long a channel's seq and epoch outlive its last publication or subscription.
const META_TTL_SECS: u64 = 30 * 24 * 3600;
/// How long a channel's history outlives its last publication.
const HISTORY_TTL_SECS: u64 = 24 * 3600;
/// How long a `once` key is remembered.
const ONCE_TTL_SECS: u64 = 24 * 3600;
/// Longest wait for a Redis answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// seq, history and the publication message, in one step. KEYS: meta, history, [once].
/// ARGV: data, channel as JSON, channel, history size, history TTL, new epoch, pub/sub channel,
/// once TTL, meta TTL. Returns the seq, or -1 when the once key was taken.
const PUBLISH: &str = r#"
if KEYS[3] then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[8]) then return -1 end
end
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[6])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('EXPIRE', KEYS[1], ARGV[9])
local pub = '{"seq":' .. seq .. ',"data":' .. ARGV[1] .. '}'
redis.call('LPUSH', KEYS[2], pub)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[7], 'p ' .. ARGV[3] .. '\n{"result":{"channel":' .. ARGV[2] .. ',"data":' .. pub .. '}}\n')
return seq
"#;

/// The snapshot and the JOIN message, in one step. KEYS: meta, history. ARGV: new epoch, meta
/// TTL, "1" to read the history, pub/sub channel, JOIN message.
const SUBSCRIBE: &str = r"
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local meta = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
local history = {}
if ARGV[3] == '1' then history = redis.call('LRANGE', KEYS[2], 0, -1) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {meta[1] or '0', meta[2], history}
";

/// Where a joining subscriber is.
enum State {
    Active,
    Joining {
        /// Its own JOIN came through the listener: what follows is live.
        join_seen: bool,
        /// Its subscribe reply is queued: live frames may be queued too.
        reply_queued: bool,
        /// Live frames that arrived before the reply was queued.
        held: Vec<Utf8Bytes>,
    },
}

struct Member {
    sub: Subscriber,
    state: State,
}

impl Member {
    /// Queues `frame` as the state allows; `own_join` marks this member's own JOIN.
    fn offer(&mut self, frame: &Utf8Bytes, own_join: bool) {
        match &mut self.state {
            State::Active => {
                self.sub.outbox.push(frame.clone());
            }
            State::Joining {
                join_seen,
                reply_queued,
                held,
            } => {
                if own_join {
                    *join_seen = true;
                }
                if !*join_seen {
                    return;
                }
                if *reply_queued {
                    self.sub.outbox.push(frame.clone());
                    self.state = State::Active;
                } else {
                    held.push(frame.clone());
                }
            }
        }
    }

    /// The reply is queued: send what was held, if the JOIN came already.
    fn reply_queued(&mut self) {
        let State::Joining {
            join_seen,
            reply_queued,
            held,
        } = &mut self.state
        else {
            return;
        };
        *reply_queued = true;
        if *join_seen {
            for frame in held.drain(..) {
                self.sub.outbox.push(frame);
            }
            self.state = State::Active;
        }
    }
}

struct Keys {
    prefix: String,
    pubsub: String,
}

impl Keys {
    fn meta(&self, channel: &str) -> String {
        format!("{}:meta:{channel}", self.prefix)
    }
    fn history(&self, channel: &str) -> String {
        format!("{}:history:{channel}", self.prefix)
    }
    fn once(&self, key: &str) -> String {
        format!("{}:once:{key}", self.prefix)
    }
}

struct Shared {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    keys: Keys,
    history_size: usize,
    publish: Script,
    subscribe: Script,
    local: Mutex<HashMap<String, HashMap<String, Member>>>,
    /// Whether the listener is subscribed: a JOIN published while it is not would be missed.
    listening: watch::Sender<bool>,
}

/// The multi-instance broker. Dropping it stops its listener.
pub struct RedisBroker {
    shared: Arc<Shared>,
    listener: JoinHandle<()>,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("prefix", &self.shared.keys.prefix)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisBroker {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Checks a Redis URL without connecting.
pub fn check_url(url: &str) -> Result<(), String> {
    redis::Client::open(url)
        .map(drop)
        .map_err(|err| err.to_string())
}

impl RedisBroker {
    /// A broker on the Redis at `url` whose keys and channel start with `prefix`; starts the
    /// listener (call inside a Tokio runtime). Connects lazily and reconnects by itself.
    pub fn new(url: &str, prefix: &str, history_size: usize) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|err| err.to_string())?;
        let shared = Arc::new(Shared {
            client,
            conn: OnceCell::new(),
            keys: Keys {
                prefix: prefix.to_owned(),
                pubsub: format!("{prefix}:publications"),
            },
            history_size: history_size.max(1),
            publish: Script::new(PUBLISH),
            subscribe: Script::new(SUBSCRIBE),
            local: Mutex::new(HashMap::new()),
            listening: watch::Sender::new(false),
        });
        let listener = tokio::spawn(listen(Arc::downgrade(&shared)));
        Ok(Self { shared, listener })
    }
}

impl Shared {
    fn local(&self) -> MutexGuard<'_, HashMap<String, HashMap<String, Member>>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn conn(&self) -> Result<ConnectionManager, BrokerError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_connection_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(1);
        let connect = self
            .conn
            .get_or_try_init(|| self.client.get_connection_manager_with_config(config));
        match tokio::time::timeout(RESPONSE_TIMEOUT, connect).await {
            Ok(conn) => conn.cloned().map_err(unavailable),
            Err(_) => Err(BrokerError::Unavailable("Redis did not answer".into())),
        }
    }

    /// Waits (briefly) until the listener is subscribed.
    async fn listening(&self) -> bool {
        let mut listening = self.listening.subscribe();
        tokio::time::timeout(RESPONSE_TIMEOUT, listening.wait_for(|on| *on))
            .await
            .is_ok_and(|on| on.is_ok())
    }

    /// One message from the pub/sub channel: `p <channel>`, `j <client> <channel>` or
    /// `l <channel>`, a newline, the frame.
    fn deliver(&self, payload: &[u8]) {
        let Some(split) = payload.iter().position(|b| *b == b'\n') else {
            return;
        };
        let (Ok(header), Ok(frame)) = (
            std::str::from_utf8(&payload[..split]),
            Utf8Bytes::try_from(axum::body::Bytes::copy_from_slice(&payload[split + 1..])),
        ) else {
            return;
        };
        let (joining, presence, channel) = match header.split_once(' ') {
            Some(("j", rest)) => match rest.split_once(' ') {
                Some((client, channel)) => (Some(client), true, channel),
                None => return,
            },
            Some(("l", channel)) => (None, true, channel),
            Some(("p", channel)) => (None, false, channel),
            _ => return,
        };
        let mut local = self.local();
        let Some(members) = local.get_mut(channel) else {
            return;
        };
        // As the in-process hub: JOIN and LEAVE reach everybody only in small channels.
        let crowd = presence && members.len() > JOIN_LEAVE_LIMIT;
        for (client, member) in members.iter_mut() {
            let own = joining == Some(client.as_str());
            if !crowd || own {
                member.offer(&frame, own);
            }
        }
    }

    /// After a reconnect: JOINs sent meanwhile may be lost, so nobody waits for theirs.
    fn activate_all(&self) {
        for members in self.local().values_mut() {
            for member in members.values_mut() {
                if let State::Joining {
                    reply_queued: true, ..
                } = member.state
                {
                    member.state = State::Active;
                }
            }
        }
    }

    fn remove(&self, channel: &str, client: &str) -> Option<Member> {
        let mut local = self.local();
        let members = local.get_mut(channel)?;
        let gone = members.remove(client);
        if members.is_empty() {
            local.remove(channel);
        }
        gone
    }

    async fn publish(&self, p: Publish<'_>) -> Result<Option<u64>, BrokerError> {
        if p.channel.contains('\n') {
            return Ok(None);
        }
        let channel_json = serde_json::to_string(p.channel).map_err(BrokerError::Encode)?;
        let mut conn = self.conn().await?;
        let mut invocation = self.publish.prepare_invoke();
        invocation
            .key(self.keys.meta(p.channel))
            .key(self.keys.history(p.channel));
        if let Some(once) = p.once {
            invocation.key(self.keys.once(once));
        }
        invocation
            .arg(p.data.get())
            .arg(channel_json)
            .arg(p.channel)
            .arg(self.history_size)
            .arg(HISTORY_TTL_SECS)
            .arg(new_epoch())
            .arg(&self.keys.pubsub)
            .arg(ONCE_TTL_SECS)
            .arg(META_TTL_SECS);
        let seq: i64 = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(u64::try_from(seq).ok())
    }

    async fn subscribe(
        &self,
        sub: Subscription<'_>,
        reply: ReplyBuilder<'_>,
    ) -> Result<(), SubscribeError> {
        let channel = sub.channel;
        let client = sub.info.client.clone();
        let join = join_leave(PushType::Join, channel, sub.info).ok_or(SubscribeError::Encode)?;
        if channel.contains('\n') {
            return Err(SubscribeError::Encode);
        }
        let Ok(mut conn) = self.conn().await else {
            return Err(SubscribeError::Unavailable);
        };
        if !self.listening().await {
            return Err(SubscribeError::Unavailable);
        }
        let want_history = sub.recover.is_some();
        // Joining before the script runs, so the JOIN it publishes cannot pass us by.
        self.local().entry(channel.to_owned()).or_default().insert(
            client.clone(),
            Member {
                sub: Subscriber {
                    info: sub.info.clone(),
                    outbox: sub.outbox.clone(),
                },
                state: State::Joining {
                    join_seen: false,
                    reply_queued: false,
                    held: Vec::new(),
                },
            },
        );
        let answer: Result<(String, String, Vec<String>), _> = self
            .subscribe
            .key(self.keys.meta(channel))
            .key(self.keys.history(channel))
            .arg(new_epoch())
            .arg(META_TTL_SECS)
            .arg(if want_history { "1" } else { "0" })
            .arg(&self.keys.pubsub)
            .arg(format!("j {client} {channel}\n{}", join.as_str()))
            .invoke_async(&mut conn)
            .await;
        let Ok((seq, epoch, history)) = answer else {
            self.remove(channel, &client);
            return Err(SubscribeError::Unavailable);
        };
        let stored: Vec<Stored> = history
            .iter()
            .filter_map(|entry| serde_json::from_str(entry).ok())
            .collect();
        let newest_first = stored.iter().map(|p| Publication {
            seq: p.seq,
            data: &p.data,
        });
        let snap = snapshot(
            seq.parse().unwrap_or(0),
            &epoch,
            newest_first,
            sub.recover.as_ref(),
        );
        let frame = reply(&snap).map_err(|_| SubscribeError::Encode);
        let mut local = self.local();
        let member = local
            .get_mut(channel)
            .and_then(|members| members.get_mut(&client));
        let Some(member) = member else {
            // Unsubscribed (the connection went) while the script ran.
            return Err(SubscribeError::Closed);
        };
        let queued = frame.map(|f| member.sub.outbox.push(Utf8Bytes::from(f)));
        match queued {
            Ok(true) => {
                member.reply_queued();
                Ok(())
            }
            failed => {
                drop(local);
                self.remove(channel, &client);
                Err(failed.err().unwrap_or(SubscribeError::Closed))
            }
        }
    }
}

#[derive(Deserialize)]
struct Stored {
    seq: u64,
    data: Box<RawValue>,
}

fn unavailable(err: redis::RedisError) -> BrokerError {
    BrokerError::Unavailable(err.to_string())
}

/// Reads the pub/sub channel until the broker is dropped, reconnecting with a back-off.
async fn listen(shared: Weak<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut lost = false;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let (client, channel) = (strong.client.clone(), strong.keys.pubsub.clone());
        drop(strong);
        let pubsub = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(RESPONSE_TIMEOUT, pubsub).await {
            Ok(Ok(pubsub)) => {
                if lost {
                    tracing::info!(channel, "realtime-redis: listening again");
                    if let Some(shared) = shared.upgrade() {
                        shared.activate_all();
                    }
                }
                backoff = Duration::from_millis(100);
                if let Some(shared) = shared.upgrade() {
                    shared.listening.send_replace(true);
                }
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    shared.deliver(msg.get_payload_bytes());
                }
                if let Some(shared) = shared.upgrade() {
                    shared.listening.send_replace(false);
                }
                tracing::warn!(
                    channel,
                    "realtime-redis: lost the Redis pub/sub connection; reconnecting"
                );
            }
            Ok(Err(err)) => {
                tracing::warn!(channel, error = %err, retry_in = ?backoff, "realtime-redis: cannot listen");
            }
            Err(_) => {
                tracing::warn!(channel, retry_in = ?backoff, "realtime-redis: Redis did not answer");
            }
        }
        lost = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl Broker for RedisBroker {
    fn publish<'a>(&'a self, p: Publish<'a>) -> BoxFuture<'a, Result<Option<u64>, BrokerError>> {
        Box::pin(self.shared.publish(p))
    }

    fn subscribe<'a>(
        &'a self,
        sub: Subscription<'a>,
        reply: ReplyBuilder<'a>,
    ) -> BoxFuture<'a, Result<(), SubscribeError>> {
        Box::pin(self.shared.subscribe(sub, reply))
    }

    fn unsubscribe(&self, channel: &str, client: &str) {
        let Some(gone) = self.shared.remove(channel, client) else {
            return;
        };
        let Some(leave) = join_leave(PushType::Leave, channel, &gone.sub.info) else {
            return;
        };
        let message = format!("l {channel}\n{}", leave.as_str());
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let Ok(mut conn) = shared.conn().await else {
                return;
            };
            let sent: Result<i64, _> = conn.publish(&shared.keys.pubsub, message).await;
            if let Err(err) = sent {
                tracing::debug!(error = %err, "realtime-redis: LEAVE not published");
            }
        });
    }

    fn subscribers(&self, channel: &str) -> usize {
        self.shared.local().get(channel).map_or(0, HashMap::len)
    }
}

#[cfg(test)]
#[path = "redis_broker_tests.rs"]
mod tests;
