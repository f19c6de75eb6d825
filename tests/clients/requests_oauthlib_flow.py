"""requests-oauthlib==2.0.0: the Patreon authorization-code flow as a web app runs it.

Usage: requests_oauthlib_flow.py BASE CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD
OAuth2Session builds the authorize URL; a plain requests.Session plays the browser (logs in,
opens the consent page, presses Allow, reads the 303); fetch_token exchanges the code and
refresh_token rotates it. Prints {"token": …, "refreshed": …, "state_ok": bool} as JSON.
"""

import json
import re
import sys
from urllib.parse import urljoin

import requests
from requests_oauthlib import OAuth2Session

base, client_id, secret, redirect_uri, email, password = sys.argv[1:7]
if not base.startswith("http://127.0.0.1:"):
    raise SystemExit(f"base URL must be http://127.0.0.1:PORT, got {base}")


def hidden(html, name):
    match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    if not match:
        raise SystemExit(f"no {name} field in:\n{html[:2000]}")
    return match.group(1)


oauth = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=["identity", "identity[email]", "campaigns"])
authorize_url, state = oauth.authorization_url(urljoin(base, "/oauth2/authorize"))

browser = requests.Session()
login_page = browser.get(urljoin(base, "/login"), timeout=10).text
response = browser.post(urljoin(base, "/login"), timeout=10, allow_redirects=False, data={
    "csrf_token": hidden(login_page, "csrf_token"), "email": email, "password": password, "next": "/profile",
})
assert response.status_code == 303, f"login failed: {response.status_code}"

consent = browser.get(authorize_url, timeout=10)
assert consent.status_code == 200, f"consent page: {consent.status_code} {consent.text[:500]}"
action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1).replace("&amp;", "&")
decision = browser.post(urljoin(base, action), timeout=10, allow_redirects=False, data={
    "csrf_token": hidden(consent.text, "csrf_token"), "consent": hidden(consent.text, "consent"), "decision": "allow",
})
assert decision.status_code == 303, f"consent answer: {decision.status_code} {decision.text[:500]}"
callback = decision.headers["Location"]

token = oauth.fetch_token(urljoin(base, "/api/oauth2/token"), authorization_response=callback,
                          client_secret=secret, include_client_id=True)
refreshed = oauth.refresh_token(urljoin(base, "/api/oauth2/token"), client_id=client_id, client_secret=secret)
print(json.dumps({"token": token, "refreshed": refreshed, "state_ok": f"state={state}" in callback}))
