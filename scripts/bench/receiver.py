#!/usr/bin/env python3
"""A webhook receiver for scripts/bench/webhooks.sh: answers every FAIL_EVERY-th
message it has not seen before with 500, and everything else with 204, and
counts the `webhook-id` of each request it accepted. With FAIL_EVERY 4, a
fifth of all answers are 500s, and each failed message succeeds at its
first retry (the sender's backoff would otherwise stretch a run to many
minutes). On SIGTERM it writes {"seen": n, "failed": n, "accepted":
{id: times}} to OUT and exits.

asyncio and a minimal HTTP/1.1 parser (keep-alive, Content-Length bodies):
the standard library's http.server answers about a thousand requests a
second on this machine, less than the sender is asked to reach.

Usage: receiver.py PORT FAIL_EVERY OUT
"""

import asyncio
import json
import signal
import sys

PORT, FAIL_EVERY, OUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seen = 0
failed = 0
first_seen = set()
accepted = {}


async def handle(reader, writer):
    global seen, failed
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {}
            for line in head.split(b"\r\n")[1:]:
                if b":" in line:
                    name, value = line.split(b":", 1)
                    headers[name.strip().lower()] = value.strip()
            await reader.readexactly(int(headers.get(b"content-length", b"0")))
            seen += 1
            hook = headers.get(b"webhook-id", b"").decode()
            new = hook not in first_seen
            first_seen.add(hook)
            if new and FAIL_EVERY and len(first_seen) % FAIL_EVERY == 0:
                failed += 1
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
            else:
                accepted[hook] = accepted.get(hook, 0) + 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"seen": seen, "failed": failed, "accepted": accepted}, f)
    # Not `wait_closed()`: from Python 3.12 it waits for the sender's
    # keep-alive connections to end. asyncio.run cancels their handlers.
    server.close()


asyncio.run(main())
