"""DonationAlertsAPI==2.0.2: user() and donations_list() against /api/v1.

Usage: donationalerts_api.py BASE ACCESS_TOKEN
Prints what the library parsed, as JSON: the user's fields, for pages 1 and 2 every donation's
fields (created_at as the library's datetime, re-formatted), and the answer to
send_custom_alert() (a form with `headline`, not `header`).
"""

import json
import sys

from donationalerts import donationalerts as da

from loopback import LoopbackRequests

base, access_token = sys.argv[1:3]
da.requests = LoopbackRequests(base)
da.DEFAULT_URL = base.rstrip("/") + "/oauth/"
da.DEFAULT_API_LINK = base.rstrip("/") + "/api/v1/"
api = da.DonationAlertsAPI("1", "unused", "http://127.0.0.1/cb", ["oauth-user-show", "oauth-donation-index"])

user = api.user(access_token)
pages = []
seen = 0
for page in (1, 2):
    donations = api.donations_list(access_token, page=page)
    # The library keeps its parsed donations in a class-level list shared by every call, so a
    # page's donations are the ones appended since the last call.
    new = donations.donation[seen:]
    seen = len(donations.donation)
    pages.append([
        {
            "id": d.id,
            "name": d.name,
            "username": d.username,
            "message": d.message,
            "message_type": d.message_type,
            "amount": d.amount,
            "amount_in_user_currency": d.amount_in_user_currency,
            "currency": d.currency,
            "is_shown": d.is_shown,
            "created_at": d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "shown_at": d.shown_at,
            "recipient_name": d.recipient_name,
            "payin_system": d.payin_system,
        }
        for d in new
    ])
alert = api.send_custom_alert(access_token, "py-1", "From Python", "Hello overlay", is_shown=1)
print(json.dumps({
    "custom_alert": alert,
    "user": {
        "id": user.id,
        "code": user.code,
        "name": user.name,
        "email": user.email,
        "avatar": user.avatar,
        "language": user.language,
        "socket_connection_token": user.socket_connection_token,
    },
    "pages": pages,
}))
