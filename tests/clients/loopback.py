"""Points client libraries with hard-coded hosts at a local Maecenas.

Every URL a library builds for one of the platform's hosts is rewritten onto the base URL given
on the command line (always 127.0.0.1); anything else is refused, so a test can never reach the
real platforms.
"""

import requests

PLATFORM_HOSTS = (
    "https://www.patreon.com",
    "https://patreon.com",
    "https://api.patreon.com",
    "https://www.donationalerts.com",
)


def rewrite(url: str, base: str) -> str:
    for host in PLATFORM_HOSTS:
        if url.startswith(host + "/"):
            return base.rstrip("/") + url[len(host):]
    if url.startswith(base.rstrip("/") + "/"):
        return url
    raise RuntimeError(f"refusing to send a request off this machine: {url}")


class LoopbackRequests:
    """A stand-in for a library's module-level `requests` that rewrites every URL."""

    def __init__(self, base: str):
        if not base.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"base URL must be http://127.0.0.1:PORT, got {base}")
        self.base = base

    def __getattr__(self, name):
        return getattr(requests, name)

    def get(self, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return requests.get(rewrite(url, self.base), *args, **kwargs)

    def post(self, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return requests.post(rewrite(url, self.base), *args, **kwargs)
