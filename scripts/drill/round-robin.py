#!/usr/bin/env python3
"""A small round-robin HTTP proxy for the two-servers drill: each request
goes to the next backend in turn, so consecutive requests of one browser
(a page, its server functions, its form posts) land on different server
processes. Sessions, throttles and jobs must therefore live in the
database, not in a process.

One exception: `/dev/mail*`, the development mail sink's page, goes to
the first backend, because only one process can run the sink (the other
sends its mail there over SMTP). The sink is a development tool, not part
of the service under test.

Usage: round-robin.py LISTEN_PORT BACKEND_URL [BACKEND_URL ...]
"""
import http.client
import http.server
import itertools
import signal
import sys
import threading
import urllib.parse

listen = int(sys.argv[1])
backends = [urllib.parse.urlsplit(u) for u in sys.argv[2:]]
turn = itertools.cycle(range(len(backends)))
turn_lock = threading.Lock()
counts = [0] * len(backends)
# Hop-by-hop headers (RFC 9110 §7.6.1) and the framing this proxy redoes.
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
       "transfer-encoding", "upgrade", "content-length"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        if self.path.startswith("/dev/mail"):
            which = 0
        else:
            with turn_lock:
                which = next(turn)
        with turn_lock:
            counts[which] += 1
        backend = backends[which]
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # Browsers send bodies with a length; answering rather than
            # misreading keeps the connection's framing intact.
            self.send_error(411, "a request body needs a Content-Length here")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn = http.client.HTTPConnection(backend.hostname, backend.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            length = res.getheader("Content-Length")
        except (OSError, http.client.HTTPException) as e:
            self.send_error(502, f"backend {which}: {e}")
            return
        finally:
            conn.close()
        self.send_response_only(res.status, res.reason)
        for k, v in res.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if self.command == "HEAD":
            # What a GET would send, as the backend said.
            if length is not None:
                self.send_header("Content-Length", length)
        elif res.status not in (204, 304) and res.status >= 200:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = forward


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def stop(*_):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, stop)
server = Server(("127.0.0.1", listen), Proxy)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    print("requests per backend:", counts, flush=True)
