"""Transient failures are retried with a bound; 4xx answers are not.

The faults are injected by a fake front (``FaultyFront``, on loopback) placed between the
provider and the real LiveKit server: the real server cannot be told to answer 503 on demand.
After the injected faults, requests are passed through to the real server.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_pulumi import LiveKitApiError
from livekit_sip_pulumi.providers import SipInboundTrunkProvider
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config


class FaultyFront:
    """Answers the first ``faults`` requests with ``status`` (a Twirp error), then forwards."""

    def __init__(self, upstream: str, faults: int, status: int, code: str) -> None:
        self.upstream = upstream
        self.faults = faults
        self.requests = 0
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                front.requests += 1
                if front.requests <= front.faults:
                    payload = json.dumps({"code": code, "msg": "injected fault"}).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                request = urllib.request.Request(
                    front.upstream + self.path,
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status_code, data = answer.status, answer.read()
                        content_type = answer.headers.get("Content-Type", "")
                except urllib.error.HTTPError as err:
                    status_code, data = err.code, err.read()
                    content_type = err.headers.get("Content-Type", "")
                self.send_response(status_code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front_factory(clean_livekit: Any) -> Iterator[Any]:
    fronts: list[FaultyFront] = []

    def make(
        faults: int, status: int = 503, code: str = ServerErrorCode.UNAVAILABLE
    ) -> FaultyFront:
        front = FaultyFront(clean_livekit.url, faults, status, code)
        fronts.append(front)
        return front

    yield make
    for front in fronts:
        front.close()


def provider_via(front: FaultyFront, livekit: Any) -> SipInboundTrunkProvider:
    provider = SipInboundTrunkProvider()
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "livekit:url": front.url,
                    "livekit:apiKey": livekit.api_key,
                    "livekit:apiSecret": livekit.api_secret,
                },
                "retries",
            )
        )
    )
    return provider


PROPS = {"name": "retried", "numbers": ["+15105550177"]}


def test_transient_failures_are_retried_until_success(front_factory, clean_livekit):
    front = front_factory(faults=2)
    provider = provider_via(front, clean_livekit)
    # The takeover check lists first (answered 503 twice, then through); then the create.
    result = provider.create(dict(PROPS))
    assert front.requests == 4
    assert [t.sip_trunk_id for t in clean_livekit.inbound_trunks()] == [result.id]


def test_retries_are_bounded(front_factory, clean_livekit):
    front = front_factory(faults=100)
    provider = provider_via(front, clean_livekit)
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(PROPS))
    assert front.requests == 4  # RetryPolicy's default bound
    assert info.value.status == 503
    assert "LiveKit answered 503 unavailable (injected fault); gave up after 4 attempts" in str(
        info.value
    )
    assert clean_livekit.inbound_trunks() == []


def test_rate_limit_is_retried(front_factory, clean_livekit):
    front = front_factory(faults=1, status=429, code=ServerErrorCode.RESOURCE_EXHAUSTED)
    provider = provider_via(front, clean_livekit)
    result = provider.create(dict(PROPS))
    assert front.requests == 3  # list (429, then through), create
    assert [t.sip_trunk_id for t in clean_livekit.inbound_trunks()] == [result.id]


def test_client_errors_are_not_retried(front_factory, clean_livekit):
    front = front_factory(faults=1, status=400, code=ServerErrorCode.INVALID_ARGUMENT)
    provider = provider_via(front, clean_livekit)
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(PROPS))
    assert front.requests == 1
    assert info.value.code == ServerErrorCode.INVALID_ARGUMENT
    assert "injected fault" in str(info.value)


def test_parallel_calls_share_one_client(clean_livekit):
    """The engine calls providers from several threads: they share the process's one event loop
    and one session per credentials, and each call keeps its own deadline and answer."""
    from concurrent.futures import ThreadPoolExecutor

    from livekit import api
    from livekit_sip_pulumi import client

    settings = client.settings_from_config(
        {
            "livekit:url": clean_livekit.url,
            "livekit:apiKey": clean_livekit.api_key,
            "livekit:apiSecret": clean_livekit.api_secret,
        }.get
    )

    def list_trunks(_: int) -> int:
        items = client.call_livekit(
            settings,
            "list",
            lambda lk: lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest()),
        )
        return len(items.items)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(list_trunks, range(32))) == [0] * 32
    mine = [
        lk
        for (url, key, _), lk in client._CLIENTS._apis.items()
        if (url, key) == (clean_livekit.url, clean_livekit.api_key)
        and lk.sip.api_secret == clean_livekit.api_secret
    ]
    assert len(mine) == 1
