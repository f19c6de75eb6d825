//! The hub: seq numbering, the history ring, recovery and the slow-consumer rule.

use super::*;
use crate::protocol::{ResultReply, SubscribeResult};

const CH: &str = "$alerts:donation_42";

fn data(n: u64) -> Box<RawValue> {
    RawValue::from_string(format!("{{\"n\":{n}}}")).unwrap()
}

struct Conn {
    info: ClientInfo,
    rx: flume::Receiver<Utf8Bytes>,
    outbox: Outbox,
    closed: watch::Receiver<Option<Disconnect>>,
}

fn conn(name: &str, capacity: usize) -> Conn {
    let (tx, rx) = flume::bounded(capacity);
    let (closer, closed) = Closer::new();
    Conn {
        info: ClientInfo {
            user: "42".into(),
            client: name.into(),
        },
        rx,
        outbox: Outbox::new(tx, closer),
        closed,
    }
}

/// The reply the connection would send: the snapshot as a subscribe result with id 1.
fn reply(s: &Snapshot<'_>) -> Result<String, serde_json::Error> {
    encode(&ResultReply {
        id: 1,
        result: SubscribeResult {
            recoverable: true,
            seq: s.seq,
            epoch: "E",
            publications: s
                .missed
                .iter()
                .map(|p| Publication {
                    seq: p.seq,
                    data: p.data,
                })
                .collect(),
            recovered: s.recovered,
            ..SubscribeResult::default()
        },
    })
}

fn subscribe(hub: &Hub, c: &Conn, recover: Option<RecoverFrom>) {
    hub.subscribe(
        Subscription {
            channel: CH,
            info: &c.info,
            outbox: c.outbox.clone(),
            recover,
        },
        &reply,
    )
    .unwrap();
}

fn drain(c: &mut Conn) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(frame) = c.rx.try_recv() {
        out.push(frame.as_str().to_owned());
    }
    out
}

#[test]
fn publish_numbers_from_one_and_reaches_every_subscriber() {
    let hub = Hub::new(100);
    let (mut a, mut b) = (conn("a", 16), conn("b", 16));
    subscribe(&hub, &a, None);
    subscribe(&hub, &b, None);
    assert_eq!(hub.subscribers(CH), 2);
    assert_eq!(hub.publish(CH, data(1)).unwrap(), 1);
    assert_eq!(hub.publish(CH, data(2)).unwrap(), 2);
    assert_eq!(hub.publish("$alerts:donation_7", data(1)).unwrap(), 1);

    let a_frames = drain(&mut a);
    assert_eq!(
        a_frames[0],
        "{\"id\":1,\"result\":{\"recoverable\":true,\"epoch\":\"E\"}}\n"
    );
    let join_a = "{\"result\":{\"type\":1,\"channel\":\"$alerts:donation_42\",\"data\":{\"info\":{\"user\":\"42\",\"client\":\"a\"}}}}\n";
    let join_b = join_a.replace("\"a\"", "\"b\"");
    assert_eq!(a_frames[1], join_a);
    assert_eq!(a_frames[2], join_b, "a hears b join");
    let pub1 = "{\"result\":{\"channel\":\"$alerts:donation_42\",\"data\":{\"seq\":1,\"data\":{\"n\":1}}}}\n";
    assert_eq!(a_frames[3], pub1);
    assert_eq!(a_frames.len(), 5);
    let b_frames = drain(&mut b);
    assert_eq!(b_frames[1], join_b);
    assert_eq!(b_frames[2], pub1);
    assert_eq!(b_frames.len(), 4);

    hub.unsubscribe(CH, "b");
    hub.unsubscribe(CH, "b");
    assert_eq!(hub.subscribers(CH), 1);
    let leave = drain(&mut a);
    assert_eq!(leave.len(), 1, "one LEAVE, however often b unsubscribes");
    assert!(leave[0].starts_with("{\"result\":{\"type\":2,"));
}

#[test]
fn history_is_bounded_and_recovery_returns_what_was_missed_newest_first() {
    let hub = Hub::new(3);
    for n in 1..=5 {
        hub.publish(CH, data(n)).unwrap();
    }
    // Saw 3, missed 4 and 5: both still in the ring.
    let mut c = conn("c", 16);
    let from = RecoverFrom {
        seq: 3,
        epoch: String::new(),
    };
    subscribe(&hub, &c, Some(from));
    assert_eq!(
        drain(&mut c)[0],
        "{\"id\":1,\"result\":{\"recoverable\":true,\"seq\":5,\"epoch\":\"E\",\"publications\":[{\"seq\":5,\"data\":{\"n\":5}},{\"seq\":4,\"data\":{\"n\":4}}],\"recovered\":true}}\n"
    );

    // Saw 1: 2 has fallen out of the ring (it holds 3..=5), so not recovered.
    let mut d = conn("d", 16);
    subscribe(
        &hub,
        &d,
        Some(RecoverFrom {
            seq: 1,
            epoch: String::new(),
        }),
    );
    let frame = &drain(&mut d)[0];
    assert!(frame.contains("\"publications\":[{\"seq\":5,"), "{frame}");
    assert!(frame.contains("{\"seq\":3,"), "{frame}");
    assert!(!frame.contains("\"recovered\""), "{frame}");

    // Up to date: nothing missed, recovered.
    let mut e = conn("e", 16);
    subscribe(
        &hub,
        &e,
        Some(RecoverFrom {
            seq: 5,
            epoch: String::new(),
        }),
    );
    let frame = &drain(&mut e)[0];
    assert!(!frame.contains("publications"), "{frame}");
    assert!(frame.contains("\"recovered\":true"), "{frame}");
}

#[test]
fn another_epoch_is_not_recovered_but_gets_the_history() {
    let hub = Hub::new(10);
    hub.publish(CH, data(1)).unwrap();
    let mut c = conn("c", 16);
    subscribe(
        &hub,
        &c,
        Some(RecoverFrom {
            seq: 1,
            epoch: "old".into(),
        }),
    );
    let frame = &drain(&mut c)[0];
    assert!(frame.contains("\"publications\":[{\"seq\":1,"), "{frame}");
    assert!(!frame.contains("recovered"), "{frame}");
}

#[test]
fn a_slow_consumer_is_closed_with_3008_and_the_others_keep_receiving() {
    let hub = Hub::new(10);
    let slow = conn("slow", 4);
    let mut fast = conn("fast", 64);
    subscribe(&hub, &slow, None);
    subscribe(&hub, &fast, None);
    // slow holds reply + 2 joins; the 2nd publication overflows its queue of 4.
    for n in 1..=10 {
        hub.publish(CH, data(n)).unwrap();
        drain(&mut fast);
    }
    assert_eq!(*slow.closed.borrow(), Some(Disconnect::SLOW));
    assert_eq!(*fast.closed.borrow(), None);
    hub.publish(CH, data(11)).unwrap();
    assert!(drain(&mut fast)[0].contains("\"seq\":11"));
}

#[test]
fn the_first_close_reason_wins() {
    let (closer, rx) = Closer::new();
    closer.close(Disconnect::STALE);
    closer.close(Disconnect::SLOW);
    assert_eq!(*rx.borrow(), Some(Disconnect::STALE));
}

#[test]
fn in_a_crowded_channel_only_the_joining_client_hears_its_join() {
    let hub = Hub::new(10);
    let mut conns: Vec<Conn> = (0..=JOIN_LEAVE_LIMIT)
        .map(|n| conn(&format!("c{n}"), JOIN_LEAVE_LIMIT + 8))
        .collect();
    for c in &conns {
        subscribe(&hub, c, None);
    }
    let first = drain(&mut conns[0]);
    assert_eq!(
        first.len(),
        1 + JOIN_LEAVE_LIMIT,
        "reply and the first {JOIN_LEAVE_LIMIT} joins"
    );
    let last = conns.last_mut().unwrap();
    let frames = drain(last);
    assert_eq!(frames.len(), 2, "reply, then its own JOIN");
    assert!(frames[1].contains(&format!("\"client\":\"c{JOIN_LEAVE_LIMIT}\"")));
    hub.publish(CH, data(1)).unwrap();
    assert!(drain(&mut conns[0])[0].contains("\"seq\":1,"));
}
