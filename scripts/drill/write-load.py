#!/usr/bin/env python3
"""Write load for the drills: WORKERS threads each POST referrals to the
REST API for SECONDS seconds and record every answer (status, how long it
took, and the id of each referral acknowledged with 201).

Prints one JSON object: the answers in order of sending, as
[sent_at, seconds_taken, status, id_or_null], with sent_at in seconds since
the epoch (so a drill can line them up with what it did when). A request that got no answer at all (connection refused, the
client's deadline) has status 0.

Usage: write-load.py BASE_URL KEY SECONDS [WORKERS=8] [DEADLINE=20]
"""
import datetime
import json
import sys
import threading
import time
import urllib.error
import urllib.request

base, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
workers = int(sys.argv[4]) if len(sys.argv) > 4 else 8
deadline = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
start_date = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
body = json.dumps({
    "patient": {"initials": "DR", "birth_year": 1950},
    "zip": "43215",
    "primary_diagnosis": "CHF",
    "care_type": "Skilled Nursing",
    "priority": "routine",
    "requested_start": start_date,
}).encode()

answers = []
lock = threading.Lock()
t0 = time.monotonic()


def worker():
    while time.monotonic() - t0 < seconds:
        sent, sent_wall = time.monotonic(), time.time()
        request = urllib.request.Request(
            f"{base}/api/v1/discharge-referrals", data=body, method="POST",
            headers={"Authorization": f"Bearer {key}",
                     "Content-Type": "application/json"})
        status, ident = 0, None
        try:
            with urllib.request.urlopen(request, timeout=deadline) as res:
                status = res.status
                ident = json.load(res)["data"]["id"]
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = 0
        took = time.monotonic() - sent
        with lock:
            answers.append([round(sent_wall, 3), round(took, 3), status, ident])
        if status != 201:
            # An unavailable service is not hammered; a client would back off.
            time.sleep(0.2)


threads = [threading.Thread(target=worker) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
answers.sort()
json.dump({"answers": answers}, sys.stdout)
