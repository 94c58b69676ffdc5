"""The call verifier: place one SIP call at the replica's bridge and report what happened.

Outcomes:

- ``answered``: 200 OK, the caller joined a room (``room``), ``agents`` lists the agents in it;
- ``pin_prompt``: 200 OK but no room: the bridge plays its PIN prompt and waits for digits;
- ``pin_rejected``: the PIN (``CallSpec.pin``) was entered and the bridge hung up;
- ``rejected``: a final SIP error (``sip_code``: 404 no trunk or dispatch rule, 486 the bridge
  could not connect the caller, 403/401 authentication...);
- ``ringing``: it rang for ``ring_timeout`` seconds without an answer (no agent published audio:
  "call rings, but the agent does not answer"), then was CANCELled;
- ``dropped``: the bridge dropped the call without a final answer: no answer at all, or a
  first 180 Ringing and then silence (a ringing bridge repeats 180 every second); it does so
  for calls no trunk or dispatch rule takes (LiveKit's "flood" protection).

While the call runs, the room is read from the server API (the SIP participant whose
``sip.callIDFull`` is the call's Call-ID) with its attributes, its agent participants (kind
AGENT) and the agent dispatches of the room (``agent_name`` of each, and the identity of the
participant that took the job). Every call is bounded and always ends with CANCEL or BYE.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit_sip_core import printable
from livekit_sip_core.guide import TRANSFER_GUIDE

from .netns import CALLER_IP
from .services import API_PORT, Replica
from .uac import CallLeg

__all__ = ["AgentSeen", "CallReport", "CallSpec", "place_call"]


@dataclass(frozen=True)
class CallSpec:
    to: str
    from_: str
    source_ip: str = ""  # the caller's address; "" = the namespace's default caller address
    from_host: str = ""  # the host of the caller's From URI; "" = its address
    to_host: str = ""
    pin: str = ""  # digits to enter at a PIN prompt (followed by '#')
    auth_username: str = ""
    auth_password: str = field(default="", repr=False)  # never shown
    ring_timeout: float = 8.0  # how long a ringing call may ring before CANCEL
    answer_timeout: float = 10.0  # how long to wait for any answer at all
    hold: float = 1.5  # how long an answered call stays up (agents join meanwhile)
    label: str = ""
    #: Once answered, transfer the call (TransferSIPParticipant) to this ``tel:`` or ``sip:``
    #: URI; the caller plays the carrier and answers the bridge's REFER as ``refer`` says
    #: ("accept", "refuse", "ignore", see :class:`.uac.CallLeg`).
    transfer_to: str = ""
    refer: str = "accept"
    transfer_timeout: float = 45.0


@dataclass(frozen=True)
class AgentSeen:
    identity: str
    # the participant's lk.agent.name attribute (set by livekit-agents to the worker's
    # agent_name), else the agent_name of the room's dispatch whose job it took
    agent_name: str


@dataclass
class CallReport:
    spec: CallSpec
    outcome: str
    sip_code: int | None = None
    sip_reason: str = ""
    responses: list[tuple[int, str, float]] = field(default_factory=list)
    answer_seconds: float | None = None
    seconds: float = 0.0
    room: str = ""
    sip_identity: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    agents: list[AgentSeen] = field(default_factory=list)
    dispatched: list[str] = field(default_factory=list)  # agent_names the room's dispatches ask
    rtp_received: int = 0
    ended_with: str = ""
    call_id: str = ""
    #: The transfer's outcome: "transferred", "refused" (``transfer_code``: the carrier's answer
    #: to the REFER or its NOTIFY), "timed_out" (the REFER got no answer), "failed"; '' when
    #: no transfer was asked or the call was not answered.
    transfer: str = ""
    transfer_code: int | None = None
    transfer_error: str = ""  # what LiveKit said
    transfer_seconds: float = 0.0
    refer_to: str = ""  # the Refer-To the caller received

    @property
    def agent_names(self) -> list[str]:
        return [a.agent_name for a in self.agents]

    def summary(self) -> str:
        spec = self.spec
        head = f"{spec.label + ': ' if spec.label else ''}call from {spec.from_}"
        head += f" at {spec.source_ip or CALLER_IP} to {spec.to}"
        if spec.pin:
            head += f" with PIN {spec.pin}"
        codes = " ".join(str(c) for c, _, _ in self.responses) or "none"
        lines = [head, f"  outcome: {self.outcome.upper()}" + (
            f" ({self.sip_code} {self.sip_reason})" if self.sip_code else ""
        ) + f", SIP answers: {codes}, {self.seconds:.2f} s"]
        if self.answer_seconds is not None:
            lines.append(f"  answered after {self.answer_seconds:.2f} s; "
                         f"{self.rtp_received} RTP packets received")
        if self.room:
            lines.append(f"  room: {self.room}, SIP participant: {self.sip_identity}")
            attrs = ", ".join(f"{k}={v}" for k, v in sorted(self.attributes.items()))
            lines.append(f"  attributes: {attrs}")
        if self.dispatched:
            lines.append(f"  agents dispatched to the room: {self.dispatched}")
        if self.agents:
            lines.append("  agents in the room: " + ", ".join(
                f"{a.agent_name or '?'} ({a.identity})" for a in self.agents))
        elif self.room:
            lines.append("  no agent joined the room")
        if self.transfer:
            lines.append(f"  transfer to {self.spec.transfer_to}: {self.transfer.upper()}"
                         + (f" ({self.transfer_code})" if self.transfer_code else "")
                         + f" after {self.transfer_seconds:.2f} s; REFER received: "
                         + (f"Refer-To {self.refer_to}" if self.refer_to else "none"))
            if self.transfer_error:
                lines.append(f"  LiveKit says: {self.transfer_error}")
            if self.transfer != "transferred":
                lines.append(f"  see {TRANSFER_GUIDE.words()}")
        if self.ended_with:
            lines.append(f"  ended with: {self.ended_with}")
        # Rooms, identities, attributes, agent names and SIP reasons are what the server and
        # the bridge hold: escaped, so that none can start a line or move the terminal's cursor.
        return "\n".join(printable(line) for line in lines)


class _RoomWatcher:
    """Polls the server API for the call's room, participants and agent dispatches."""

    def __init__(self, replica: Replica, call_id: str) -> None:
        self.replica, self.call_id = replica, call_id
        self.room = ""
        self.sip_identity = ""
        self.attributes: dict[str, str] = {}
        self.agent_identities: list[str] = []
        self.by_identity: dict[str, str] = {}
        self.dispatched: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="room-watcher", daemon=True)
        self.error: str = ""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            asyncio.run(self._poll())
        except Exception as exc:  # reported, not raised: the call itself decides the outcome
            self.error = f"{type(exc).__name__}: {exc}"

    async def _poll(self) -> None:
        from livekit import api

        async with api.LiveKitAPI(self.replica.url, self.replica.api_key,
                                  self.replica.api_secret) as lk:
            while True:
                with contextlib.suppress(api.TwirpError, asyncio.TimeoutError, OSError):
                    await self._once(lk)
                if self._stop.is_set():
                    # one last look after the call ended is not useful: the room is closing
                    return
                await asyncio.sleep(0.25)

    async def _once(self, lk: Any) -> None:
        """One poll: the room's participants are listed once (and reused)."""
        from livekit import api

        parts: list[Any] = []
        if not self.room:
            rooms = await lk.room.list_rooms(api.ListRoomsRequest())
            for room in rooms.rooms:
                listed = await self._participants(lk, room.name)
                if self._take_sip_participant(listed):
                    self.room, parts = room.name, listed
                    break
            if not self.room:
                return
        else:
            parts = await self._participants(lk, self.room)
            self._take_sip_participant(parts)
        dispatches = await lk.agent_dispatch.list_dispatch(self.room)
        by_identity = self.by_identity
        names: list[str] = []
        for dispatch in dispatches:
            if dispatch.agent_name not in names:
                names.append(dispatch.agent_name)
            for job in dispatch.state.jobs:
                # livekit-agents joins as "agent-<job ID>" unless the job names an identity.
                by_identity.setdefault(job.state.participant_identity or f"agent-{job.id}",
                                       dispatch.agent_name)
        if names:
            self.dispatched = names
        for p in parts:
            if p.kind != api.ParticipantInfo.Kind.AGENT:
                continue
            if p.identity not in self.agent_identities:
                self.agent_identities.append(p.identity)
            # livekit-agents gives its participant the worker's agent_name as an attribute.
            if p.attributes.get("lk.agent.name"):
                self.by_identity[p.identity] = p.attributes["lk.agent.name"]

    @property
    def agents(self) -> list[AgentSeen]:
        return [AgentSeen(i, self.by_identity.get(i, "")) for i in self.agent_identities]

    @staticmethod
    async def _participants(lk: Any, room: str) -> list[Any]:
        from livekit import api

        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        return list(listed.participants)

    def _take_sip_participant(self, parts: Sequence[Any]) -> bool:
        """Note the call's SIP participant among ``parts``; whether it is there."""
        from livekit import api

        for p in parts:
            attrs = dict(p.attributes)
            sip = p.kind == api.ParticipantInfo.Kind.SIP
            if sip and attrs.get("sip.callIDFull") == self.call_id:
                self.sip_identity = p.identity
                self.attributes = attrs
                return True
        return False

    def wait_for(self, predicate: Callable[[], bool], seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.1)
        return predicate()


def _transfer(replica: Replica, watcher: _RoomWatcher, spec: CallSpec, leg: CallLeg,
              report: CallReport) -> None:
    """TransferSIPParticipant of the answered call, from a thread of the namespace (it talks to
    livekit-server on the namespace's 127.0.0.1) while the caller answers the bridge."""
    from livekit import api

    box: dict[str, Any] = {}

    async def ask() -> None:
        async with api.LiveKitAPI(f"http://127.0.0.1:{API_PORT}", replica.api_key,
                                  replica.api_secret) as lk:
            request = api.TransferSIPParticipantRequest(
                room_name=watcher.room, participant_identity=watcher.sip_identity,
                transfer_to=spec.transfer_to)
            request.ringing_timeout.seconds = 10
            try:
                await asyncio.wait_for(lk.sip.transfer_sip_participant(request),
                                       spec.transfer_timeout)
            except api.SipCallError as exc:
                box["error"] = exc
            except api.ServerError as exc:
                box["error"] = exc
            except TimeoutError:
                box["timeout"] = True

    t0 = time.monotonic()
    thread = threading.Thread(target=lambda: asyncio.run(ask()), name="transfer", daemon=True)
    thread.start()
    while thread.is_alive() and time.monotonic() - t0 < spec.transfer_timeout + 5:
        leg.listen(0.2)
    report.transfer_seconds = time.monotonic() - t0
    error = box.get("error")
    if box.get("timeout") or thread.is_alive():
        report.transfer = "timed_out"
        report.transfer_error = f"no answer from livekit-server in {spec.transfer_timeout:.0f} s"
    elif error is None:
        report.transfer = "transferred"
    else:
        code = getattr(error, "sip_status_code", None)
        report.transfer_error = f"{error.code}: {error.message}"
        report.transfer_code = code or leg.refer_answer
        if code == 408 or (leg.refer_to and leg.refer_answer is None):
            # The REFER got no answer: LiveKit gives up after the transfer's ringing timeout
            # (deadline_exceeded, no SIP code); the guide's "408".
            report.transfer = "timed_out"
        elif report.transfer_code:
            report.transfer = "refused"
        else:
            report.transfer = "failed"


def place_call(replica: Replica, spec: CallSpec,
               log: Callable[[str], None] | None = None) -> CallReport:
    """Place ``spec`` at the replica's bridge and report the outcome (see the module doc)."""
    if spec.source_ip:
        replica.ns.add_caller_ip(spec.source_ip)
    t0 = time.monotonic()
    local_ip = spec.source_ip or CALLER_IP
    call_id = f"{secrets.token_hex(12)}@{local_ip}"
    # The watcher talks to the API from the host (this thread); the call runs in a thread
    # inside the namespace.
    watcher = _RoomWatcher(replica, call_id)
    watcher.start()

    def run() -> CallReport:
        leg = CallLeg(replica.sip_address, spec.to, spec.from_, local_ip, to_host=spec.to_host,
                      auth_username=spec.auth_username, auth_password=spec.auth_password,
                      log=log, call_id=call_id, from_host=spec.from_host, refer=spec.refer)
        report = CallReport(spec, "dropped", call_id=call_id)
        try:
            leg.invite()
            final = leg.wait_answer(spec.ring_timeout, spec.answer_timeout)
            if final is None:
                report.outcome = (
                    "dropped" if leg.silent or not leg.provisional else "ringing"
                )
            elif final.code >= 300:
                report.outcome = "rejected"
            else:
                report.answer_seconds = final.at
                if spec.pin:
                    leg.send_digits(spec.pin + "#")
                # A PIN prompt answers without a room; otherwise the caller is in one.
                in_room = watcher.wait_for(lambda: bool(watcher.room),
                                           3.0 + (2.0 if spec.pin else 0.0))
                report.outcome = "answered" if in_room else "pin_prompt"
                if in_room and (watcher.dispatched or spec.pin):
                    # Let the dispatched agents join (or be seen) before hanging up.
                    watcher.wait_for(lambda: len(watcher.agents) >= max(1, len(
                        watcher.dispatched)), spec.hold + 3.0)
                if in_room and spec.transfer_to:
                    _transfer(replica, watcher, spec, leg, report)
                leg.listen(spec.hold)
            if final is not None:
                report.sip_code, report.sip_reason = final.code, final.reason
        finally:
            report.ended_with = leg.hangup()
            watcher.stop()
            leg.close()
        report.responses = [(r.code, r.reason, r.at) for r in leg.responses]
        report.rtp_received = leg.rtp_received
        report.room, report.sip_identity = watcher.room, watcher.sip_identity
        report.attributes = watcher.attributes
        report.agents = watcher.agents
        report.dispatched = watcher.dispatched
        report.refer_to = leg.refer_to
        if leg.remote_bye and report.outcome == "answered":
            report.ended_with = "BYE from the bridge"
        if spec.pin and report.outcome == "pin_prompt" and leg.remote_bye:
            report.outcome = "pin_rejected"
        return report

    report = replica.ns.run(run)
    report.seconds = time.monotonic() - t0
    return report
