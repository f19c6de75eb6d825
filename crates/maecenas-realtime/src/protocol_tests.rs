//! Golden frames from `specs/donationalerts-centrifugo.md` for the codec.

use super::*;

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).unwrap()
}

#[test]
fn connect_without_method_and_with_string_or_number_methods() {
    let cmds = decode_commands(r#"{"params":{"token":"T","name":"js"},"id":1}"#).unwrap();
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0].id, 1);
    assert_eq!(cmds[0].method, Method::Connect);
    assert_eq!(cmds[0].params::<ConnectParams>().unwrap().token, "T");

    for (json, method) in [
        (r#"{"id":2,"method":1}"#, Method::Subscribe),
        (r#"{"id":2,"method":"subscribe"}"#, Method::Subscribe),
        (r#"{"id":2,"method":"SUB_REFRESH"}"#, Method::SubRefresh),
        (r#"{"id":2,"method":"Connect"}"#, Method::Connect),
        (r#"{"id":2,"method":7}"#, Method::Ping),
        (r#"{"id":2,"method":42}"#, Method::Unknown(42)),
    ] {
        assert_eq!(decode_commands(json).unwrap()[0].method, method, "{json}");
    }
    assert!(decode_commands(r#"{"id":2,"method":"frobnicate"}"#).is_err());
}

#[test]
fn several_commands_per_frame_any_whitespace() {
    let frame = "{\"id\":1,\"params\":{\"token\":\"t\"}}\n{\"id\":2,\"method\":7}\r\n {\"id\":3,\"method\":7}";
    let ids: Vec<u32> = decode_commands(frame)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn empty_and_invalid_frames_fail() {
    for frame in [
        "",
        "  \n",
        "{",
        "not json",
        "{\"id\":1}\n{",
        "[1]",
        "{\"id\":-1}",
    ] {
        assert!(decode_commands(frame).is_err(), "{frame:?}");
    }
}

#[test]
fn subscribe_params_and_missing_params() {
    let cmd = &decode_commands(
        r#"{"params":{"channel":"$alerts:donation_42","token":"J","recover":true,"seq":3,"epoch":"e"},"method":1,"id":2}"#,
    )
    .unwrap()[0];
    let p: SubscribeParams = cmd.params().unwrap();
    assert_eq!(p.channel, "$alerts:donation_42");
    assert_eq!(p.token, "J");
    assert!(p.recover);
    assert_eq!((p.seq, p.epoch.as_str()), (3, "e"));
    let none = &decode_commands(r#"{"id":1,"method":1}"#).unwrap()[0];
    assert_eq!(none.params::<SubscribeParams>().unwrap().channel, "");
}

#[test]
fn connect_reply() {
    let reply = ResultReply {
        id: 1,
        result: ConnectResult {
            client: "c".into(),
            version: "2.2.1",
            expires: false,
            ttl: 0,
        },
    };
    assert_eq!(
        encode(&reply).unwrap(),
        "{\"id\":1,\"result\":{\"client\":\"c\",\"version\":\"2.2.1\"}}\n"
    );
    let expiring = ResultReply {
        id: 1,
        result: ConnectResult {
            client: "c".into(),
            version: "v",
            expires: true,
            ttl: 60,
        },
    };
    assert_eq!(
        encode(&expiring).unwrap(),
        "{\"id\":1,\"result\":{\"client\":\"c\",\"version\":\"v\",\"expires\":true,\"ttl\":60}}\n"
    );
}

#[test]
fn subscribe_reply_is_an_empty_object_and_ping_reply_has_no_result() {
    let reply = ResultReply {
        id: 2,
        result: SubscribeResult::default(),
    };
    assert_eq!(encode(&reply).unwrap(), "{\"id\":2,\"result\":{}}\n");
    assert_eq!(encode(&EmptyReply { id: 9 }).unwrap(), "{\"id\":9}\n");
}

#[test]
fn recovery_reply() {
    let one = raw(r#"{"a":1}"#);
    let two = raw(r#"{"a":2}"#);
    let result = SubscribeResult {
        recoverable: true,
        seq: 2,
        epoch: "E",
        publications: vec![
            Publication { seq: 2, data: &two },
            Publication { seq: 1, data: &one },
        ],
        recovered: true,
        ..SubscribeResult::default()
    };
    assert_eq!(
        encode(&ResultReply { id: 3, result }).unwrap(),
        "{\"id\":3,\"result\":{\"recoverable\":true,\"seq\":2,\"epoch\":\"E\",\"publications\":[{\"seq\":2,\"data\":{\"a\":2}},{\"seq\":1,\"data\":{\"a\":1}}],\"recovered\":true}}\n"
    );
}

#[test]
fn error_reply() {
    let reply = ErrorReply {
        id: 2,
        error: ErrorCode::PERMISSION_DENIED,
    };
    assert_eq!(
        encode(&reply).unwrap(),
        "{\"id\":2,\"error\":{\"code\":103,\"message\":\"permission denied\"}}\n"
    );
    assert_eq!(ErrorCode::TOKEN_EXPIRED.code, 109);
    assert_eq!(ErrorCode::TOO_MANY_REQUESTS.code, 111);
}

#[test]
fn publication_push_matches_the_donationalerts_frame() {
    let donation = raw(r#"{"id":1,"reason":"default"}"#);
    let frame = PushFrame {
        result: Push {
            kind: PushType::Publication,
            channel: "$alerts:donation_42",
            data: Publication {
                seq: 7,
                data: &donation,
            },
        },
    };
    assert_eq!(
        encode(&frame).unwrap(),
        "{\"result\":{\"channel\":\"$alerts:donation_42\",\"data\":{\"seq\":7,\"data\":{\"id\":1,\"reason\":\"default\"}}}}\n"
    );
}

#[test]
fn join_push_matches_the_donationalerts_frame() {
    let info = ClientInfo {
        user: "42".into(),
        client: "u".into(),
    };
    let frame = PushFrame {
        result: Push {
            kind: PushType::Join,
            channel: "$alerts:donation_42",
            data: JoinLeave { info: &info },
        },
    };
    assert_eq!(
        encode(&frame).unwrap(),
        "{\"result\":{\"type\":1,\"channel\":\"$alerts:donation_42\",\"data\":{\"info\":{\"user\":\"42\",\"client\":\"u\"}}}}\n"
    );
}

#[test]
fn disconnect_reasons() {
    assert_eq!(Disconnect::BAD_REQUEST.code, 3003);
    assert_eq!(
        Disconnect::BAD_REQUEST.close_text(),
        r#"{"reason":"bad request","reconnect":false}"#
    );
    assert_eq!(
        Disconnect::SLOW.close_text(),
        r#"{"reason":"slow","reconnect":true}"#
    );
    assert_eq!(Disconnect::INVALID_TOKEN.code, 3002);
    assert_eq!(
        Disconnect::INVALID_TOKEN.close_text(),
        r#"{"reason":"invalid token","reconnect":false}"#
    );
    assert!(Disconnect::CONNECTION_LIMIT.close_text().len() < 123);
}
