//! Channels and their subscribers: per-channel `seq` and a bounded history ring for recovery,
//! JOIN/LEAVE pushes, and a bounded outbound queue per connection — a connection whose queue is
//! full is closed with 3008 "slow" and nobody else waits for it. [`Broker`] is the seam:
//! [`Hub`] is the in-process broker, `crate::redis_broker::RedisBroker` the multi-instance one.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::extract::ws::Utf8Bytes;
use futures::future::BoxFuture;
use serde_json::value::RawValue;
use tokio::sync::watch;
use uuid::Uuid;

use crate::protocol::{
    ClientInfo, Disconnect, JoinLeave, Publication, Push, PushFrame, PushType, encode,
};

/// JOIN and LEAVE go to every subscriber of a channel while it has at most this many; above
/// it a joining client still gets its own JOIN (clients wait for it), nobody else does — so a
/// crowd subscribing to one channel costs O(n), not O(n²) pushes. DonationAlerts channels are a
/// creator's own (a few overlays and bots), far below it.
pub const JOIN_LEAVE_LIMIT: usize = 100;

/// Asks a connection to close; the first reason wins.
#[derive(Debug)]
pub struct Closer(watch::Sender<Option<Disconnect>>);

impl Closer {
    /// A closer and the receiver the connection watches.
    pub fn new() -> (Arc<Self>, watch::Receiver<Option<Disconnect>>) {
        let (tx, rx) = watch::channel(None);
        (Arc::new(Self(tx)), rx)
    }

    /// Closes the connection with `reason` unless it is already closing.
    pub fn close(&self, reason: Disconnect) {
        self.0.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(reason);
            }
            first
        });
    }
}

/// Where a connection's outgoing frames go: a bounded queue drained by its writer.
#[derive(Debug, Clone)]
///
/// The queue is a `flume` channel rather than tokio's `mpsc`, which allocates its first block
/// of 32 slots (about 1 KiB) when created: at 10,000 idle connections that was an eighth of
/// the memory per connection. flume allocates only while frames are queued.
pub struct Outbox {
    tx: flume::Sender<Utf8Bytes>,
    closer: Arc<Closer>,
}

impl Outbox {
    /// An outbox over `tx` that closes through `closer` when full.
    pub fn new(tx: flume::Sender<Utf8Bytes>, closer: Arc<Closer>) -> Self {
        Self { tx, closer }
    }

    /// Queues `frame`. A full queue means the client does not read fast enough: it is closed
    /// with 3008 and `false` is returned, as it is when the connection has gone.
    pub fn push(&self, frame: Utf8Bytes) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(flume::TrySendError::Full(_)) => {
                self.closer.close(Disconnect::SLOW);
                false
            }
            Err(flume::TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Where a resubscribing client left off.
#[derive(Debug, Clone, Default)]
pub struct RecoverFrom {
    /// The last seq it saw.
    pub seq: u64,
    /// The epoch it saw it in; empty means "whatever the current one is".
    pub epoch: String,
}

/// What a subscriber learns about the channel as it subscribes.
#[derive(Debug)]
pub struct Snapshot<'a> {
    /// The channel's current seq.
    pub seq: u64,
    /// The channel's epoch (changes when its history is lost, e.g. on restart).
    pub epoch: &'a str,
    /// Missed publications, newest first; empty unless recovery was asked for.
    pub missed: Vec<Publication<'a>>,
    /// Whether nothing the client asked for is missing.
    pub recovered: bool,
}

/// Why a subscribe failed.
#[derive(Debug)]
pub enum SubscribeError {
    /// The reply could not be encoded.
    Encode,
    /// The subscriber's queue is full or gone.
    Closed,
    /// The shared broker (Redis) did not answer.
    Unavailable,
}

/// A subscription request.
#[derive(Debug)]
pub struct Subscription<'a> {
    /// The channel.
    pub channel: &'a str,
    /// The subscriber, as JOIN/LEAVE pushes show it.
    pub info: &'a ClientInfo,
    /// Its outbox.
    pub outbox: Outbox,
    /// Where to recover from, if asked.
    pub recover: Option<RecoverFrom>,
}

/// Builds the subscribe reply from the snapshot; it is queued before any publication.
pub type ReplyBuilder<'r> = &'r (dyn Fn(&Snapshot<'_>) -> Result<String, serde_json::Error> + Sync);

/// Why a publication failed.
#[derive(Debug)]
pub enum BrokerError {
    /// The frame could not be encoded.
    Encode(serde_json::Error),
    /// The shared broker (Redis) did not answer.
    Unavailable(String),
}

impl std::fmt::Display for BrokerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Encode(err) => write!(f, "publication could not be encoded: {err}"),
            Self::Unavailable(err) => write!(f, "broker unavailable: {err}"),
        }
    }
}

impl std::error::Error for BrokerError {}

/// A publication to make.
#[derive(Debug)]
pub struct Publish<'a> {
    /// The channel.
    pub channel: &'a str,
    /// The data, as JSON.
    pub data: Box<RawValue>,
    /// A key naming what is published (e.g. an event id): of several publications with the
    /// same key only the first is made, whichever instance makes it.
    pub once: Option<&'a str>,
}

/// Publishing and subscribing, in process or across instances.
pub trait Broker: Send + Sync + std::fmt::Debug {
    /// Publishes; returns its seq, or `None` when a publication with the same `once` key was
    /// already made.
    fn publish<'a>(
        &'a self,
        publish: Publish<'a>,
    ) -> BoxFuture<'a, Result<Option<u64>, BrokerError>>;
    /// Adds a subscriber. Atomically with respect to publications: queues the reply built by
    /// `reply`, then (with the subscriber added) a JOIN push to every subscriber.
    fn subscribe<'a>(
        &'a self,
        sub: Subscription<'a>,
        reply: ReplyBuilder<'a>,
    ) -> BoxFuture<'a, Result<(), SubscribeError>>;
    /// Removes a subscriber and tells the others it left. A no-op when it was not subscribed.
    fn unsubscribe(&self, channel: &str, client: &str);
    /// How many connections are subscribed to `channel` on this instance.
    fn subscribers(&self, channel: &str) -> usize;
}

struct Stored {
    seq: u64,
    data: Arc<RawValue>,
}

pub(crate) struct Subscriber {
    pub(crate) info: ClientInfo,
    pub(crate) outbox: Outbox,
}

struct Channel {
    epoch: String,
    seq: u64,
    history: VecDeque<Stored>,
    subscribers: HashMap<String, Subscriber>,
}

impl Channel {
    fn new() -> Self {
        Self {
            epoch: new_epoch(),
            seq: 0,
            history: VecDeque::new(),
            subscribers: HashMap::new(),
        }
    }

    fn broadcast(&self, frame: &Utf8Bytes) {
        for sub in self.subscribers.values() {
            sub.outbox.push(frame.clone());
        }
    }

    fn snapshot(&self, from: Option<&RecoverFrom>) -> Snapshot<'_> {
        let newest_first = self.history.iter().rev().map(|p| Publication {
            seq: p.seq,
            data: &p.data,
        });
        snapshot(self.seq, &self.epoch, newest_first, from)
    }
}

/// Legacy seq recovery over a channel's history (newest first): publications after
/// `from.seq`. `recovered` is false when the epoch changed or the history no longer reaches
/// back far enough.
pub(crate) fn snapshot<'a>(
    seq: u64,
    epoch: &'a str,
    newest_first: impl Iterator<Item = Publication<'a>>,
    from: Option<&RecoverFrom>,
) -> Snapshot<'a> {
    let mut snapshot = Snapshot {
        seq,
        epoch,
        missed: Vec::new(),
        recovered: false,
    };
    let Some(from) = from else {
        return snapshot;
    };
    let same_epoch = from.epoch.is_empty() || from.epoch == epoch;
    let after = if same_epoch { from.seq } else { 0 };
    let mut oldest = seq + 1;
    for p in newest_first {
        oldest = p.seq;
        if p.seq > after {
            snapshot.missed.push(p);
        } else {
            break;
        }
    }
    snapshot.recovered = same_epoch && (from.seq >= seq || oldest <= from.seq + 1);
    snapshot
}

/// A new channel epoch: 8 hex characters.
pub(crate) fn new_epoch() -> String {
    let mut epoch = Uuid::new_v4().simple().to_string();
    epoch.truncate(8);
    epoch
}

/// The in-process broker.
#[derive(Debug)]
pub struct Hub {
    channels: Mutex<HashMap<String, Channel>>,
    history_size: usize,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("seq", &self.seq)
            .field("subscribers", &self.subscribers.len())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub keeping the last `history_size` publications of each channel.
    pub fn new(history_size: usize) -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
            history_size,
        }
    }

    fn channels(&self) -> MutexGuard<'_, HashMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn join_leave(kind: PushType, channel: &str, info: &ClientInfo) -> Option<Utf8Bytes> {
    let frame = PushFrame {
        result: Push {
            kind,
            channel,
            data: JoinLeave { info },
        },
    };
    encode(&frame).ok().map(Utf8Bytes::from)
}

impl Hub {
    /// Publishes `data` on `channel`; returns its seq.
    pub fn publish(&self, channel: &str, data: Box<RawValue>) -> Result<u64, serde_json::Error> {
        let mut channels = self.channels();
        let ch = channels
            .entry(channel.to_owned())
            .or_insert_with(Channel::new);
        let seq = ch.seq + 1;
        let frame = encode(&PushFrame {
            result: Push {
                kind: PushType::Publication,
                channel,
                data: Publication { seq, data: &data },
            },
        })?;
        ch.seq = seq;
        ch.history.push_back(Stored {
            seq,
            data: Arc::from(data),
        });
        while ch.history.len() > self.history_size {
            ch.history.pop_front();
        }
        ch.broadcast(&Utf8Bytes::from(frame));
        Ok(seq)
    }

    /// Adds a subscriber (see [`Broker::subscribe`]).
    pub fn subscribe(
        &self,
        sub: Subscription<'_>,
        reply: ReplyBuilder<'_>,
    ) -> Result<(), SubscribeError> {
        let mut channels = self.channels();
        let ch = channels
            .entry(sub.channel.to_owned())
            .or_insert_with(Channel::new);
        let frame =
            reply(&ch.snapshot(sub.recover.as_ref())).map_err(|_| SubscribeError::Encode)?;
        if !sub.outbox.push(Utf8Bytes::from(frame)) {
            return Err(SubscribeError::Closed);
        }
        let own = sub.outbox.clone();
        ch.subscribers.insert(
            sub.info.client.clone(),
            Subscriber {
                info: sub.info.clone(),
                outbox: sub.outbox,
            },
        );
        if let Some(join) = join_leave(PushType::Join, sub.channel, sub.info) {
            if ch.subscribers.len() <= JOIN_LEAVE_LIMIT {
                ch.broadcast(&join);
            } else {
                own.push(join);
            }
        }
        Ok(())
    }

    /// Removes a subscriber (see [`Broker::unsubscribe`]).
    pub fn unsubscribe(&self, channel: &str, client: &str) {
        let mut channels = self.channels();
        let Some(ch) = channels.get_mut(channel) else {
            return;
        };
        let leave = ch
            .subscribers
            .remove(client)
            .and_then(|gone| join_leave(PushType::Leave, channel, &gone.info));
        if let Some(leave) = leave.filter(|_| ch.subscribers.len() < JOIN_LEAVE_LIMIT) {
            ch.broadcast(&leave);
        }
        if ch.subscribers.is_empty() && ch.history.is_empty() {
            channels.remove(channel);
        }
    }

    /// How many connections are subscribed to `channel`.
    pub fn subscribers(&self, channel: &str) -> usize {
        self.channels()
            .get(channel)
            .map_or(0, |ch| ch.subscribers.len())
    }
}

impl Broker for Hub {
    fn publish<'a>(&'a self, p: Publish<'a>) -> BoxFuture<'a, Result<Option<u64>, BrokerError>> {
        let published = Hub::publish(self, p.channel, p.data)
            .map(Some)
            .map_err(BrokerError::Encode);
        Box::pin(std::future::ready(published))
    }

    fn subscribe<'a>(
        &'a self,
        sub: Subscription<'a>,
        reply: ReplyBuilder<'a>,
    ) -> BoxFuture<'a, Result<(), SubscribeError>> {
        Box::pin(std::future::ready(Hub::subscribe(self, sub, reply)))
    }

    fn unsubscribe(&self, channel: &str, client: &str) {
        Hub::unsubscribe(self, channel, client);
    }

    fn subscribers(&self, channel: &str) -> usize {
        Hub::subscribers(self, channel)
    }
}

#[cfg(test)]
#[path = "hub_tests.rs"]
mod tests;
