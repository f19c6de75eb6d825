//! Patreon API v2 lists and single resources over HTTP on both backends, against the demo seed:
//! campaigns, members paged to the end by cursor (by hand and by the real `patreon-v2` client),
//! single members, and the bad inputs of each.

use std::collections::HashSet;

use maecenas_testkit::both_backends;

use crate::patreon_demo::{get, setup, token};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::Command;

both_backends! {
    async fn campaigns_are_the_callers_own(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns").await;
        let (status, body) = get(&app, "/api/oauth2/v2/campaigns?fields[campaign]=vanity", &creator).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"][0]["id"], creds.campaign.id.to_string());
        assert_eq!(body["data"][0]["attributes"]["vanity"], creds.campaign.vanity);
        assert_eq!(body["meta"]["pagination"]["total"], 1);
        assert!(body["meta"]["pagination"]["cursors"]["next"].is_null());
        assert!(body["links"].is_object());

        let path = format!("/api/oauth2/v2/campaigns/{}?include=tiers,creator&fields[tier]=title,amount_cents", creds.campaign.id);
        let (status, body) = get(&app, &path, &creator).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let tiers = app.db.store.tiers_of_campaign(creds.campaign.id).await.unwrap();
        let included_tiers: Vec<&Value> = body["included"].as_array().unwrap().iter().filter(|r| r["type"] == "tier").collect();
        assert_eq!(included_tiers.len(), tiers.len());
        for t in &tiers {
            assert!(included_tiers.iter().any(|r| r["id"].as_str() == Some(t.id.to_string().as_str()) && r["attributes"]["title"] == t.title.as_str()));
        }
        assert_eq!(body["data"]["relationships"]["creator"]["data"]["type"], "user");

        // Not a number, or no such campaign: 404. Someone else's: 403.
        for bad in ["abc", "999999"] {
            assert_eq!(get(&app, &format!("/api/oauth2/v2/campaigns/{bad}"), &creator).await.0, StatusCode::NOT_FOUND);
        }
        let patron = token(&app, &creds, &creds.patron.email, "campaigns campaigns.members").await;
        let (status, body) = get(&app, &format!("/api/oauth2/v2/campaigns/{}", creds.campaign.id), &patron).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["errors"][0]["status"], "403");
        assert_eq!(get(&app, &format!("/api/oauth2/v2/campaigns/{}/members", creds.campaign.id), &patron).await.0, StatusCode::FORBIDDEN);
    }

    async fn members_page_to_the_end_exactly_once(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns.members").await;
        let total = app.db.store.count_members(creds.campaign.id).await.unwrap();
        let mut url = format!("/api/oauth2/v2/campaigns/{}/members?include=user&fields%5Bmember%5D=patron_status,email&page%5Bcount%5D=10", creds.campaign.id);
        let mut seen = HashSet::new();
        let mut pages = 0;
        loop {
            let (status, body) = get(&app, &url, &creator).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            pages += 1;
            let data = body["data"].as_array().unwrap();
            assert!(data.len() <= 10);
            assert_eq!(body["meta"]["pagination"]["total"], total);
            for m in data {
                assert!(seen.insert(m["id"].as_str().unwrap().to_owned()), "member twice");
                assert!(m["attributes"].get("email").is_none(), "no e-mail without campaigns.members[email]");
                assert!(m["relationships"]["user"]["data"]["id"].is_string());
            }
            let next = &body["meta"]["pagination"]["cursors"]["next"];
            match body["links"].get("next") {
                Some(link) => {
                    let link = link.as_str().unwrap();
                    assert!(link.starts_with(&app.url("/api/oauth2/v2/campaigns/")));
                    assert!(!link.contains("?page%5Bcursor%5D"), "page[cursor] is never the first parameter: {link}");
                    assert!(link.ends_with(&format!("page%5Bcursor%5D={}", next.as_str().unwrap())));
                    url = link.to_owned();
                }
                None => {
                    assert!(next.is_null(), "last page: next is null");
                    break;
                }
            }
        }
        assert_eq!(u64::try_from(seen.len()).unwrap(), total);
        assert_eq!(pages, total.div_ceil(10));

        // The seed's /members is the token user's campaign; with the e-mail scope e-mails show.
        let with_email = token(&app, &creds, &creds.creator.email, "campaigns.members campaigns.members[email]").await;
        let (_, body) = get(&app, "/api/oauth2/v2/members?fields[member]=email&page[count]=5000", &with_email).await;
        let data = body["data"].as_array().unwrap();
        assert_eq!(u64::try_from(data.len()).unwrap(), total, "page[count] over the maximum is clamped, not refused");
        assert!(data.iter().all(|m| m["attributes"]["email"].is_string()));
    }

    async fn member_lists_refuse_bad_input(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns.members").await;
        let base = format!("/api/oauth2/v2/campaigns/{}/members", creds.campaign.id);
        // Members have one order (by id, what their cursors hold): any sort is refused. Patreon's
        // own answer to a member sort is undocumented.
        for (query, parameter) in [("page[cursor]=garbage", "page[cursor]"), ("include=goals", "include"), ("page[count]=0", "page[count]"),
            ("sort=-pledge_relationship_start", "sort"), ("fields[member]=pledge_sum", "fields[member]"), ("include=user.campaign", "include")] {
            let (status, body) = get(&app, &format!("{base}?{query}"), &creator).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(body["errors"][0]["code"], 3);
            assert_eq!(body["errors"][0]["source"]["parameter"], parameter);
        }
        let campaigns_only = token(&app, &creds, &creds.creator.email, "campaigns").await;
        assert_eq!(get(&app, &base, &campaigns_only).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&app, "/api/oauth2/v2/members/not-a-uuid", &creator).await.0, StatusCode::NOT_FOUND);
    }

    async fn single_member_with_address_only_under_its_scope(db: TestDb) {
        let (app, creds) = setup(db).await;
        let store = &app.db.store;
        let members = store.members_page(creds.campaign.id, None, 100).await.unwrap();
        let shipped = members.iter().find(|m| m.address_id.is_some()).expect("the seed ships to some patrons");
        let path = format!("/api/oauth2/v2/members/{}?include=address,currently_entitled_tiers&fields[address]=city,country", shipped.id);
        let without = token(&app, &creds, &creds.creator.email, "campaigns.members").await;
        let (status, body) = get(&app, &path, &without).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["data"]["relationships"].get("address").is_none());
        assert!(body["included"].as_array().is_none_or(|i| i.iter().all(|r| r["type"] != "address")));
        assert_eq!(body["links"]["self"], app.url(&format!("/api/oauth2/v2/members/{}", shipped.id)));

        let with = token(&app, &creds, &creds.creator.email, "campaigns.members campaigns.members.address").await;
        let (_, body) = get(&app, &path, &with).await;
        let address = store.addresses_by_ids(&[shipped.address_id.unwrap()]).await.unwrap().remove(&shipped.address_id.unwrap()).unwrap();
        let included = body["included"].as_array().unwrap().iter().find(|r| r["type"] == "address").unwrap();
        assert_eq!(included["attributes"]["city"], address.city);
        assert_eq!(included["attributes"]["country"], address.country);
    }

    async fn patreon_v2_client_pages_members_to_the_end(db: TestDb) {
        let (app, creds) = setup(db).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns campaigns.members").await;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
        let python = dir.join(".venv-v2/bin/python");
        assert!(python.exists(), "patreon-v2's virtualenv is missing: run scripts/test");
        let output = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            Command::new(python).current_dir(&dir).kill_on_drop(true).args(["patreon_v2_members.py", &app.url(""), &creator, "7"]).output(),
        ).await.unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "patreon-v2 failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let parsed: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(parsed["campaigns"][0], creds.campaign.id.to_string());
        assert_eq!(parsed["campaign_vanity"], creds.campaign.vanity);
        let store = &app.db.store;
        let rows = store.members_page(creds.campaign.id, None, 1000).await.unwrap();
        assert_eq!(parsed["pages"], rows.len().div_ceil(7));
        let users = store.users_by_ids(&rows.iter().map(|m| m.user_id).collect::<Vec<_>>()).await.unwrap();
        let listed = parsed["members"].as_array().unwrap();
        assert_eq!(listed.len(), rows.len(), "every member exactly once");
        for (m, row) in listed.iter().zip(&rows) {
            assert_eq!(m["id"], row.id.to_string());
            assert_eq!(m["patron_status"], serde_json::to_value(&row.patron_status).unwrap());
            assert_eq!(m["full_name"], users[&row.user_id].full_name.as_str());
            assert_eq!(m["user_id"], row.user_id.to_string());
        }
        assert_eq!(parsed["first"]["id"], rows[0].id.to_string());
    }
}
