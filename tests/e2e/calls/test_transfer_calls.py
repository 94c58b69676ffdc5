"""Transfers: an answered inbound call that the application transfers with
TransferSIPParticipant. The bridge sends a SIP REFER to the party that delivered the call, the
carrier (played here by the caller, which answers the REFER as the carrier would): transferred
when the carrier accepts REFER, refused with its code, timed out when it does not answer the
REFER (Telnyx with "SIP REFER" off). Then the same transfer with REFER on goes through.
"""

from __future__ import annotations

import asyncio

import pytest
from livekit import api
from livekit_sip_pulumi.telephony.services import Replica
from livekit_sip_pulumi.telephony.verifier import CallReport, CallSpec, place_call

from .conftest import probe_worker, report

pytestmark = [pytest.mark.e2e, pytest.mark.calls]

LINE = "+15105550100"
CALLER = "+14155550001"
TARGET = "+15105550123"


def _line(replica: Replica) -> None:
    async def create() -> None:
        async with api.LiveKitAPI(replica.url, replica.api_key, replica.api_secret) as lk:
            trunk = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(name="support-line", numbers=[LINE])))
            await lk.sip.create_dispatch_rule(api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(
                    name="support-calls", trunk_ids=[trunk.sip_trunk_id],
                    rule=api.SIPDispatchRule(dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                        room_prefix="call-")),
                    room_config=api.RoomConfiguration(
                        agents=[api.RoomAgentDispatch(agent_name="support-agent")]))))

    asyncio.run(create())


def _transfer(replica: Replica, target: str, refer: str) -> CallReport:
    return place_call(replica, CallSpec(LINE, CALLER, transfer_to=target, refer=refer,
                                        transfer_timeout=30.0))


def _times(label: str, r: CallReport) -> str:
    code = f" {r.transfer_code}" if r.transfer_code else ""
    return (f"  {label}: {r.transfer}{code} after {r.transfer_seconds:.2f} s "
            f"(call {r.seconds:.2f} s)")


def test_transfer_refused_timed_out_then_transferred(sip_replica: Replica,
                                                     request: pytest.FixtureRequest) -> None:
    _line(sip_replica)
    sip_replica.start_worker(probe_worker("support-agent"))

    refused = _transfer(sip_replica, f"sip:{TARGET}@sip.telnyx.com", "refuse")
    assert refused.outcome == "answered", refused.summary()
    assert (refused.transfer, refused.transfer_code) == ("refused", 403), refused.summary()
    assert refused.refer_to == f"<sip:{TARGET}@sip.telnyx.com>"
    assert "permission_denied" in refused.transfer_error
    assert "enable transfers (SIP REFER) on the provider's trunk" in refused.summary()

    ignored = _transfer(sip_replica, f"tel:{TARGET}", "ignore")
    assert ignored.transfer == "timed_out", ignored.summary()
    assert ignored.refer_to == f"tel:{TARGET}"
    # livekit-server says deadline_exceeded "request timed out" or canceled "context deadline
    # exceeded", whichever of its timeouts fires first.
    assert "deadline" in ignored.transfer_error
    assert 9.0 <= ignored.transfer_seconds < 25, ignored.summary()
    assert "TIMED_OUT" in ignored.summary() and "408" in ignored.summary()

    done = _transfer(sip_replica, f"tel:{TARGET}", "accept")
    assert done.transfer == "transferred", done.summary()
    assert done.refer_to == f"tel:{TARGET}" and not done.transfer_error
    assert done.ended_with == "BYE from the bridge"  # the bridge leaves a transferred call
    assert "see the guide" not in done.summary()
    report(request, "\n[transfer] TransferSIPParticipant of an answered inbound call:\n"
           + "\n".join(_times(label, r) for label, r in (
               ("REFER refused", refused), ("REFER unanswered", ignored),
               ("REFER accepted", done))))
