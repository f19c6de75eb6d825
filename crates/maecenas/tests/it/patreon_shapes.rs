//! Response shapes locked on both backends, structure not values (attribute names and JSON
//! types, relationship arity and link forms, top-level `links` and `meta`):
//!
//! - against the golden files themselves (`shared/fixtures/patreon/`): every v1 fixture — API
//!   documents and OAuth token answers — and, for v2 (Patreon publishes no v2 API payloads), the
//!   member, user, campaign and tier resources of the captured v2 member payload;
//! - against committed shape snapshots (`tests/it/snapshots/patreon/*.json`) for every v2 and
//!   v1 route, so any change of shape shows up in review. `UPDATE_SNAPSHOTS=1` rewrites them.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use maecenas_testkit::both_backends;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::patreon_demo::{get, setup, token};

fn golden(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/patreon")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The structure of a value: scalars become their type names (`type` keeps its value, which
/// is structure); arrays become the merge of their elements, resources grouped by type.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let s = if k == "type" && v.is_string() {
                    v.clone()
                } else {
                    shape(v)
                };
                out.insert(k.clone(), s);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut by_type: BTreeMap<String, Value> = BTreeMap::new();
            for item in items {
                let key = item["type"]
                    .as_str()
                    .map_or_else(|| "*".to_owned(), |t| format!("type={t}"));
                let s = shape(item);
                let merged = match by_type.remove(&key) {
                    Some(old) => merge(old, s),
                    None => s,
                };
                by_type.insert(key, merged);
            }
            json!([by_type])
        }
        other => json!(json_type(other)),
    }
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Object(a)
        }
        (Value::Array(a), Value::Array(b)) => {
            let (a, b) = (a.into_iter().next(), b.into_iter().next());
            match (a, b) {
                (Some(a), Some(b)) => json!([merge(a, b)]),
                (a, b) => json!([a.or(b).unwrap_or(json!({}))]),
            }
        }
        (a, b) if a == b => a,
        (a, b) => {
            let mut names: BTreeSet<String> = BTreeSet::new();
            for v in [&a, &b] {
                match v.as_str() {
                    Some(s) => names.extend(s.split('|').map(str::to_owned)),
                    None => {
                        names.insert(v.to_string());
                    }
                }
            }
            json!(names.into_iter().collect::<Vec<_>>().join("|"))
        }
    }
}

/// Compares the shape of `body` with `tests/it/snapshots/patreon/<name>.json`.
fn snapshot(name: &str, body: &Value) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots/patreon")
        .join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(&shape(body)).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "shape of {name} changed (UPDATE_SNAPSHOTS=1 rewrites {}):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

fn resources(doc: &Value) -> Vec<&Value> {
    let data: Vec<&Value> = match &doc["data"] {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    data.into_iter()
        .chain(doc["included"].as_array().into_iter().flatten())
        .collect()
}

/// A resource's type, v1's pseudo-rewards `"-1"` and `"0"` (fewer attributes) told apart.
fn kind_of(r: &Value) -> String {
    let pseudo = r["type"] == "reward" && matches!(r["id"].as_str(), Some("-1" | "0"));
    format!(
        "{}{}",
        r["type"].as_str().unwrap_or(""),
        if pseudo { " (pseudo)" } else { "" }
    )
}

/// A relationship's form: arity, and its link names when it points somewhere.
fn form(rel: &Value) -> (bool, Option<BTreeSet<String>>) {
    let many = rel["data"].is_array();
    let links = (!rel["data"].is_null()).then(|| {
        rel["links"]
            .as_object()
            .map(|l| l.keys().cloned().collect())
            .unwrap_or_default()
    });
    (many, links)
}

/// Every resource kind the golden document shows and ours renders: the golden attributes exist
/// with the same JSON type (either side `null` says nothing about the type), the golden
/// relationships of the primary kind exist, and shared relationships have the same form.
fn assert_resources_match(ours: &Value, golden: &Value, what: &str) -> usize {
    let primary = match &golden["data"] {
        Value::Array(a) => a.first().map_or(Value::Null, |r| r["type"].clone()),
        one => one["type"].clone(),
    };
    let mut compared = 0;
    for g in resources(golden) {
        let kind = kind_of(g);
        for o in resources(ours).into_iter().filter(|o| kind_of(o) == kind) {
            compared += 1;
            for (name, gv) in g["attributes"].as_object().unwrap() {
                let ov = o["attributes"]
                    .get(name)
                    .unwrap_or_else(|| panic!("{what}: {kind}.{name} missing"));
                assert!(
                    gv.is_null() || ov.is_null() || json_type(gv) == json_type(ov),
                    "{what}: {kind}.{name} is {} here, {} in the fixture",
                    json_type(ov),
                    json_type(gv)
                );
            }
            for (name, grel) in g["relationships"].as_object().into_iter().flatten() {
                let Some(orel) = o["relationships"].get(name) else {
                    assert!(
                        g["type"] != primary,
                        "{what}: {kind} lacks relationship {name}"
                    );
                    continue;
                };
                let (g_many, g_links) = form(grel);
                let (o_many, o_links) = form(orel);
                assert_eq!(g_many, o_many, "{what}: {kind}.{name} arity");
                if let (Some(g), Some(o)) = (g_links, o_links) {
                    assert_eq!(g, o, "{what}: {kind}.{name} links");
                }
            }
        }
    }
    assert!(compared > 0, "{what}: nothing to compare");
    compared
}

/// The golden top level: the same members with the same JSON types, the golden link and meta
/// names present.
fn assert_top_level_matches(ours: &Value, golden: &Value, what: &str) {
    for (key, gv) in golden.as_object().unwrap() {
        let ov = ours
            .get(key)
            .unwrap_or_else(|| panic!("{what}: no top-level `{key}`"));
        assert_eq!(json_type(ov), json_type(gv), "{what}: top-level `{key}`");
        if matches!(key.as_str(), "links" | "meta") {
            for name in gv.as_object().unwrap().keys() {
                assert!(ov.get(name).is_some(), "{what}: no `{key}.{name}`");
                assert_eq!(
                    json_type(&ov[name]),
                    json_type(&gv[name]),
                    "{what}: `{key}.{name}`"
                );
            }
        }
    }
}

/// Drops the attributes the client libraries' tests invent (`unknown1`, …) to check that clients
/// ignore what they do not know.
fn strip_invented(doc: &mut Value) {
    let strip = |r: &mut Value| {
        if let Some(a) = r["attributes"].as_object_mut() {
            a.retain(|name, _| !name.starts_with("unknown"));
        }
    };
    match doc["data"].as_array_mut() {
        Some(list) => list.iter_mut().for_each(strip),
        None => strip(&mut doc["data"]),
    }
    doc["included"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .for_each(strip);
}

fn fields(kind: &str, names: &str) -> String {
    format!("fields%5B{kind}%5D={names}")
}

const USER: &str = "about,can_see_nsfw,created,email,first_name,full_name,hide_pledges,image_url,is_creator,is_email_verified,last_name,like_count,social_connections,thumb_url,url,vanity";
const CAMPAIGN: &str = "created_at,creation_name,discord_server_id,google_analytics_id,has_rss,has_sent_rss_notify,image_small_url,image_url,is_charged_immediately,is_monthly,is_nsfw,main_video_embed,main_video_url,one_liner,patron_count,pay_per_name,pledge_url,published_at,rss_artwork_url,rss_feed_title,show_earnings,summary,thanks_embed,thanks_msg,thanks_video_url,url,vanity";
const TIER: &str = "amount_cents,created_at,description,discord_role_ids,edited_at,image_url,patron_count,post_count,published,published_at,remaining,requires_shipping,title,unpublished_at,url,user_limit";
const MEMBER: &str = "campaign_lifetime_support_cents,currently_entitled_amount_cents,email,full_name,is_follower,is_free_trial,is_gifted,last_charge_date,last_charge_status,lifetime_support_cents,next_charge_date,note,patron_status,pledge_cadence,pledge_relationship_start,will_pay_amount_cents";
const ADDRESS: &str =
    "addressee,city,country,created_at,line_1,line_2,phone_number,postal_code,state";
const EVENT: &str =
    "amount_cents,currency_code,date,payment_status,pledge_payment_status,tier_id,tier_title,type";
const POST: &str =
    "app_id,app_status,content,embed_data,embed_url,is_paid,is_public,published_at,tiers,title,url";

/// Every attribute of each kind asked for is served: the field lists above are complete.
fn assert_all_fields(body: &Value, kind: &str, names: &str) {
    let expected: BTreeSet<&str> = names.split(',').collect();
    for r in resources(body).into_iter().filter(|r| r["type"] == kind) {
        let served: BTreeSet<&str> = r["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(served, expected, "{kind} {}", r["id"]);
    }
}

both_backends! {
    async fn v2_shapes_match_the_golden_resources_and_snapshots(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "identity identity[email] identity.memberships campaigns campaigns.members campaigns.members[email] campaigns.members.address campaigns.posts").await;
        let patron = token(&app, &creds, &creds.patron.email, "identity identity[email] identity.memberships campaigns").await;
        let no_token = "no-such-token".to_owned();
        let c = creds.campaign.id;
        let member_fields = [fields("member", MEMBER), fields("user", USER), fields("campaign", CAMPAIGN), fields("tier", TIER), fields("address", ADDRESS), fields("pledge-event", EVENT)].join("&");
        // The first seeded member with an address: the same one every run (ids are random).
        let shipped = app.db.store.members_page(c, None, 100).await.unwrap().into_iter().filter(|m| m.address_id.is_some()).min_by_key(|m| m.user_id).unwrap();
        let post = app.db.store.posts_page(c, None, false, 1).await.unwrap().remove(0);
        // (snapshot, request, token, kinds asked for with every field; users shown with e-mail?)
        let all_member_kinds: &[&str] = &["member", "user", "campaign", "tier", "address", "pledge-event"];
        let requests: [(&str, String, &String, &[&str], bool); 10] = [
            ("v2_identity", format!("/api/oauth2/v2/identity?include=memberships.campaign,memberships.currently_entitled_tiers,campaign&{}&{}&{}&{}", fields("user", USER), fields("member", MEMBER), fields("campaign", CAMPAIGN), fields("tier", TIER)), &patron, &["user", "member", "campaign", "tier"], true),
            ("v2_campaigns", format!("/api/oauth2/v2/campaigns?include=tiers,creator,benefits,goals&{}&{}&{}", fields("campaign", CAMPAIGN), fields("tier", TIER), fields("user", USER)), &creator, &["campaign", "tier", "user"], false),
            ("v2_campaign", format!("/api/oauth2/v2/campaigns/{c}?include=tiers,creator,benefits,goals&{}&{}&{}", fields("campaign", CAMPAIGN), fields("tier", TIER), fields("user", USER)), &creator, &["campaign", "tier", "user"], false),
            ("v2_members", format!("/api/oauth2/v2/campaigns/{c}/members?include=address,campaign,currently_entitled_tiers,pledge_history,user&{member_fields}&page%5Bcount%5D=1000"), &creator, all_member_kinds, true),
            ("v2_member", format!("/api/oauth2/v2/members/{}?include=address,campaign,currently_entitled_tiers,pledge_history,user&{member_fields}", shipped.id), &creator, all_member_kinds, true),
            ("v2_posts", format!("/api/oauth2/v2/campaigns/{c}/posts?include=user,campaign&{}&{}&{}", fields("post", POST), fields("user", USER), fields("campaign", CAMPAIGN)), &creator, &["post", "user", "campaign"], false),
            ("v2_post", format!("/api/oauth2/v2/posts/{}?include=user,campaign&{}", post.id, fields("post", POST)), &creator, &["post"], false),
            ("v2_members_sparse", "/api/oauth2/v2/members?page%5Bsize%5D=3".to_owned(), &creator, &[], false),
            ("v2_error_cursor", format!("/api/oauth2/v2/campaigns/{c}/members?page%5Bcursor%5D=nope"), &creator, &[], false),
            ("v2_error_unauthorized", "/api/oauth2/v2/identity".to_owned(), &no_token, &[], false),
        ];
        let member_golden = golden("webhooks-v2/members_update.json");
        let lists = [("user", USER), ("campaign", CAMPAIGN), ("tier", TIER), ("member", MEMBER), ("address", ADDRESS), ("pledge-event", EVENT), ("post", POST)];
        for (name, path, bearer, full, email) in requests {
            let (status, body) = get(&app, &path, bearer).await;
            assert_eq!(status.is_success(), !name.contains("error"), "{name}: {body}");
            snapshot(name, &body);
            for (kind, names) in lists.iter().filter(|(k, _)| full.contains(k)) {
                let names = if *kind == "user" && !email { names.replace("email,", "") } else { (*names).to_owned() };
                assert_all_fields(&body, kind, &names);
            }
            if resources(&body).iter().any(|r| ["member", "user", "campaign", "tier"].contains(&r["type"].as_str().unwrap_or(""))) && !full.is_empty() {
                // Resource level only: the captured payload is a webhook document, not an API one.
                let asked: Vec<&Value> = resources(&member_golden).into_iter().filter(|r| full.contains(&r["type"].as_str().unwrap_or(""))).collect();
                if !asked.is_empty() {
                    assert_resources_match(&body, &json!({"data": [], "included": asked}), name);
                }
            }
        }
        // The member's own relationship forms, as the captured payload has them.
        let (_, body) = get(&app, &format!("/api/oauth2/v2/members/{}?include=address,campaign,currently_entitled_tiers,user&{member_fields}", shipped.id), &creator).await;
        assert_resources_match(&body, &member_golden, "v2 member relationships");
        assert!(body["links"]["self"].is_string() && body["data"].get("links").is_none(), "links.self at the top, as in the payload");
        let (status, _) = get(&app, "/api/oauth2/v2/members?page%5Bcount%5D=1", &patron).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn v1_shapes_match_every_golden_fixture(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "identity identity[email] campaigns campaigns.members").await;
        let patron = token(&app, &creds, &creds.patron.email, "identity identity[email]").await;
        let c = creds.campaign.id;
        let pledges = format!("/api/oauth2/api/campaigns/{c}/pledges?page%5Bcount%5D=10&sort=created");
        let (_, first) = get(&app, &pledges, &creator).await;
        let mut last = first.clone();
        while let Some(next) = last["links"]["next"].as_str().map(str::to_owned) {
            last = get(&app, &next, &creator).await.1;
        }
        let (_, me) = get(&app, "/api/oauth2/api/current_user", &creator).await;
        let (_, patron_me) = get(&app, "/api/oauth2/api/current_user", &patron).await;
        let (_, optional) = get(&app, "/api/oauth2/api/current_user?fields%5Buser%5D=like_count,comment_count,is_creator,hide_pledges,two_factor_enabled", &creator).await;
        let (_, campaigns) = get(&app, "/api/oauth2/api/current_user/campaigns", &creator).await;
        for (fixture, ours, name) in [
            ("v1/current_user.json", &me, "v1_current_user"),
            ("v1/current_user.json", &patron_me, "v1_current_user_patron"),
            // Its `unknown*` attributes are invented to test client tolerance: stripped below.
            ("v1/current_user_unknown_properties.json", &optional, "v1_current_user_optional"),
            ("v1/ruby_current_user.json", &me, "v1_current_user"),
            ("v1/current_user_optional_fields.json", &optional, "v1_current_user_optional"),
            ("v1/campaigns.json", &campaigns, "v1_campaigns"),
            ("v1/ruby_fetch_campaign.json", &campaigns, "v1_campaigns"),
            ("v1/campaign_pledges.json", &first, ""),
            ("v1/campaign_pledges_page_1.json", &first, ""),
            ("v1/campaign_pledges_page_2.json", &last, ""),
        ] {
            let mut g = golden(fixture);
            strip_invented(&mut g);
            assert_top_level_matches(ours, &g, fixture);
            assert_resources_match(ours, &g, fixture);
            if !name.is_empty() {
                snapshot(name, ours);
            }
        }
        // Snapshots see every pledge at once: a page's mix of nulls would depend on member ids.
        let (_, all) = get(&app, &format!("/api/oauth2/api/campaigns/{c}/pledges?page%5Bcount%5D=1000"), &creator).await;
        assert!(all["links"].get("next").is_none(), "one page");
        snapshot("v1_pledges", &all);
        assert!(last["links"].get("next").is_none(), "the last page has no next, as page 2 of the fixture");

        // The OAuth token answers: the fixture's members with the same JSON types.
        let client = app.db.store.oauth_client_by_client_id(&creds.client.client_id).await.unwrap().unwrap();
        let user = app.db.store.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        let issued = app.state.oauth().issue_creator_token(&client, user.id, &maecenas_types::ScopeSet::parse("identity campaigns").unwrap(), maecenas_oauth::Flavor::Patreon).await.unwrap();
        let refresh = issued.refresh_token.expose().to_owned();
        let response = app.client().post(app.url("/api/oauth2/token")).form(&[
            ("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()),
            ("client_id", creds.client.client_id.as_str()), ("client_secret", creds.client.client_secret.as_str()),
        ]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.unwrap();
        for fixture in ["v1/oauth_get_tokens.json", "v1/oauth_refresh_tokens.json"] {
            assert_top_level_matches(&answer, &golden(fixture), fixture);
        }
        snapshot("oauth_token", &answer);
    }
}
