"""patreon-v2==0.5.1 (Python, API v2): API.get_identity with includes and fields.

Usage: patreon_v2_identity.py BASE ACCESS_TOKEN
Prints what the library parsed: the user's id and attributes, the ids of the memberships, and
for each included resource its type, id and attributes, as JSON.
"""

import json
import sys

from patreon import api as patreon_api

from loopback import LoopbackRequests

base, token = sys.argv[1:3]
patreon_api.requests = LoopbackRequests(base)
client = patreon_api.API(token)
doc = client.get_identity(
    includes=["memberships", "memberships.currently_entitled_tiers"],
    fields={
        "user": ["email", "full_name", "is_email_verified", "created"],
        "member": ["patron_status", "currently_entitled_amount_cents", "lifetime_support_cents"],
        "tier": ["title", "amount_cents"],
    },
)
if isinstance(doc, dict):  # the library returns the raw body when it holds errors
    print(json.dumps({"errors": doc["errors"]}))
    sys.exit(1)
user = doc.data()
memberships = user.relationship("memberships") or []
print(json.dumps({
    "id": user.id(),
    "type": user.type(),
    "attributes": user.attributes(),
    "memberships": [m.id() for m in memberships],
    "member_attributes": [m.attributes() for m in memberships],
    "tiers": [
        {"id": t.id(), "attributes": t.attributes()}
        for m in memberships
        for t in (m.relationship("currently_entitled_tiers") or [])
    ],
}))
