//! The Redis broker against a real Redis (`MAECENAS_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379/`): two brokers with one prefix stand for two instances. Each test
//! uses its own prefix.

use std::time::Duration;

use tokio::sync::watch;

use super::*;
use crate::{
    hub::{Closer, Outbox, RecoverFrom, Snapshot},
    protocol::{ClientInfo, Disconnect, ResultReply, SubscribeResult, encode},
};

const CH: &str = "$alerts:donation_42";

fn url() -> String {
    std::env::var("MAECENAS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn pair() -> (RedisBroker, RedisBroker) {
    let prefix = format!("mtest-{}", uuid::Uuid::new_v4().simple());
    (
        RedisBroker::new(&url(), &prefix, 3).unwrap(),
        RedisBroker::new(&url(), &prefix, 3).unwrap(),
    )
}

struct Conn {
    info: ClientInfo,
    rx: flume::Receiver<Utf8Bytes>,
    outbox: Outbox,
    _closed: watch::Receiver<Option<Disconnect>>,
}

fn conn(name: &str) -> Conn {
    let (tx, rx) = flume::bounded(64);
    let (closer, closed) = Closer::new();
    Conn {
        info: ClientInfo {
            user: "42".into(),
            client: name.into(),
        },
        rx,
        outbox: Outbox::new(tx, closer),
        _closed: closed,
    }
}

impl Conn {
    async fn next(&mut self) -> String {
        let frame = tokio::time::timeout(Duration::from_secs(5), self.rx.recv_async())
            .await
            .expect("a frame within 5 s")
            .expect("queue open");
        frame.as_str().to_owned()
    }

    async fn nothing(&mut self) {
        let got = tokio::time::timeout(Duration::from_millis(300), self.rx.recv_async()).await;
        assert!(got.is_err(), "unexpected frame {got:?}");
    }
}

fn reply(s: &Snapshot<'_>) -> Result<String, serde_json::Error> {
    encode(&ResultReply {
        id: 1,
        result: SubscribeResult {
            recoverable: true,
            seq: s.seq,
            epoch: "E",
            publications: s.missed.clone(),
            recovered: s.recovered,
            ..SubscribeResult::default()
        },
    })
}

async fn subscribe(broker: &RedisBroker, c: &mut Conn, recover: Option<RecoverFrom>) -> String {
    Broker::subscribe(
        broker,
        Subscription {
            channel: CH,
            info: &c.info,
            outbox: c.outbox.clone(),
            recover,
        },
        &reply,
    )
    .await
    .unwrap();
    let reply = c.next().await;
    let join = c.next().await;
    assert!(
        join.starts_with("{\"result\":{\"type\":1,") && join.contains(&c.info.client),
        "the JOIN follows the reply: {join}"
    );
    reply
}

async fn publish(broker: &RedisBroker, n: u64, once: Option<&str>) -> Option<u64> {
    let data = RawValue::from_string(format!("{{\"n\":{n}}}")).unwrap();
    Broker::publish(
        broker,
        Publish {
            channel: CH,
            data,
            once,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_publication_on_one_instance_reaches_a_subscriber_on_the_other() {
    let (a, b) = pair();
    let mut on_b = conn("on-b");
    let mut on_a = conn("on-a");
    subscribe(&b, &mut on_b, None).await;
    subscribe(&a, &mut on_a, None).await;
    // b's subscriber hears a's join (it went through Redis).
    assert!(on_b.next().await.contains("\"client\":\"on-a\""));
    assert_eq!(publish(&a, 1, None).await, Some(1));
    assert_eq!(
        publish(&b, 2, None).await,
        Some(2),
        "one seq for the channel"
    );
    let pub1 = "{\"result\":{\"channel\":\"$alerts:donation_42\",\"data\":{\"seq\":1,\"data\":{\"n\":1}}}}\n";
    for c in [&mut on_a, &mut on_b] {
        assert_eq!(c.next().await, pub1, "same bytes as the in-process hub");
        assert!(c.next().await.contains("\"seq\":2,"));
    }
    assert_eq!(Broker::subscribers(&b, CH), 1);
    Broker::unsubscribe(&a, CH, "on-a");
    let leave = on_b.next().await;
    assert!(
        leave.starts_with("{\"result\":{\"type\":2,") && leave.contains("on-a"),
        "{leave}"
    );
    assert_eq!(Broker::subscribers(&a, CH), 0);
}

#[tokio::test]
async fn of_two_instances_publishing_one_event_only_one_does() {
    let (a, b) = pair();
    let mut c = conn("c");
    subscribe(&b, &mut c, None).await;
    let (first, second) = tokio::join!(
        publish(&a, 1, Some("event:7")),
        publish(&b, 1, Some("event:7"))
    );
    assert_eq!(
        [first, second].iter().filter(|s| s.is_some()).count(),
        1,
        "{first:?} {second:?}"
    );
    assert!(c.next().await.contains("\"seq\":1,"));
    c.nothing().await;
    assert_eq!(publish(&a, 2, Some("event:8")).await, Some(2));
}

#[tokio::test]
async fn recovery_reads_the_shared_history_on_any_instance() {
    let (a, b) = pair();
    for n in 1..=5 {
        publish(&a, n, None).await;
    }
    // History keeps 3 (3..=5): from 3, 4 and 5 are missed and recovered.
    let mut c = conn("c");
    let from = RecoverFrom {
        seq: 3,
        epoch: String::new(),
    };
    let answer = subscribe(&b, &mut c, Some(from)).await;
    assert_eq!(
        answer,
        "{\"id\":1,\"result\":{\"recoverable\":true,\"seq\":5,\"epoch\":\"E\",\"publications\":[{\"seq\":5,\"data\":{\"n\":5}},{\"seq\":4,\"data\":{\"n\":4}}],\"recovered\":true}}\n"
    );
    // From 1: 2 is gone, so not recovered.
    let mut d = conn("d");
    let from = RecoverFrom {
        seq: 1,
        epoch: String::new(),
    };
    let answer = subscribe(&a, &mut d, Some(from)).await;
    assert!(answer.contains("{\"seq\":3,"), "{answer}");
    assert!(!answer.contains("recovered"), "{answer}");
    // Live publications follow, once each.
    publish(&b, 6, None).await;
    assert!(c.next().await.contains("client\":\"d"), "c hears d join");
    assert!(c.next().await.contains("\"seq\":6,"));
    assert!(d.next().await.contains("\"seq\":6,"));
    d.nothing().await;
}

#[tokio::test]
async fn an_unreachable_redis_fails_publish_and_subscribe_instead_of_hanging() {
    let broker = RedisBroker::new("redis://127.0.0.1:1/", "mtest-down", 3).unwrap();
    let data = RawValue::from_string("{}".into()).unwrap();
    let published = tokio::time::timeout(
        Duration::from_secs(10),
        Broker::publish(
            &broker,
            Publish {
                channel: CH,
                data,
                once: None,
            },
        ),
    )
    .await
    .expect("answers in time");
    assert!(matches!(published, Err(BrokerError::Unavailable(_))));
    let c = conn("c");
    let subscribed = Broker::subscribe(
        &broker,
        Subscription {
            channel: CH,
            info: &c.info,
            outbox: c.outbox.clone(),
            recover: None,
        },
        &reply,
    )
    .await;
    assert!(matches!(subscribed, Err(SubscribeError::Unavailable)));
    assert_eq!(Broker::subscribers(&broker, CH), 0);
}
