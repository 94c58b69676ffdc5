"""`livekit-sip doctor` against a real livekit-server holding a project made with livekit-api
directly (no Pulumi), one object per failure from the field (the troubleshooting guide,
LiveKit's sources and issue threads): each rule added for them reports its object, read back
from the server (durations, media and attributes as LiveKit stores them)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.duration_pb2 import Duration
from livekit import api

from tests.e2e.cli.livekit_sip_cli import credentials, run

pytestmark = pytest.mark.e2e

AGENT = "support-agent"

# Rule IDs per object (by name). The rules of the lines are healthy unless named here.
EXPECTED = {
    "ring-line": ["LKSIN009"],
    "duration-line": ["LKSIN010"],
    "office-line": ["LKSIN011"],
    "tls-plain-port": ["LKSOUT010"],
    "fixed-rooms-dispatch": ["LKSDR009"],
    "agent-twice-dispatch": ["LKSDR010"],
    "attribute-dispatch": ["LKSDR011"],
    "codec-line": ["LKSSTK017"],
    "allow-list-line": ["LKSSTK017", "LKSSTK018"],
    "media-timeout-dispatch": ["LKSSTK019"],
    # A trunk admitting only a zoned link-local address takes no call (LKSSTK013's reason
    # 'its trunks take no call'), so its ordinary caller reaches no agent (LKSSTK014).
    "zoned-line": ["LKSIN008", "LKSSTK014"],
    "zoned-line-dispatch": ["LKSSTK013"],
}


def _individual(**fields: Any) -> api.SIPDispatchRule:
    return api.SIPDispatchRule(
        dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="call-", **fields)
    )


def _agents(*names: str) -> api.RoomConfiguration:
    return api.RoomConfiguration(agents=[api.RoomAgentDispatch(agent_name=n) for n in names])


async def _seed(lk: api.LiveKitAPI) -> dict[str, str]:
    sip = lk.sip
    ids: dict[str, str] = {}
    number = iter(f"+1510555{n:04d}" for n in range(120, 200))

    async def line(name: str, rule_name: str | None = None, rule: Any = None, **fields: Any):
        trunk = await sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(
                    name=name, numbers=[next(number)], krisp_enabled=True, **fields
                )
            )
        )
        ids[name] = trunk.sip_trunk_id
        info = {
            "name": rule_name or f"{name}-dispatch",
            "trunk_ids": [trunk.sip_trunk_id],
            "rule": _individual(),
            "room_config": _agents(AGENT),
            "hide_phone_number": True,
            **(rule or {}),
        }
        made = await sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(dispatch_rule=api.SIPDispatchRuleInfo(**info))
        )
        ids[info["name"]] = made.sip_dispatch_rule_id

    await line("ring-line", ringing_timeout=Duration(seconds=3))
    await line("duration-line", max_call_duration=Duration(seconds=30))
    await line("office-line", allowed_addresses=["192.168.1.0/24"])
    await line("rooms-line", "fixed-rooms-dispatch", {"rule": _individual(no_randomness=True)})
    await line("twice-line", "agent-twice-dispatch", {"room_config": _agents(AGENT, AGENT)})
    await line("attribute-line", "attribute-dispatch", {"attributes": {"sip.trunkID": "x"}})
    await line(
        "codec-line", media=api.SIPMediaConfig(codecs=[api.SIPCodec(name="G722", rate=16000)])
    )
    await line(
        "allow-list-line",
        media=api.SIPMediaConfig(
            only_listed_codecs=True, codecs=[api.SIPCodec(name="G729", rate=8000)]
        ),
    )
    await line(
        "media-timeout-line",
        "media-timeout-dispatch",
        {"media": api.SIPMediaConfig(media_timeout=Duration(seconds=5))},
    )
    await line("zoned-line", allowed_addresses=["fe80::1%eth0"])
    out = await sip.create_outbound_trunk(
        api.CreateSIPOutboundTrunkRequest(
            trunk=api.SIPOutboundTrunkInfo(
                name="tls-plain-port",
                address="sip.example.com:5060",
                transport=api.SIPTransport.SIP_TRANSPORT_TLS,
                numbers=[next(number)],
            )
        )
    )
    ids["tls-plain-port"] = out.sip_trunk_id
    return ids


async def _seed_with(url: str, key: str, secret: str) -> dict[str, str]:
    async with api.LiveKitAPI(url, key, secret) as lk:
        return await _seed(lk)


@pytest.fixture(scope="module")
def field(livekit) -> Iterator[dict[str, str]]:
    livekit.delete_everything()
    yield asyncio.run(_seed_with(livekit.url, livekit.api_key, livekit.api_secret))
    livekit.delete_everything()


def test_doctor_reports_the_failures_from_the_field(livekit, field):
    result = run("doctor", "--json", env=credentials(livekit))
    document = json.loads(result.stdout)
    names = {v: k for k, v in field.items()}
    found = {names[o["id"]]: sorted(f["rule"] for f in o["findings"]) for o in document["objects"]}
    assert found == EXPECTED, result
    assert document["errors"] == []
    assert document["summary"]["mandatory"] == 0 and result.returncode == 0, result
    messages = {
        (names[o["id"]], f["rule"]): f["message"]
        for o in document["objects"]
        for f in o["findings"]
    }
    assert "is 3 seconds" in messages[("ring-line", "LKSIN009")]
    assert "'G722/16000' is no codec" in messages[("codec-line", "LKSSTK017")]
    assert "take no call" in messages[("zoned-line-dispatch", "LKSSTK013")]
    assert "is 5 seconds" in messages[("media-timeout-dispatch", "LKSSTK019")]
