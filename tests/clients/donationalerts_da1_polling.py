"""donationalerts==1.0.1: polling() for the newest donation of /api/v1/alerts/donations.

Usage: donationalerts_da1_polling.py BASE ACCESS_TOKEN
The library's URL is an inline f-string, so its module-level `requests` is replaced with the
loopback one. Its polling loop has no sleep; the stand-in paces requests 100 ms apart so the
60-a-minute application limit lasts the test. Prints "polling" once the library has read the
current newest donation, then the first new donation its handler receives, as JSON, and exits.
"""

import json
import os
import sys
import time

import donationalerts

from loopback import LoopbackRequests

base, access_token = sys.argv[1:3]


class Paced(LoopbackRequests):
    def __init__(self, base):
        super().__init__(base)
        self.calls = 0

    def get(self, url, *args, **kwargs):
        time.sleep(0.1)
        self.calls += 1
        response = super().get(url, *args, **kwargs)
        if self.calls == 1:
            print("polling", flush=True)
        return response


donationalerts.requests = Paced(base)
client = donationalerts.DonationAlerts(access_token)


@client.handler
def on_donation(donation):
    print(json.dumps(donation), flush=True)
    os._exit(0)


client.polling(in_this_thread=True)
