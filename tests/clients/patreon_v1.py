"""patreon==0.5.0 (API v1): fetch_user, fetch_campaign, then fetch_page_of_pledges paged to the
end with the library's own extract_cursor.

Usage: patreon_v1.py BASE ACCESS_TOKEN PAGE_SIZE
Prints {"user": {...}, "campaign": {...}, "pages": N, "pledges": [{id, amount_cents, patron_id, reward_id}]}.
"""

import json
import sys

from patreon import api as patreon_api

from loopback import LoopbackRequests

base, token, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
patreon_api.requests = LoopbackRequests(base)
client = patreon_api.API(token)


def check(doc):
    if isinstance(doc, dict):  # raw body: the server answered with errors
        print(json.dumps({"errors": doc.get("errors")}))
        sys.exit(1)
    return doc


def related(resource, name):
    info = resource.relationship_info(name)
    return info.resource() if info and info.json_data.get("data") else None


user = check(client.fetch_user()).data()
campaigns = check(client.fetch_campaign())
campaign = campaigns.data()[0]
rewards = campaign.relationship("rewards") or []
goals = campaign.relationship("goals") or []
pledges, pages, cursor = [], 0, None
while True:
    doc = check(client.fetch_page_of_pledges(campaign.id(), page_size, cursor=cursor))
    pages += 1
    for p in doc.data():
        # The library's relationship() fails on a null to-one (`{"data": null}`), as v1 sends
        # for a pledge without a reward: look at the data first.
        patron = related(p, "patron")
        reward = related(p, "reward")
        pledges.append({
            "id": p.id(),
            "amount_cents": p.attribute("amount_cents"),
            "declined_since": p.attribute("declined_since"),
            "patron_id": patron.id() if patron else None,
            "patron_name": patron.attribute("full_name") if patron else None,
            "reward_id": reward.id() if reward else None,
        })
    cursor = client.extract_cursor(doc)
    if not cursor or pages > 1000:
        break
print(json.dumps({
    "user": {"id": user.id(), "full_name": user.attribute("full_name"), "email": user.attribute("email"),
             "campaign_id": user.relationship("campaign").id() if user.relationship("campaign") else None},
    "campaign": {"id": campaign.id(), "creation_name": campaign.attribute("creation_name"),
                 "patron_count": campaign.attribute("patron_count"),
                 "rewards": [r.id() for r in rewards], "goals": [g.attribute("title") for g in goals],
                 "creator_id": campaign.relationship("creator").id()},
    "pages": pages,
    "pledges": pledges,
}))
