"""``FaultInjectingProxy``: a FAKE network in front of the REAL livekit-server, on loopback.

The real server cannot be told to answer 429, to lose the answer to a create it carried out,
or to hang; this proxy does it on demand. Every request is passed through unchanged unless a
rule matches its path (a substring such as ``"CreateSIPOutboundTrunk"``); each rule applies a
given number of times:

- ``answer(path, status, code, times, retry_after=None)``: answer without forwarding (a Twirp
  error JSON), optionally with a ``Retry-After`` header (``"3600"``: wait an hour);
- ``answer_not_livekit(path, times, body, content_type)``: answer HTTP 200 with a body that is
  not LiveKit's (a web page, by default), as a URL that is not a LiveKit server does;
- ``lose_answer(path, times, how="503"|"reset")``: forward the request (the server carries it
  out), then answer 503 or reset the connection instead of passing the answer back;
- ``hang(path, times, seconds)``: hold the request without forwarding it for ``seconds``
  (or until the proxy closes).

``log`` records ``(monotonic time, path, what happened)`` for every request.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Rule:
    path: str
    action: str  # "answer", "not-livekit", "lose-503", "lose-reset", "hang"
    times: int
    status: int = 503
    code: str = "unavailable"
    retry_after: str | None = None
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = ""


class FaultInjectingProxy:
    """HTTP proxy on 127.0.0.1 in front of ``upstream`` (the real server), injecting faults."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.log: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rule = proxy._take(self.path)
                if rule is None:
                    proxy._record(self.path, "forwarded")
                    self._reply(*proxy._forward(self.path, body, self.headers))
                elif rule.action == "answer":
                    proxy._record(self.path, f"answered {rule.status}")
                    payload = json.dumps({"code": rule.code, "msg": "injected fault"}).encode()
                    extra = {"Retry-After": rule.retry_after} if rule.retry_after else {}
                    self._reply(rule.status, payload, "application/json", extra)
                elif rule.action == "not-livekit":
                    proxy._record(self.path, "answered 200, not LiveKit")
                    self._reply(200, rule.body, rule.content_type)
                elif rule.action == "hang":
                    proxy._record(self.path, "held")
                    proxy._closing.wait(rule.seconds)
                    self.close_connection = True
                else:
                    proxy._forward(self.path, body, self.headers)  # the server carries it out
                    proxy._record(self.path, f"answer lost ({rule.action})")
                    if rule.action == "lose-reset":
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        self.close_connection = True
                        with contextlib.suppress(OSError):
                            self.connection.close()
                    else:
                        payload = json.dumps({"code": "unavailable", "msg": "injected"}).encode()
                        self._reply(503, payload, "application/json")

            def _reply(
                self,
                status: int,
                data: bytes,
                content_type: str,
                extra: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # -- rules -------------------------------------------------------------------------------------

    def answer(
        self, path: str, status: int, code: str, times: int = 1, retry_after: str | None = None
    ) -> None:
        self.rules.append(Rule(path, "answer", times, status, code, retry_after))

    def answer_not_livekit(
        self,
        path: str,
        times: int = 1_000,
        body: bytes = b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>\n",
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        self.rules.append(
            Rule(path, "not-livekit", times, status=200, body=body, content_type=content_type)
        )

    def lose_answer(self, path: str, times: int = 1, how: str = "503") -> None:
        assert how in ("503", "reset")
        self.rules.append(Rule(path, f"lose-{how}", times))

    def hang(self, path: str, times: int = 1_000, seconds: float = 120.0) -> None:
        self.rules.append(Rule(path, "hang", times, seconds=seconds))

    def events(self, path: str) -> list[tuple[float, str]]:
        """``(time, what)`` of the requests whose path contains ``path``."""
        return [(t, what) for t, p, what in self.log if path in p]

    # -- plumbing ----------------------------------------------------------------------------------

    def _take(self, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.path in path and rule.times > 0:
                    rule.times -= 1
                    return rule
        return None

    def _record(self, path: str, what: str) -> None:
        with self._lock:
            self.log.append((time.monotonic(), path, what))

    def _forward(self, path: str, body: bytes, headers: Any) -> tuple[int, bytes, str]:
        request = urllib.request.Request(
            self.upstream + path,
            data=body,
            headers={k: v for k, v in headers.items() if k.lower() != "host"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers.get("Content-Type", "")

    def close(self) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()
