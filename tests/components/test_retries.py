"""Transient failures are retried with a bound; 4xx answers are not.

The faults are injected by a fake front (``FaultyFront``, on loopback) placed between the
provider and the real LiveKit server: the real server cannot be told to answer 503 on demand.
After the injected faults, requests are passed through to the real server.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_pulumi import LiveKitApiError
from livekit_sip_pulumi.providers import SipInboundTrunkProvider, SipOutboundTrunkProvider
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


# -- answers that are not LiveKit's, and Retry-After (faults from tests/faults.py) ---------------


@pytest.fixture
def proxy(clean_livekit: Any) -> Iterator[Any]:
    from tests.faults import FaultInjectingProxy

    front = FaultInjectingProxy(clean_livekit.url)
    yield front
    front.close()


def outbound_via(proxy: Any, livekit: Any, timeout: str = "") -> SipOutboundTrunkProvider:
    provider = SipOutboundTrunkProvider()
    config = {
        "livekit:url": proxy.url,
        "livekit:apiKey": livekit.api_key,
        "livekit:apiSecret": livekit.api_secret,
    }
    if timeout:
        config["livekit:timeoutSeconds"] = timeout
    provider.configure(ConfigureRequest(Config(config, "retries")))
    return provider


OUTBOUND = {"name": "limited", "address": "sip.telnyx.com", "numbers": ["+15105550178"]}
CREATE = "CreateSIPOutboundTrunk"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!DOCTYPE html><html><body>Welcome</body></html>", "text/html"),
        # An empty body decodes as an empty protobuf message: the Content-Type gives it away.
        (b"", "text/plain"),
        (b'{"items": []}', "application/json"),
        # What the server says is quoted with its control characters escaped.
        (b"<html>", "text/html\x1b[2J"),
    ],
    ids=["html", "empty", "json", "escape-sequence"],
)
def test_an_answer_that_is_not_livekits_is_named_as_such(
    proxy, clean_livekit, body, content_type
):
    proxy.answer_not_livekit("/twirp/", body=body, content_type=content_type)
    provider = outbound_via(proxy, clean_livekit)
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(OUTBOUND))
    message = str(info.value)
    assert message.startswith(f"list SIP outbound trunk: {proxy.url} answered HTTP 200 with a "
                              "body that is not LiveKit's"), message
    assert "the URL does not answer like a LiveKit server" in message
    assert "livekit:url" in message
    assert "DecodeError" not in message and "\x1b" not in message
    assert info.value.code == ServerErrorCode.BAD_ROUTE and not info.value.transient
    # Not retried: such a URL answers the same every time.
    assert [what for _, what in proxy.events("/twirp/")] == ["answered 200, not LiveKit"]
    assert clean_livekit.outbound_trunks() == []


def test_retry_after_longer_than_the_deadline_fails_at_once(proxy, clean_livekit):
    proxy.answer(CREATE, 429, ServerErrorCode.RESOURCE_EXHAUSTED, times=100, retry_after="3600")
    provider = outbound_via(proxy, clean_livekit, timeout="5")
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(OUTBOUND))
    # Sent once: not again after a backoff, nor by the create's own re-send loop.
    assert [what for _, what in proxy.events(CREATE)] == ["answered 429"]
    message = str(info.value)
    assert "LiveKit is rate-limiting this API key (429 resource_exhausted)" in message
    assert "asked to wait 3600 s before the next request (Retry-After), longer than the " \
        "deadline of 5 s (livekit:timeoutSeconds)" in message
    assert re.search(r"gave up after 1 attempt over \d+\.\d s", message), message
    assert info.value.retry_after == 3600 and info.value.attempts == 1
    assert clean_livekit.outbound_trunks() == []


def test_retry_after_is_waited_for_and_the_final_message_counts_the_attempts(
    proxy, clean_livekit
):
    proxy.answer(CREATE, 429, ServerErrorCode.RESOURCE_EXHAUSTED, times=100, retry_after="1")
    provider = outbound_via(proxy, clean_livekit)
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(OUTBOUND))
    sent = [t for t, _ in proxy.events(CREATE)]
    # RetryPolicy's bound, each at least the asked second after the one before; the create's
    # re-send loop does not send a 429 again.
    assert len(sent) == 4
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(sent))
    assert re.search(r"gave up after 4 attempts over \d+\.\d s", str(info.value)), info.value
    assert clean_livekit.outbound_trunks() == []


def test_a_create_sent_again_counts_every_send(proxy, clean_livekit):
    """503 before the server saw it, every time: the create is sent again after each lookup,
    and the final message counts the sends, not the last call's one."""
    proxy.answer(CREATE, 503, ServerErrorCode.UNAVAILABLE, times=100)
    provider = outbound_via(proxy, clean_livekit)
    with pytest.raises(LiveKitApiError) as info:
        provider.create(dict(OUTBOUND))
    sends = len(proxy.events(CREATE))
    assert sends == 4, proxy.events(CREATE)
    assert re.search(rf"gave up after {sends} attempts over \d+\.\d s", str(info.value)), (
        info.value
    )
    assert clean_livekit.outbound_trunks() == []
