"""DonationAlertsAPI==2.0.2: get_access_token(code, full_json=True) against /oauth/token.

Usage: donationalerts_oauth.py BASE CLIENT_ID CLIENT_SECRET CODE REDIRECT_URI
Prints the library's parsed token fields as JSON. The library sends the integer client id and a
`scope` parameter with the code; it reads access_token, expires_in, refresh_token, token_type.
"""

import json
import sys

from donationalerts import donationalerts as da

from loopback import LoopbackRequests

base, client_id, secret, code, redirect_uri = sys.argv[1:6]
da.requests = LoopbackRequests(base)
da.DEFAULT_URL = base.rstrip("/") + "/oauth/"
da.DEFAULT_API_LINK = base.rstrip("/") + "/api/v1/"
api = da.DonationAlertsAPI(client_id, secret, redirect_uri, ["oauth-user-show", "oauth-donation-index"])
data = api.get_access_token(code, full_json=True)
print(json.dumps({
    "access_token": data.access_token,
    "expires_in": data.expires_in,
    "refresh_token": data.refresh_token,
    "token_type": data.token_type,
}))
