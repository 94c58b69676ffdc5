"""A counting proxy on loopback between the LiveKit providers and livekit-server.

Not a fake: every request is forwarded unchanged to the real server and its answer returned
unchanged. It only counts, per Twirp method, the calls, the bytes each way and the seconds the
server took, so the benchmarks can say how many calls a created resource costs and how many
bytes each create lists. ``GET /__bench/counts`` returns the counts as JSON,
``POST /__bench/reset`` zeroes them.

    python -m bench.counting_proxy UPSTREAM_URL PORT_FILE

binds 127.0.0.1 on a free port and writes the port to PORT_FILE once it accepts connections.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CountingProxy"]

# Hop-by-hop headers are not forwarded; the body is re-sent with its own Content-Length.
_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
}


class CountingProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream.replace("ws://", "http://").replace("wss://", "https://"))
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"counting proxy: upstream {upstream} is not on loopback")
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.lock = threading.Lock()
        self.counts: dict[str, dict[str, float]] = defaultdict(
            lambda: {"calls": 0, "request_bytes": 0, "response_bytes": 0, "seconds": 0.0}
        )
        self.local = threading.local()
        super().__init__(("127.0.0.1", 0), _Handler)

    def connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
            self.local.conn = conn
        return conn

    def record(self, path: str, sent: int, received: int, seconds: float) -> None:
        method = path.rsplit("/", 1)[-1]
        with self.lock:
            entry = self.counts[method]
            entry["calls"] += 1
            entry["request_bytes"] += sent
            entry["response_bytes"] += received
            entry["seconds"] += seconds

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {k: dict(v) for k, v in self.counts.items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in _HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/__bench/counts":
            body = json.dumps(self.server.snapshot()).encode()
            self._reply(200, body, [("Content-Type", "application/json")])
            return
        self._forward("GET")

    def do_POST(self) -> None:
        if self.path == "/__bench/reset":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with self.server.lock:
                self.server.counts.clear()
            self._reply(200, b"{}", [("Content-Type", "application/json")])
            return
        self._forward("POST")

    def _forward(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        started = time.perf_counter()
        for attempt in (1, 2):
            conn = self.server.connection()
            try:
                conn.request(method, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                # A kept-alive upstream connection closed by the server: reconnect once.
                conn.close()
                self.server.local.conn = None
                if attempt == 2:
                    raise
        seconds = time.perf_counter() - started
        self.server.record(self.path, len(body), len(data), seconds)
        self._reply(response.status, data, response.getheaders())


def main(argv: list[str]) -> None:
    upstream, port_file = argv
    proxy = CountingProxy(upstream)
    tmp = Path(port_file + ".tmp")
    tmp.write_text(str(proxy.server_address[1]))
    tmp.rename(port_file)
    proxy.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
