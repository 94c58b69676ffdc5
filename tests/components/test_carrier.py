"""The carrier stand-in's pieces that need no namespace: its digest check, its defaults for the
providers' hosts, the calls file's outbound entries and carrier accounts, the tone detector,
and the guide's table."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from livekit_sip_core.guide import OUTBOUND_GUIDE, outbound_guide
from livekit_sip_pulumi.telephony import carrier as carrier_mod
from livekit_sip_pulumi.telephony.carrier import CarrierAccount, CarrierStandIn, default_accounts
from livekit_sip_pulumi.telephony.netns import NetNamespace
from livekit_sip_pulumi.telephony.outbound import _transfer_outcome, parse_carrier, parse_outbound
from livekit_sip_pulumi.telephony.suite import load_calls
from livekit_sip_pulumi.telephony.uac import (
    G711_DECODE,
    NETWORK_LATENCY,
    CallLeg,
    _digest,
    pcmu_tone,
    tone_share,
)

ACCOUNT = CarrierAccount("sip.telnyx.com", username="acme", password="right")


def _stand_in() -> CarrierStandIn:
    return CarrierStandIn(NetNamespace("lksp-calls-unit"))


@pytest.mark.parametrize("password, qop, expected", [
    ("right", True, True), ("right", False, True), ("wrong", True, False),
])
def test_digest_answers_are_checked(password: str, qop: bool, expected: bool) -> None:
    stand_in = _stand_in()
    stand_in._nonces.add("n0nce")
    challenge = 'Digest realm="sip.telnyx.com", nonce="n0nce", algorithm=MD5' + (
        ', qop="auth"' if qop else "")
    answer = _digest(challenge, "INVITE", "sip:+15105550100@sip.telnyx.com", "acme", password)
    assert stand_in._check_auth(ACCOUNT, {"proxy-authorization": answer}) is expected


def test_no_or_stale_credentials_are_challenged() -> None:
    stand_in = _stand_in()
    assert stand_in._check_auth(ACCOUNT, {}) is None
    stale = _digest('Digest realm="sip.telnyx.com", nonce="old"', "INVITE", "sip:x@h", "acme",
                    "right")
    assert stand_in._check_auth(ACCOUNT, {"authorization": stale}) is None


def test_the_password_is_not_in_the_account_repr() -> None:
    assert "right" not in repr(ACCOUNT)


def test_defaults_do_what_the_providers_do() -> None:
    accounts = {a.host: a for a in default_accounts([
        "sip.telnyx.com", "acme.sip.telnyx.com:5060", "acme.pstn.twilio.com",
        "acme.sip.twilio.com", "pbx.example.net", "sip.telnyx.com"])}
    assert set(accounts) == {"sip.telnyx.com", "acme.sip.telnyx.com", "acme.pstn.twilio.com",
                             "pbx.example.net"}  # a Twilio SIP domain does not resolve
    assert accounts["acme.sip.telnyx.com"].answer == "unavailable"
    assert accounts["sip.telnyx.com"].answer == "yes" and not accounts["sip.telnyx.com"].username


def test_bad_account_values_are_refused() -> None:
    for changes in ({"answer": "maybe"}, {"challenge": 403}, {"refer": "yes"}, {"media": "x"}):
        with pytest.raises(ValueError):
            CarrierAccount("sip.telnyx.com", **changes)  # type: ignore[arg-type]


def test_outbound_entries_and_their_problems() -> None:
    found, problems = parse_outbound([
        (0, {"direction": "outbound", "trunk": "t", "to": "+1", "expect": 486}),
        (1, {"direction": "outbound", "trunk": "t", "to": "+1", "expect": "busy"}),
        (2, {"direction": "outbound", "trunk": "t", "expect": "answered"}),
        (3, {"direction": "outbound", "trunk": "t", "to": "+1", "expect": "answered",
             "sourceIp": "1.2.3.4"}),
    ])
    assert [(e.index, e.expect, e.spec.trunk) for e in found] == [(0, 486, "t")]
    assert [i for i, _ in problems] == [1, 2, 3]
    assert "not one of answered" in problems[0][1] and "misses to" in problems[1][1]
    assert "unknown keys ['sourceIp']" in problems[2][1]


def test_carrier_passwords_come_from_the_environment_and_are_never_shown() -> None:
    accounts = parse_carrier([{"host": "SIP.telnyx.com", "username": "acme",
                               "passwordEnv": "PW", "busy": ["+1"]}], {"PW": "s3cret"})
    assert accounts[0].host == "sip.telnyx.com" and accounts[0].password == "s3cret"
    with pytest.raises(ValueError, match="the variable PW \\(passwordEnv\\) is not set") as err:
        parse_carrier([{"host": "h", "passwordEnv": "PW"}], {})
    assert "s3cret" not in str(err.value)
    with pytest.raises(ValueError, match="unknown keys \\['password'\\]"):
        parse_carrier([{"host": "h", "password": "s3cret"}], {})


def test_a_calls_file_mixes_inbound_and_outbound_calls(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    path.write_text(json.dumps({"carrier": [{"host": "sip.telnyx.com"}], "calls": [
        {"from": "+14155550001", "to": "+15105550100", "expect": "drop"},
        {"direction": "outbound", "trunk": "telnyx-out", "to": "+15105550100",
         "expect": "answered"},
        {"direction": "inbound", "from": "+14155550001", "to": "+15105550101",
         "expect": "accept"},
    ]}))
    calls = load_calls(path)
    assert [e.index for e in calls.inbound] == [0, 2]
    assert [e.index for e in calls.outbound] == [1]
    assert calls.carrier is not None and calls.carrier[0].host == "sip.telnyx.com"
    path.write_text(json.dumps([{"direction": "sideways", "from": "+1", "to": "+2",
                                 "expect": "drop"}]))
    with pytest.raises(ValueError, match="call #1 direction 'sideways'"):
        load_calls(path)


def test_tone_share_tells_a_tone_from_another_and_from_silence() -> None:
    tone = [G711_DECODE["PCMU"][b] for b in pcmu_tone(440.0, 1.0)]
    assert tone_share(tone, 440.0) > 0.9 and tone_share(tone, 1000.0) < 0.05
    assert tone_share([0] * 8000, 440.0) == 0.0
    alaw = [G711_DECODE["PCMA"][b] for b in carrier_mod._tone(1000.0, "PCMA")]
    assert tone_share(alaw, 1000.0) > 0.9


def test_every_carrier_code_has_the_guides_section() -> None:
    for code in (401, 403, 404, 407, 486, 488, 503):
        entry = outbound_guide(code, "rejected")
        assert entry is not None and entry.url.startswith("https://docs.livekit.io/")
    assert outbound_guide(None, "unresolved") is OUTBOUND_GUIDE["unresolved"]
    assert outbound_guide(None, "answered") is None
    assert outbound_guide(600, "rejected") is None


class _Socket:
    """A stand-in's socket that records what is sent through it."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, to: tuple[str, int]) -> None:
        self.sent.append((data, to))


def test_answers_leave_after_the_network_latency_not_at_once() -> None:
    """A carrier's answer crosses a network: the stand-in sends nothing sooner than its latency
    after the request arrived. An answer within a fraction of a millisecond meets a race in the
    bridge's transaction layer: a REFER refused with 403 is sometimes reported as a transaction
    that failed to complete (psrpc canceled), and the transfer is misreported."""
    stand_in = _stand_in()
    sock = _Socket()
    stand_in._sock = sock  # type: ignore[assignment]
    options = ("OPTIONS sip:carrier@198.18.0.5:5060 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK.one\r\n"
               "From: <sip:lk@198.18.0.1>;tag=a\r\nTo: <sip:carrier@198.18.0.5>\r\n"
               "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    t0 = time.monotonic()
    stand_in._handle(options.encode(), ("198.18.0.1", 5060))
    stand_in._handle(options.replace("CSeq: 1", "CSeq: 2").encode(), ("198.18.0.1", 5060))
    assert sock.sent == []  # not at once
    assert stand_in.latency == carrier_mod.LATENCY >= 0.02
    stand_in._flush(t0 + stand_in.latency * 0.9)
    assert sock.sent == []  # not before the latency
    stand_in._flush(time.monotonic() + stand_in.latency)
    assert [data.split(b"\r\n")[0] for data, _ in sock.sent] == [b"SIP/2.0 200 OK"] * 2
    assert [b"CSeq: 1 OPTIONS" in data for data, _ in sock.sent] == [True, False]  # in order
    assert {to for _, to in sock.sent} == {("198.18.0.1", 5060)}


def test_a_call_leg_answers_the_bridges_refer_after_the_network_latency() -> None:
    """The caller of an inbound call plays its carrier: its answer to the bridge's REFER (and to
    any request) arrives no sooner than a carrier's across a network would."""
    bridge = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bridge.bind(("127.0.0.1", 0))
    bridge.settimeout(5)
    leg = CallLeg(bridge.getsockname(), "+15105550100", "+14155550001", "127.0.0.1",
                  refer="refuse")
    try:
        headers = {"via": "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK.one",
                   "from": "<sip:lk@127.0.0.1>;tag=a", "to": "<sip:c@127.0.0.1>;tag=b",
                   "call-id": "c1", "cseq": "2 REFER", "refer-to": "tel:+15105550101"}
        t0 = time.monotonic()
        leg._answer_request("REFER sip:c@127.0.0.1 SIP/2.0", headers)
        took = time.monotonic() - t0
        data, _ = bridge.recvfrom(65535)
    finally:
        leg.close()
        bridge.close()
    assert data.startswith(b"SIP/2.0 403 Forbidden") and leg.refer_answer == 403
    assert took >= NETWORK_LATENCY >= 0.02


@pytest.mark.parametrize("error_code, sip_code, seconds, expected", [
    ("deadline_exceeded", None, 10.02, "timed_out"),  # livekit-server: request timed out
    ("canceled", None, 10.03, "timed_out"),  # livekit-server: context deadline exceeded
    ("canceled", None, 24.0, "timed_out"),  # the same, late on a loaded machine
    ("unavailable", 408, 10.0, "timed_out"),
    ("permission_denied", 403, 0.01, "refused"),
    # The bridge's REFER transaction ended at once without passing an answer on: no timeout.
    ("canceled", None, 0.01, "failed"),
    ("internal", None, 0.5, "failed"),
])
def test_a_transfers_error_is_read_by_its_code_and_how_soon_it_came(
        error_code: str, sip_code: int | None, seconds: float, expected: str) -> None:
    assert _transfer_outcome(error_code, sip_code, seconds) == expected


def test_serving_other_hosts_waits_out_the_bridges_hosts_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bridge's Go resolver keeps a hosts file 5 s: a change of the hosts served waits that
    long before the next call can be placed; serving the same hosts again does not wait."""
    written: list[dict[str, str]] = []
    slept: list[float] = []
    stand_in = _stand_in()
    monkeypatch.setattr(stand_in.ns, "set_hosts", written.append)
    monkeypatch.setattr(carrier_mod.time, "sleep", slept.append)
    stand_in.serve(*default_accounts(["acme.sip.telnyx.com"]))
    assert list(written[-1]) == ["acme.sip.telnyx.com"]
    assert slept == [carrier_mod.HOSTS_CACHE_SECONDS] and carrier_mod.HOSTS_CACHE_SECONDS > 5
    stand_in.serve(*default_accounts(["acme.sip.telnyx.com"]))  # the same hosts, other settings
    assert slept == [carrier_mod.HOSTS_CACHE_SECONDS]
