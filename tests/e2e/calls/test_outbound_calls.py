"""Outbound calls through LiveKit's SIP bridge, answered by the carrier stand-in: each failure of
the troubleshooting guide reproduced with a real call, then gone with the fixed configuration.

The trunks are the Pulumi program in ``outbound_program/`` applied to the replica (``pulumi up``
with the wrong configuration, then again with the fixed one: an in-place update, the trunk
keeps its ID). The stand-in holds what the real carrier would: Telnyx's credentials for the
connection, the numbers in service, the busy line. What the bridge answered and how long each
call took are printed for docs/telephony-tests.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from livekit_sip_pulumi.telephony.carrier import CarrierAccount, CarrierStandIn, default_accounts
from livekit_sip_pulumi.telephony.netns import CARRIER_IP
from livekit_sip_pulumi.telephony.outbound import (
    OutboundReport,
    OutboundSpec,
    place_outbound_call,
)
from livekit_sip_pulumi.telephony.services import Replica, ReplicaError, sigterm_as_exit
from livekit_sip_pulumi.telephony.suite import AppliedStack, apply_program

from .conftest import probe_worker, report

pytestmark = [pytest.mark.e2e, pytest.mark.calls]

PROGRAM = Path(__file__).resolve().parent / "outbound_program"
LIVEKIT_SIP = str(Path(sys.executable).with_name("livekit-sip"))
USERNAME = "acme-connection"
PASSWORD = "telnyx-" + os.urandom(6).hex()
IN_SERVICE = "+15105550100"
BUSY = "+15105550101"
UNKNOWN = "+15105550199"


def telnyx(**changes: object) -> CarrierAccount:
    """What Telnyx holds for the connection: its credentials, two numbers, one of them busy."""
    base = CarrierAccount("sip.telnyx.com", username=USERNAME, password=PASSWORD,
                          numbers=(IN_SERVICE, BUSY), busy=(BUSY,))
    return CarrierAccount(**{**base.__dict__, **changes})  # type: ignore[arg-type]


TWILIO = CarrierAccount("acme.pstn.twilio.com")


@dataclass
class Outbound:
    replica: Replica
    carrier: CarrierStandIn
    state: Path
    applied: AppliedStack | None = None

    def apply(self, password: str = PASSWORD, **config: str) -> AppliedStack:
        """pulumi up with ``config`` over the right configuration (a stack keeps the config
        of its last update: every key is given every time)."""
        full = {"telnyxAddress": "sip.telnyx.com", "twilioAddress": "acme.pstn.twilio.com",
                "telnyxCodecs": "", **config}
        self.applied = apply_program(self.replica, PROGRAM,
                                     config={f"outbound-calls:{k}": v for k, v in full.items()},
                                     secret_config={"outbound-calls:telnyxPassword": password},
                                     state_dir=self.state)
        return self.applied

    def call(self, trunk: str, to: str, ring_timeout: float = 5.0) -> OutboundReport:
        return place_outbound_call(self.replica, OutboundSpec(trunk, to,
                                                              ring_timeout=ring_timeout))


def _end_session() -> None:
    pytest.exit("SIGTERM: stopping the local replica and ending the session", returncode=143)


@pytest.fixture(scope="module")
def outbound(tmp_path_factory: pytest.TempPathFactory, toolchain: Path) -> Iterator[Outbound]:
    with sigterm_as_exit(_end_session):
        try:
            replica = Replica.start(tmp_path_factory.mktemp("outbound-replica"))
        except ReplicaError as exc:
            pytest.fail(f"the local replica could not start: {exc}", pytrace=False)
        try:
            carrier = replica.start_carrier()
            yield Outbound(replica, carrier, tmp_path_factory.mktemp("outbound-stack"))
        finally:
            replica.stop()


@pytest.fixture
def fixed(outbound: Outbound) -> Outbound:
    """The stack with the right configuration, the carrier as Telnyx and Twilio hold it."""
    outbound.carrier.serve(telnyx(), TWILIO)
    outbound.apply()
    return outbound


def _line(label: str, r: OutboundReport) -> str:
    code = f" {r.sip_code} {r.sip_reason}" if r.sip_code else ""
    said = f" (API {r.error_code}: {r.error})" if r.error else ""
    return f"  {label}: {r.outcome}{code}, {r.seconds:.2f} s{said}"


def _ids(applied: AppliedStack | None) -> dict[str, str]:
    assert applied is not None
    return {k: str(v) for k, v in applied.outputs.items()}


def test_403_wrong_credentials_then_fixed(outbound: Outbound,
                                          request: pytest.FixtureRequest) -> None:
    """The trunk's password is not the one Telnyx holds: the stand-in challenges (407), the
    bridge answers the challenge, Telnyx refuses it (403). With the right password (pulumi up
    again) the same trunk's call is answered and audio flows both ways."""
    outbound.carrier.serve(telnyx(), TWILIO)
    wrong_ids = _ids(outbound.apply(password="not-the-password"))
    wrong = outbound.call("telnyx-out", IN_SERVICE)
    assert (wrong.outcome, wrong.sip_code) == ("rejected", 403), wrong.summary()
    assert [c.codes for c in wrong.carrier] == [[407, 403]]
    assert wrong.carrier[0].authenticated is False
    text = wrong.summary()
    assert "outcome: REJECTED (403 Forbidden)" in text
    assert "the guide's '403 Forbidden' (https://docs.livekit.io/reference/telephony/" \
           "troubleshooting/#403-forbidden)" in text
    assert "make the trunk's auth_username and auth_password the ones the carrier holds" in text
    assert wrong.error_code == "permission_denied"

    right_ids = _ids(outbound.apply())
    assert right_ids == wrong_ids  # updated in place
    right = outbound.call("telnyx-out", IN_SERVICE)
    assert right.outcome == "answered", right.summary()
    seen = right.carrier[0]
    assert seen.codes == [407, 200] and seen.authenticated is True and seen.acked
    assert seen.codec == "PCMU" and seen.rtp_received > 0 and seen.rtp_sent > 0
    assert seen.ended_by == "BYE from the bridge"
    assert right.guide is None
    for shown in (text, right.summary(), repr(right), repr(outbound.carrier.accounts)):
        assert PASSWORD not in shown and "not-the-password" not in shown
    report(request, "\n[outbound] 403 wrong credentials:\n" + _line("wrong password", wrong)
           + "\n" + _line("right password", right))


def test_403_without_credentials(fixed: Outbound) -> None:
    """A Telnyx trunk without credentials: the bridge cannot answer the 407 challenge; the
    report gives the carrier's code and the same section as a 403."""
    fixed.carrier.serve(telnyx(), CarrierAccount("acme.pstn.twilio.com", username=USERNAME,
                                                 password=PASSWORD))
    got = fixed.call("twilio-out", IN_SERVICE)
    assert (got.outcome, got.sip_code) == ("rejected", 407), got.summary()
    assert "sip server required auth" in got.error
    assert "'403 Forbidden'" in got.summary()
    assert "set the trunk's auth_username and auth_password to the carrier's" in got.summary()


def test_404_unknown_destination_then_a_number_in_service(
        fixed: Outbound, request: pytest.FixtureRequest) -> None:
    unknown = fixed.call("telnyx-out", UNKNOWN)
    assert (unknown.outcome, unknown.sip_code) == ("rejected", 404), unknown.summary()
    assert unknown.carrier[0].to_user == UNKNOWN and unknown.carrier[0].codes == [407, 404]
    assert "the guide's '404 - Not Found'" in unknown.summary()
    assert "call a number in service" in unknown.summary()
    known = fixed.call("telnyx-out", IN_SERVICE)
    assert known.outcome == "answered", known.summary()
    report(request, "\n[outbound] 404 destination:\n" + _line(UNKNOWN, unknown) + "\n"
           + _line(IN_SERVICE, known))


def test_486_busy_then_free(fixed: Outbound, request: pytest.FixtureRequest) -> None:
    busy = fixed.call("telnyx-out", BUSY)
    assert (busy.outcome, busy.sip_code) == ("rejected", 486), busy.summary()
    assert busy.error_code == "resource_exhausted"
    assert "486 Busy Here: the called line is busy" in busy.summary()
    fixed.carrier.serve(telnyx(busy=()), TWILIO)  # the line is free again
    free = fixed.call("telnyx-out", BUSY)
    assert free.outcome == "answered", free.summary()
    report(request, "\n[outbound] 486 busy:\n" + _line("busy", busy) + "\n" + _line("free", free))


def test_503_telnyx_subdomain_then_fixed(outbound: Outbound,
                                         request: pytest.FixtureRequest) -> None:
    """A Telnyx trunk pointed at a subdomain of sip.telnyx.com. As Telnyx does (the stand-in's
    default for the trunks' hosts): the subdomain answers 503. Where it does not resolve at
    all: no INVITE leaves the bridge. With the address fixed, answered."""
    ids = _ids(outbound.apply(telnyxAddress="acme.sip.telnyx.com"))
    outbound.carrier.serve(*default_accounts(["acme.sip.telnyx.com"]), telnyx())
    unavailable = outbound.call("telnyx-out", IN_SERVICE)
    assert (unavailable.outcome, unavailable.sip_code) == ("rejected", 503), \
        unavailable.summary()
    assert unavailable.carrier[0].host == "acme.sip.telnyx.com"
    text = unavailable.summary()
    assert "503 Service Unavailable: the carrier does not serve this address (e.g. a Telnyx " \
           "subdomain instead of sip.telnyx.com)" in text

    outbound.carrier.serve(telnyx())  # the subdomain does not resolve
    hosts = Path(outbound.replica.ns.hosts_path).read_text()
    assert f"{CARRIER_IP}\tsip.telnyx.com" in hosts and "acme.sip.telnyx.com" not in hosts
    # (serve waits out the bridge's 5 s cache of the hosts file)
    unresolved = outbound.call("telnyx-out", IN_SERVICE)
    assert unresolved.outcome == "unresolved", unresolved.summary()
    assert unresolved.carrier == [] and unresolved.error_code == "invalid_argument"
    assert 'fail to resolve target for "acme.sip.telnyx.com"' in unresolved.error
    assert "the trunk's address does not resolve" in unresolved.summary()

    assert _ids(outbound.apply()) == ids
    fixed = outbound.call("telnyx-out", IN_SERVICE)
    assert fixed.outcome == "answered", fixed.summary()
    report(request, "\n[outbound] wrong address:\n" + _line("subdomain, 503", unavailable)
           + "\n" + _line("subdomain, unresolvable", unresolved) + "\n"
           + _line("sip.telnyx.com", fixed))


def test_carrier_that_does_not_answer(fixed: Outbound, request: pytest.FixtureRequest) -> None:
    fixed.carrier.serve(telnyx(), CarrierAccount("acme.pstn.twilio.com", answer="silent"))
    silent = fixed.call("twilio-out", IN_SERVICE, ring_timeout=4.0)
    assert silent.outcome == "no_answer", silent.summary()
    assert silent.carrier and silent.carrier[0].codes == []
    assert 3.5 < silent.seconds < 20
    fixed.carrier.serve(telnyx(), TWILIO)
    answered = fixed.call("twilio-out", IN_SERVICE)
    assert answered.outcome == "answered", answered.summary()
    report(request, "\n[outbound] no answer:\n" + _line("silent", silent) + "\n"
           + _line("answering", answered))


def test_cli_outbound_calls(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """test-calls with a calls file of outbound calls and what the carrier holds (its password
    from the environment), and `call --outbound` on a Telnyx subdomain with the stand-in's
    default (503). Exit 1 on the one call not as expected; the password in no output."""
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps({
        "carrier": [{"host": "sip.telnyx.com", "username": USERNAME,
                     "passwordEnv": "TELNYX_PASSWORD", "numbers": [IN_SERVICE, BUSY],
                     "busy": [BUSY]}, {"host": "acme.pstn.twilio.com"}],
        "calls": [
            {"direction": "outbound", "name": "a customer", "trunk": "telnyx-out",
             "to": IN_SERVICE, "expect": "answered"},
            {"direction": "outbound", "name": "a busy line", "trunk": "telnyx-out", "to": BUSY,
             "expect": 486},
            {"direction": "outbound", "name": "expected answered, is unknown",
             "trunk": "twilio-out", "to": UNKNOWN, "expect": 404},
        ]}))
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"outbound-calls:telnyxPassword": PASSWORD}))
    env = {**os.environ, "TELNYX_PASSWORD": PASSWORD, "LKSP_CARRIER_PASSWORD": PASSWORD}
    t0 = time.monotonic()
    done = subprocess.run(
        [LIVEKIT_SIP, "test-calls", "--program", str(PROGRAM), "--calls", str(calls),
         "--secret-config-file", str(secrets_file)],
        capture_output=True, text=True, timeout=300, env=env)
    took = time.monotonic() - t0
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[PASS] a customer" in done.stdout and "[PASS] a busy line" in done.stdout
    assert "[FAIL] expected answered, is unknown" in done.stdout
    assert "expected: rejected with 404, but the call was answered" in done.stdout
    assert "2 of 3 calls as expected" in done.stdout
    one = subprocess.run(
        [LIVEKIT_SIP, "call", "--program", str(PROGRAM), "--outbound", "--trunk", "telnyx-out",
         "--to", IN_SERVICE, "--config", "outbound-calls:telnyxAddress=acme.sip.telnyx.com",
         "--secret-config-file", str(secrets_file), "--expect", "rejected"],
        capture_output=True, text=True, timeout=300, env=env)
    assert one.returncode == 0, one.stdout + one.stderr
    assert "carrier stand-in serving acme.sip.telnyx.com" in one.stderr
    assert "outcome: REJECTED (503 Service Unavailable)" in one.stdout
    for output in (done.stdout, done.stderr, one.stdout, one.stderr):
        assert PASSWORD not in output
    for output in (done.stderr, one.stderr):
        namespace = re.search(r"network namespace (lksp-calls-[\w-]+)", output)
        assert namespace is not None
        assert not Path("/etc/netns", namespace.group(1)).exists()
    report(request, f"\n[outbound] CLI test-calls (3 outbound calls): exit {done.returncode} in "
                    f"{took:.1f} s")


def test_transfer_of_an_outbound_call(fixed: Outbound, request: pytest.FixtureRequest) -> None:
    """An answered outbound call transferred (TransferSIPParticipant): the bridge sends the
    REFER to the carrier stand-in. Telnyx with "SIP REFER" off does not answer it: the transfer
    times out; a carrier that refuses it: 403; with REFER on: transferred."""
    target = f"tel:{BUSY}"
    results = {}
    for refer in ("ignore", "refuse", "accept"):
        fixed.carrier.serve(telnyx(refer=refer), TWILIO)
        results[refer] = place_outbound_call(fixed.replica, OutboundSpec(
            "telnyx-out", IN_SERVICE, transfer_to=target, ring_timeout=5.0))
        assert results[refer].outcome == "answered", results[refer].summary()
        assert results[refer].carrier[0].refer_to == target
    ignored, refused, accepted = results["ignore"], results["refuse"], results["accept"]
    assert ignored.transfer == "timed_out", ignored.summary()
    # livekit-server says deadline_exceeded "request timed out" or canceled "context deadline
    # exceeded", whichever of its timeouts fires first.
    assert "deadline" in ignored.transfer_error
    assert 9.0 <= ignored.transfer_seconds < 25
    assert "enable transfers (SIP REFER) on the provider's trunk" in ignored.summary()
    assert (refused.transfer, refused.transfer_code) == ("refused", 403), refused.summary()
    assert refused.carrier[0].refer_answer == 403
    assert accepted.transfer == "transferred", accepted.summary()
    assert accepted.carrier[0].refer_answer == 202
    assert accepted.carrier[0].ended_by == "BYE from the bridge"
    report(request, "\n[outbound] transfer (REFER to the carrier):\n" + "\n".join(
        f"  REFER {refer}: {r.transfer}" + (f" {r.transfer_code}" if r.transfer_code else "")
        + f" after {r.transfer_seconds:.2f} s (call {r.seconds:.2f} s)"
        for refer, r in results.items()))


def test_488_codec_mismatch_then_fixed(outbound: Outbound,
                                       request: pytest.FixtureRequest) -> None:
    """The trunk offers only G.722; the carrier takes only G.711 (PCMU, PCMA): 488 Not
    Acceptable Here. With PCMU offered too (pulumi up), answered with PCMU."""
    outbound.carrier.serve(telnyx(), TWILIO)
    outbound.apply(telnyxCodecs="G722")
    mismatch = outbound.call("telnyx-out", IN_SERVICE)
    assert (mismatch.outcome, mismatch.sip_code) == ("rejected", 488), mismatch.summary()
    seen = mismatch.carrier[-1]
    assert "G722" in seen.offered and "PCMU" not in seen.offered and "PCMA" not in seen.offered
    assert "the guide's 'Media issues'" in mismatch.summary()
    assert "allow a codec the carrier takes (G.711 PCMU/PCMA)" in mismatch.summary()
    outbound.apply(telnyxCodecs="G722,PCMU")
    fixed = outbound.call("telnyx-out", IN_SERVICE)
    assert fixed.outcome == "answered", fixed.summary()
    assert fixed.carrier[-1].codec == "PCMU" and fixed.carrier[-1].rtp_received > 0
    outbound.apply()
    report(request, "\n[outbound] codec mismatch:\n" + _line("G722 only", mismatch) + "\n"
           + _line("G722,PCMU", fixed))


@pytest.fixture(scope="module")
def listener(outbound: Outbound) -> str:
    """A probe agent worker for outbound calls: dispatched to the call's room, it publishes a
    440 Hz tone and says what share of the carrier's 1000 Hz tone it hears."""
    worker = outbound.replica.start_worker(probe_worker("probe-listener"))
    return worker.agent_names[0]


def test_audio_both_ways_then_one_way(fixed: Outbound, listener: str,
                                      request: pytest.FixtureRequest) -> None:
    """An answered call with an agent in the room: the carrier hears the agent's 440 Hz tone,
    the agent hears the carrier's 1000 Hz tone. A carrier whose SDP names an address where it
    does not receive (NAT): the carrier hears nothing, one-way audio. A carrier that sends
    nothing: the room hears nothing."""
    results = {}
    for media in ("both", "wrong_address", "no_send"):
        fixed.carrier.serve(telnyx(media=media), TWILIO)
        results[media] = place_outbound_call(fixed.replica, OutboundSpec(
            "telnyx-out", IN_SERVICE, agent=listener, hold=4.0))
        assert results[media].outcome == "answered", results[media].summary()
    both, nat, mute = results["both"], results["wrong_address"], results["no_send"]
    seen = both.carrier[-1]
    assert both.media == "both ways", both.summary()
    assert seen.heard(440.0) >= 0.5 and both.agent_heard is not None and both.agent_heard >= 0.5
    assert "see the guide's 'Media issues'" not in both.summary()
    assert nat.media == "one-way: the carrier hears nothing", nat.summary()
    assert "media: ONE-WAY: THE CARRIER HEARS NOTHING" in nat.summary()
    assert "the guide's 'Media issues'" in nat.summary()
    assert mute.media == "one-way: the room hears nothing", mute.summary()
    assert mute.agent_heard is not None and mute.agent_heard < 0.5
    report(request, "\n[outbound] media:\n" + "\n".join(
        f"  carrier media {m}: {r.media}; the carrier's 440 Hz share "
        f"{r.carrier[-1].heard(440.0):.2f} ({r.carrier[-1].rtp_received} RTP in), the agent's "
        f"1000 Hz share {r.agent_heard if r.agent_heard is not None else 'none'}, call "
        f"{r.seconds:.2f} s" for m, r in results.items()))
