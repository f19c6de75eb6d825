"""DonationAlertsAPI==2.0.2: Centrifugo(socket_token, access_token, user_id).subscribe() against
/connection/websocket, pointed at the server as spec §5 says (its `uri`, and `create_connection`
wrapped so the socket is also `Centrifugo.ws`, which the library sends its subscribe through).

Usage: donationalerts_centrifugo.py BASE ACCESS_TOKEN
Prints SUBSCRIBED when the library has read the subscribe reply and the JOIN push and waits for
the next frame, then DONATION {...}: what subscribe() returned (created_at re-formatted).
"""

import json
import sys

from donationalerts import donationalerts as da

from loopback import LoopbackRequests

base, access_token = sys.argv[1:3]
da.requests = LoopbackRequests(base)
da.DEFAULT_URL = base.rstrip("/") + "/oauth/"
da.DEFAULT_API_LINK = base.rstrip("/") + "/api/v1/"
ws_url = base.rstrip("/").replace("http://", "ws://", 1) + "/connection/websocket"


class Watched:
    """The library's socket, saying when it starts waiting for the donation (its 4th frame)."""

    def __init__(self, ws):
        self.ws = ws
        self.frames = 0

    def send(self, data):
        return self.ws.send(data)

    def recv(self):
        self.frames += 1
        if self.frames == 4:
            print("SUBSCRIBED", flush=True)
        return self.ws.recv()


real_create_connection = da.create_connection


def create_connection(url, *args, **kwargs):
    if url != ws_url:
        raise RuntimeError(f"refusing to connect off this machine: {url}")
    kwargs.setdefault("timeout", 30)
    ws = Watched(real_create_connection(url, *args, **kwargs))
    da.Centrifugo.ws = ws
    return ws


da.create_connection = create_connection

api = da.DonationAlertsAPI("1", "unused", "http://127.0.0.1/cb", ["oauth-user-show", "oauth-donation-subscribe"])
user = api.user(access_token)
centrifugo = da.Centrifugo(user.socket_connection_token, access_token, user.id)
centrifugo.uri = ws_url
got = centrifugo.subscribe("$alerts:donation_")
print("DONATION " + json.dumps({
    "amount": got.amount,
    "amount_in_user_currency": got.amount_in_user_currency,
    "created_at": got.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    "currency": got.currency,
    "id": got.id,
    "is_shown": got.is_shown,
    "message": got.message,
    "message_type": got.message_type,
    "name": got.name,
    "payin_system": got.payin_system,
    "recipient_name": got.recipient_name,
    "shown_at": got.shown_at,
    "username": got.username,
    "reason": got.reason,
    "objects": got.objects,
}, ensure_ascii=False), flush=True)
