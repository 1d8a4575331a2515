#!/usr/bin/env python3
"""Latency of a signed-in page while 200 bad sign-ins arrive at once.

Prints the page's latency (p50, p95, max over N loads) with no flood (the
baseline, measured in the same run) and during a flood of concurrent bad
sign-ins from distinct client addresses (sent through a trusted proxy, so
no per-address throttle applies and every guess reaches the password
hasher). Run by scripts/bench/sign-in-flood.sh against a server it starts.

usage: sign-in-flood.py BASE_URL EMAIL PASSWORD [FLOOD] [LOADS]
"""
import http.cookiejar
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def post(op, url, fields, headers=None):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with op.open(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def timed_loads(op, url, n):
    times, statuses = [], []
    for _ in range(n):
        t = time.perf_counter()
        statuses.append(post(op, url, {}))
        times.append((time.perf_counter() - t) * 1000)
    return times, statuses


def summary(times):
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return f"{statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}"


def main():
    base, email, password = sys.argv[1:4]
    flood = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    loads = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    me = opener()
    status = post(me, f"{base}/rpc/auth/login", {"email": email, "password": password})
    if status not in (200, 302):
        sys.exit(f"could not sign in: {status}")
    page = f"{base}/rpc/auth/account"

    base_times, base_status = timed_loads(me, page, loads)

    results = []
    def guess(i):
        results.append(post(opener(), f"{base}/rpc/auth/login",
                            {"email": f"flood{i}@example.org", "password": "not the password"},
                            {"X-Forwarded-For": f"198.51.{i // 200}.{i % 200 + 1}"}))
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(flood)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(0.3)
    flood_times, flood_status = timed_loads(me, page, loads)
    for t in threads:
        t.join()
    flood_secs = time.perf_counter() - started

    print(f"signed-in page (/rpc/auth/account), {loads} loads each, milliseconds")
    print(f"{'':24} {'p50':>8} {'p95':>8} {'max':>8}  statuses")
    print(f"{'baseline (no flood)':24} {summary(base_times)}  {sorted(set(base_status))}")
    print(f"{f'during {flood} bad sign-ins':24} {summary(flood_times)}  {sorted(set(flood_status))}")
    print(f"flood: {flood} sign-ins answered in {flood_secs:.1f} s, statuses "
          f"{ {s: results.count(s) for s in sorted(set(results))} }")
    if any(s != 200 for s in base_status + flood_status):
        sys.exit("a signed-in page load failed")


if __name__ == "__main__":
    main()
