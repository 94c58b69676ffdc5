"""Outbound test calls: the replica's SIP bridge dials out through an outbound trunk, and the
carrier stand-in (:mod:`.carrier`) answers as the provider would.

:func:`place_outbound_call` asks livekit-server for the call as an application does
(``CreateSIPParticipant`` with ``wait_until_answered``, through livekit-api), in a room of its
own, and reports the outcome:

- ``answered``: the carrier answered (200 OK); the SIP participant joined the room; the call
  is held for ``hold`` seconds (RTP counted both ways at the stand-in), then ended by removing
  the participant (the bridge sends BYE);
- ``rejected``: the carrier's final answer, ``sip_code`` (403 wrong credentials, 404 unknown
  number, 486 busy, 503 the host is not served, 488 no common codec, ...);
- ``unresolved``: the trunk's address does not resolve (no INVITE left the bridge);
- ``no_answer``: the address resolves but nothing answered before the ringing timeout;
- ``failed``: livekit-server refused the request itself (e.g. no such trunk).

Each report names the troubleshooting guide's section and the likely fix
(:func:`livekit_sip_core.guide.outbound_guide`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit_sip_core import printable
from livekit_sip_core.addresses import host_of
from livekit_sip_core.guide import MEDIA_GUIDE, TRANSFER_GUIDE, GuideEntry, outbound_guide

from .carrier import CarrierCall
from .services import Replica, ReplicaError

__all__ = [
    "OUTBOUND_OUTCOMES",
    "OutboundCheck",
    "OutboundExpectation",
    "OutboundReport",
    "OutboundSpec",
    "find_outbound_trunk",
    "parse_carrier",
    "parse_outbound",
    "place_outbound_call",
    "run_outbound",
]

OUTBOUND_OUTCOMES = ("answered", "rejected", "unresolved", "no_answer", "failed")
_REASONS = {401: "Unauthorized", 407: "Proxy Authentication Required"}
#: The ringing timeout of a transfer's REFER (TransferSIPParticipant ringing_timeout), seconds.
_TRANSFER_RINGING = 10


def _transfer_outcome(error_code: str, sip_code: int | None, seconds: float,
                     ringing: float = _TRANSFER_RINGING) -> str:
    """What a TransferSIPParticipant that failed after ``seconds`` says: "timed_out" when the
    REFER got no answer before the transfer's ringing timeout (408; livekit-server's
    deadline_exceeded "request timed out", or canceled "context deadline exceeded" once that
    timeout has passed), "refused" with a SIP code, else "failed". A canceled error sooner than
    the timeout is no timeout: the bridge's REFER transaction ended without an answer it
    passed on (e.g. "transaction failed to complete (0 intermediate responses)")."""
    if sip_code == 408 or error_code == "deadline_exceeded":
        return "timed_out"
    if error_code == "canceled" and seconds >= ringing - 1:
        return "timed_out"
    return "refused" if sip_code else "failed"


@dataclass(frozen=True)
class OutboundSpec:
    trunk: str  # the outbound trunk's LiveKit name or ID (ST_...)
    to: str  # the number dialled
    from_: str = ""  # the caller ID (sip_number); '' = the trunk's first number
    ring_timeout: float = 8.0  # the bridge gives up then (CreateSIPParticipant ringing_timeout)
    hold: float = 1.5  # how long an answered call stays up
    label: str = ""
    #: Once answered, transfer the call (TransferSIPParticipant: a REFER to the carrier) to
    #: this ``tel:`` or ``sip:`` URI.
    transfer_to: str = ""
    transfer_timeout: float = 30.0
    #: An agent to dispatch to the call's room before dialling (its agent_name): it publishes
    #: audio the carrier should hear; one that sets the attribute ``probe.heard`` (the share
    #: of the carrier's 1000 Hz tone in what it hears, as tests/e2e/calls/probe_agent.py
    #: does) tells whether the carrier's audio reached the room.
    agent: str = ""
    agent_timeout: float = 20.0  # how long the call waits for the agent to say what it hears


@dataclass
class OutboundReport:
    spec: OutboundSpec
    outcome: str
    trunk_id: str = ""
    trunk_name: str = ""
    address: str = ""
    sip_code: int | None = None
    sip_reason: str = ""
    error_code: str = ""  # the API's error code (ServerError.code) when the call failed
    error: str = ""  # the API's error message (what LiveKit says; escaped when shown)
    seconds: float = 0.0
    room: str = ""
    participant: str = ""
    carrier: list[CarrierCall] = field(default_factory=list)  # what the stand-in saw
    #: "transferred", "refused" (``transfer_code``), "timed_out" (the REFER got no answer),
    #: "failed"; '' without a transfer.
    transfer: str = ""
    transfer_code: int | None = None
    transfer_error: str = ""
    transfer_seconds: float = 0.0
    #: Media of an answered call: "both ways", "one-way: the carrier hears nothing",
    #: "one-way: the room hears nothing", "no audio either way".
    media: str = ""
    #: What the agent said it heard of the carrier's tone (``probe.heard``), if it says.
    agent_heard: float | None = None

    @property
    def guide(self) -> GuideEntry | None:
        if self.outcome == "answered":
            return None
        return outbound_guide(self.sip_code, self.outcome)

    def summary(self) -> str:
        spec = self.spec
        head = (f"{spec.label + ': ' if spec.label else ''}outbound call to {spec.to} through "
                f"trunk '{self.trunk_name or spec.trunk}'"
                + (f" ({self.trunk_id}, address {self.address})" if self.trunk_id else ""))
        outcome = f"  outcome: {self.outcome.upper()}"
        if self.sip_code:
            outcome += f" ({self.sip_code} {self.sip_reason})"
        lines = [head, outcome + f", {self.seconds:.2f} s"]
        if self.error and self.outcome != "answered":
            lines.append(f"  LiveKit says: {self.error_code}: {self.error}")
        if self.media:
            seen = next((c for c in self.carrier if c.final == 200), None)
            detail = ""
            if seen is not None:
                detail = (f" (the carrier received {seen.rtp_received} RTP packets, "
                          f"440 Hz share {seen.heard(440.0):.2f}; sent {seen.rtp_sent}"
                          + (f"; the agent heard the carrier's tone at share "
                             f"{self.agent_heard:.2f}" if self.agent_heard is not None else "")
                          + ")")
            shown = self.media if self.media == "both ways" else self.media.upper()
            lines.append(f"  media: {shown}{detail}")
            if self.media != "both ways":
                lines.append(f"  see {MEDIA_GUIDE.words()}")
        for seen in self.carrier:
            auth = {None: "", True: ", credentials right", False: ", credentials WRONG"}[
                seen.authenticated]
            lines.append(
                f"  carrier stand-in at {seen.host}: INVITE to {seen.to_user}, answered "
                + (" ".join(str(c) for c in seen.codes) or "nothing") + auth
                + (f", codec {seen.codec}, RTP in {seen.rtp_received} / out {seen.rtp_sent}"
                   if seen.codec and seen.final == 200 else ""))
        if self.transfer:
            refer_to = next((c.refer_to for c in self.carrier if c.refer_to), "")
            lines.append(f"  transfer to {self.spec.transfer_to}: {self.transfer.upper()}"
                         + (f" ({self.transfer_code})" if self.transfer_code else "")
                         + f" after {self.transfer_seconds:.2f} s; REFER at the carrier: "
                         + (f"Refer-To {refer_to}" if refer_to else "none"))
            if self.transfer_error:
                lines.append(f"  LiveKit says: {self.transfer_error}")
            if self.transfer != "transferred":
                lines.append(f"  see {TRANSFER_GUIDE.words()}")
        if not self.carrier and self.outcome in ("unresolved", "failed"):
            lines.append("  the carrier stand-in got no INVITE")
        guide = self.guide
        if guide is not None:
            lines.append(f"  see {guide.words()}")
        # Trunk names, reasons and LiveKit's messages are what LiveKit and the carrier hold.
        return "\n".join(printable(line) for line in lines)


async def _trunks(replica: Replica) -> list[Any]:
    from livekit import api

    async with api.LiveKitAPI(replica.url, replica.api_key, replica.api_secret) as lk:
        listed = await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
        return list(listed.items)


def find_outbound_trunk(replica: Replica, trunk: str) -> Any:
    """The replica's outbound trunk whose ID or name is ``trunk``."""
    trunks = asyncio.run(_trunks(replica))
    found = [t for t in trunks if trunk in (t.sip_trunk_id, t.name)]
    if len(found) != 1:
        known = ", ".join(f"'{t.name}' ({t.sip_trunk_id})" for t in trunks) or "none"
        what = "no" if not found else "more than one"
        raise ReplicaError(printable(f"{what} outbound trunk named or with ID '{trunk}' on the "
                                     f"replica (outbound trunks: {known})"))
    return found[0]


async def _listen_to_agent(lk: Any, report: OutboundReport, hold: float,
                           timeout: float) -> None:
    """Hold the call until the agent has said what it hears (its ``probe.heard`` attribute)
    for ``hold`` seconds, or for ``timeout`` seconds at most (an agent that never says)."""
    from livekit import api

    start = time.monotonic()
    end = start + timeout
    heard_since: float | None = None
    while time.monotonic() < end:
        if heard_since is not None and time.monotonic() - heard_since >= hold:
            return
        await asyncio.sleep(0.5)
        with contextlib.suppress(api.ServerError):
            listed = await lk.room.list_participants(api.ListParticipantsRequest(
                room=report.room))
            for p in listed.participants:
                heard = p.attributes.get("probe.heard")
                if p.kind == api.ParticipantInfo.Kind.AGENT and heard:
                    with contextlib.suppress(ValueError):
                        report.agent_heard = float(heard)
                        heard_since = heard_since or time.monotonic()


def _media(report: OutboundReport) -> str:
    """Whether audio flowed both ways in an answered call (see OutboundReport.media)."""
    seen = next((c for c in report.carrier if c.final == 200), None)
    if seen is None:
        return ""
    carrier_hears = seen.rtp_received > 0
    room_hears = seen.rtp_sent > 0
    if report.spec.agent:  # an agent publishes its tone: the carrier must hear that tone
        carrier_hears = carrier_hears and seen.heard(440.0) >= 0.5
    if report.agent_heard is not None:
        room_hears = room_hears and report.agent_heard >= 0.5
    if carrier_hears and room_hears:
        return "both ways"
    if room_hears:
        return "one-way: the carrier hears nothing"
    if carrier_hears:
        return "one-way: the room hears nothing"
    return "no audio either way"


async def _transfer(lk: Any, report: OutboundReport) -> None:
    from livekit import api

    spec = report.spec
    request = api.TransferSIPParticipantRequest(
        room_name=report.room, participant_identity=report.participant,
        transfer_to=spec.transfer_to)
    request.ringing_timeout.seconds = _TRANSFER_RINGING
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(lk.sip.transfer_sip_participant(request), spec.transfer_timeout)
        report.transfer = "transferred"
    except api.ServerError as exc:
        code = getattr(exc, "sip_status_code", None)
        report.transfer_error = f"{exc.code}: {exc.message}"
        report.transfer_code = code
        report.transfer = _transfer_outcome(exc.code, code, time.monotonic() - t0)
    except TimeoutError:
        report.transfer = "timed_out"
        report.transfer_error = f"no answer from livekit-server in {spec.transfer_timeout:.0f} s"
    report.transfer_seconds = time.monotonic() - t0


def place_outbound_call(replica: Replica, spec: OutboundSpec,
                        log: Callable[[str], None] | None = None) -> OutboundReport:
    """Dial ``spec`` through the replica's bridge; see the module doc. The carrier stand-in
    must run (:meth:`Replica.start_carrier`) for the call to reach anything."""
    from livekit import api

    t0 = time.monotonic()
    trunk = find_outbound_trunk(replica, spec.trunk)
    report = OutboundReport(spec, "failed", trunk.sip_trunk_id, trunk.name, trunk.address)
    carrier = replica.carrier
    seen_before = len(carrier.calls) if carrier is not None else 0
    room = f"outbound-{secrets.token_hex(4)}"
    identity = f"callee-{secrets.token_hex(3)}"

    async def dial() -> None:
        async with api.LiveKitAPI(replica.url, replica.api_key, replica.api_secret) as lk:
            if spec.agent:
                await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
                    room=room, agent_name=spec.agent))
            request = api.CreateSIPParticipantRequest(
                sip_trunk_id=trunk.sip_trunk_id, sip_call_to=spec.to, room_name=room,
                participant_identity=identity, wait_until_answered=True)
            if spec.from_:
                request.sip_number = spec.from_
            request.ringing_timeout.seconds = max(1, int(spec.ring_timeout))
            try:
                info = await asyncio.wait_for(lk.sip.create_sip_participant(request),
                                              spec.ring_timeout + 15)
            except api.SipCallError as exc:
                report.error_code, report.error = exc.code, exc.message
                if exc.sip_status_code:
                    report.outcome = "rejected"
                    report.sip_code, report.sip_reason = exc.sip_status_code, exc.sip_status or ""
                return
            except api.ServerError as exc:
                report.error_code, report.error = exc.code, exc.message
                return
            except TimeoutError:
                report.error_code, report.error = "timeout", (
                    f"no answer from livekit-server within {spec.ring_timeout + 15:.0f} s")
                return
            report.outcome = "answered"
            report.room, report.participant = info.room_name or room, info.participant_identity
            if spec.transfer_to:
                await _transfer(lk, report)
            if spec.agent:
                await _listen_to_agent(lk, report, spec.hold, spec.agent_timeout)
            else:
                await asyncio.sleep(spec.hold)
            with contextlib.suppress(api.ServerError):  # the call may have ended already
                await lk.room.remove_participant(api.RoomParticipantIdentity(
                    room=report.room, identity=report.participant))

    asyncio.run(dial())
    if carrier is not None:
        # The bridge's BYE (after the participant is removed) reaches the stand-in shortly.
        end = time.monotonic() + 3.0
        while report.outcome == "answered" and time.monotonic() < end and any(
                c.final == 200 and not c.ended_by for c in carrier.calls_since(seen_before)):
            time.sleep(0.1)
        report.carrier = carrier.calls_since(seen_before)
        if report.outcome == "answered":
            report.media = _media(report)
        if report.transfer == "failed" and any(c.refer_to and c.refer_answer is None
                                               for c in report.carrier):
            report.transfer = "timed_out"  # the carrier got the REFER and never answered
    refused = [c for c in report.carrier if c.final is not None and c.final >= 300]
    if report.outcome == "failed" and refused:
        # The bridge gave up on the carrier's answer without passing its code on (a challenge
        # the trunk has no credentials for: "sip server required auth, but no username or
        # password was provided").
        report.outcome = "rejected"
        report.sip_code = refused[-1].final
        report.sip_reason = _REASONS.get(report.sip_code or 0, "")
    if report.outcome == "failed":
        served = carrier is not None and host_of(trunk.address) in carrier.accounts
        if not report.carrier and not served:
            report.outcome = "unresolved"
        elif served or report.carrier:
            report.outcome = "no_answer"
    report.seconds = time.monotonic() - t0
    if log is not None:
        log(report.summary())
    return report


def outbound_times(reports: Sequence[OutboundReport]) -> str:
    return "\n".join(f"  {r.spec.label or r.spec.to}: {r.outcome}"
                     + (f" {r.sip_code}" if r.sip_code else "") + f", {r.seconds:.2f} s"
                     for r in reports)


# --- expectations of outbound calls (the calls file of test-calls) ----------------------------

#: Keys of an outbound call in the calls file.
OUTBOUND_KEYS = ("direction", "name", "trunk", "to", "from", "ringTimeout", "expect")
#: Keys of a carrier account in the calls file's ``carrier`` list.
CARRIER_KEYS = ("host", "username", "passwordEnv", "realm", "challenge", "numbers", "busy",
                "answer", "codecs", "refer", "media")


@dataclass(frozen=True)
class OutboundExpectation:
    index: int
    label: str
    spec: OutboundSpec
    #: "answered", "rejected" (any carrier code), "unresolved", "no_answer", "failed", or a
    #: SIP code the carrier must answer (e.g. 486).
    expect: str | int


@dataclass
class OutboundCheck:
    expectation: OutboundExpectation
    report: OutboundReport

    @property
    def ok(self) -> bool:
        expect, report = self.expectation.expect, self.report
        if isinstance(expect, int):
            return report.outcome == "rejected" and report.sip_code == expect
        return report.outcome == expect

    def describe(self) -> str:
        expect = self.expectation.expect
        wanted = f"rejected with {expect}" if isinstance(expect, int) else str(expect)
        head = f"[{'PASS' if self.ok else 'FAIL'}] {printable(self.expectation.label)}"
        lines = [head, self.report.summary()]
        if not self.ok:
            got = self.report.outcome + (f" {self.report.sip_code}" if self.report.sip_code else "")
            lines.append(printable(f"  expected: {wanted}, but the call was {got}"))
        return "\n".join(lines)


def parse_outbound(raw: Sequence[tuple[int, Mapping[str, Any]]]) -> tuple[
        list[OutboundExpectation], list[tuple[int, str]]]:
    """The outbound calls of the calls file (entries with ``"direction": "outbound"``), and
    (index, problem) for malformed ones."""
    found: list[OutboundExpectation] = []
    problems: list[tuple[int, str]] = []
    for index, entry in raw:
        unknown = sorted(set(entry) - set(OUTBOUND_KEYS))
        missing = [k for k in ("trunk", "to", "expect") if k not in entry]
        expect = entry.get("expect")
        if unknown:
            problems.append((index, f"has unknown keys {unknown} (outbound calls know: "
                                    f"{', '.join(OUTBOUND_KEYS)})"))
        elif missing:
            problems.append((index, f"misses {', '.join(missing)}"))
        elif not (expect in OUTBOUND_OUTCOMES or (isinstance(expect, int)
                                                  and 300 <= expect < 700)):
            problems.append((index, f"expect {expect!r} is not one of "
                                    f"{', '.join(OUTBOUND_OUTCOMES)} or a SIP code (e.g. 486)"))
        else:
            spec = OutboundSpec(str(entry["trunk"]), str(entry["to"]), str(entry.get("from", "")),
                                float(entry.get("ringTimeout", 8.0)),
                                label=str(entry.get("name") or f"call #{index + 1}"))
            found.append(OutboundExpectation(index, spec.label, spec, expect))
    return found, problems


def parse_carrier(raw: Any, env: Any) -> list[Any]:
    """The calls file's ``carrier``: a list of accounts (what the real carrier holds per SIP
    host). A password is never in the file: ``passwordEnv`` names the variable holding it."""
    from .carrier import CarrierAccount

    if not isinstance(raw, list):
        raise ValueError("carrier must be a list of accounts ({\"host\": ..., ...})")
    accounts = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or "host" not in entry:
            raise ValueError(f"carrier account #{number} is not an object with a host")
        unknown = sorted(set(entry) - set(CARRIER_KEYS))
        if unknown:
            raise ValueError(f"carrier account #{number} has unknown keys {unknown} (known: "
                             f"{', '.join(CARRIER_KEYS)})")
        password = ""
        if "passwordEnv" in entry:
            password = env.get(str(entry["passwordEnv"]), "")
            if not password:
                raise ValueError(f"carrier account #{number}: the variable "
                                 f"{entry['passwordEnv']} (passwordEnv) is not set")
        try:
            accounts.append(CarrierAccount(
                host=str(entry["host"]).lower(), username=str(entry.get("username", "")),
                password=password, realm=str(entry.get("realm", "")),
                challenge=int(entry.get("challenge", 407)),
                numbers=tuple(str(n) for n in entry.get("numbers", ())),
                busy=tuple(str(n) for n in entry.get("busy", ())),
                answer=str(entry.get("answer", "yes")),
                codecs=tuple(str(c) for c in entry.get("codecs", ("PCMU", "PCMA"))),
                refer=str(entry.get("refer", "refuse")),
                media=str(entry.get("media", "both"))))
        except ValueError as exc:
            raise ValueError(f"carrier account #{number}: {exc}") from None
    return accounts


def run_outbound(replica: Replica, expectations: Sequence[OutboundExpectation],
                 carrier: Sequence[Any] | None = None,
                 log: Callable[[str], None] | None = None) -> list[OutboundCheck]:
    """Start the carrier stand-in (serving ``carrier``, or what the providers of the
    replica's outbound trunks do, :func:`.carrier.default_accounts`) and place each call."""
    from .carrier import default_accounts

    stand_in = replica.start_carrier()
    if carrier is None:
        carrier = default_accounts(t.address for t in asyncio.run(_trunks(replica)))
    stand_in.serve(*carrier)
    checks: list[OutboundCheck] = []
    for expectation in expectations:
        check = OutboundCheck(expectation, place_outbound_call(replica, expectation.spec))
        checks.append(check)
        if log is not None:
            log(check.describe())
    return checks
