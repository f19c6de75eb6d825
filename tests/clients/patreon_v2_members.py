"""patreon-v2==0.5.1: get_campaigns, then get_campaigns_by_id_members paged to the end with the
library's own extract_cursor, then get_members_by_id for the first member.

Usage: patreon_v2_members.py BASE ACCESS_TOKEN PAGE_SIZE
Prints {"campaigns": [...], "pages": N, "members": [{id, patron_status, full_name}], "first": {...}}.
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


campaigns = check(client.get_campaigns(10, fields={"campaign": ["vanity", "patron_count"]}))
campaign_ids = [c.id() for c in campaigns.data()]
members, pages, cursor = [], 0, None
while True:
    doc = check(client.get_campaigns_by_id_members(
        campaign_ids[0], page_size, cursor=cursor,
        includes=["user"], fields={"member": ["patron_status", "full_name"], "user": ["full_name"]},
    ))
    pages += 1
    for m in doc.data():
        user = m.relationship("user")
        members.append({"id": m.id(), "patron_status": m.attribute("patron_status"),
                        "full_name": m.attribute("full_name"), "user_id": user.id() if user else None})
    cursor = client.extract_cursor(doc)
    if not cursor or pages > 1000:
        break
first = check(client.get_members_by_id(members[0]["id"], includes=["currently_entitled_tiers"], fields={"tier": ["title"]}))
print(json.dumps({
    "campaigns": campaign_ids,
    "campaign_vanity": campaigns.data()[0].attribute("vanity"),
    "pages": pages,
    "members": members,
    "first": {"id": first.data().id(), "tiers": [t.attribute("title") for t in (first.data().relationship("currently_entitled_tiers") or [])]},
}))
