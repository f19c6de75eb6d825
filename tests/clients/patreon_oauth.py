"""patreon==0.5.0 (Python, API v1): OAuth.get_tokens, then OAuth.refresh_token.

Usage: patreon_oauth.py BASE CLIENT_ID CLIENT_SECRET CODE REDIRECT_URI
Prints {"tokens": …, "refreshed": …} as JSON. The library puts its parameters in the query string
of the POST; that is part of what is tested.
"""

import json
import sys

import patreon
from patreon import oauth as patreon_oauth

from loopback import LoopbackRequests

base, client_id, secret, code, redirect_uri = sys.argv[1:6]
patreon_oauth.requests = LoopbackRequests(base)
client = patreon.OAuth(client_id, secret)
tokens = client.get_tokens(code, redirect_uri)
refreshed = client.refresh_token(tokens["refresh_token"], redirect_uri)
print(json.dumps({"tokens": tokens, "refreshed": refreshed}))
