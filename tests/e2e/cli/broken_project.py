"""A broken LiveKit project made with livekit-api directly (as `lk sip ... create` or a script
would, no Pulumi): one object per failure of LiveKit's SIP troubleshooting guide, plus a
healthy line. :func:`seed` returns the IDs by role, for the doctor, route, map and export
tests.
"""

from __future__ import annotations

import asyncio
from typing import Any

from livekit import api

#: A trunk password of the seeded project: it must never appear in any output.
PASSWORD = "seeded-Pa55word-never-printed"


def _individual(prefix: str) -> api.SIPDispatchRule:
    return api.SIPDispatchRule(
        dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix=prefix)
    )


def _agent(name: str) -> api.RoomConfiguration:
    return api.RoomConfiguration(agents=[api.RoomAgentDispatch(agent_name=name)])


async def _seed(lk: api.LiveKitAPI) -> dict[str, str]:
    sip = lk.sip
    ids: dict[str, str] = {}

    async def inbound(role: str, **fields: Any) -> str:
        trunk = await sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(trunk=api.SIPInboundTrunkInfo(name=role, **fields))
        )
        ids[role] = trunk.sip_trunk_id
        return str(trunk.sip_trunk_id)

    async def outbound(role: str, **fields: Any) -> str:
        trunk = await sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(trunk=api.SIPOutboundTrunkInfo(name=role, **fields))
        )
        ids[role] = trunk.sip_trunk_id
        return str(trunk.sip_trunk_id)

    async def rule(role: str, **fields: Any) -> str:
        made = await sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(name=role, **fields)
            )
        )
        ids[role] = made.sip_dispatch_rule_id
        return str(made.sip_dispatch_rule_id)

    # The healthy line: a number, an agent, noise cancellation.
    healthy = await inbound("healthy-line", numbers=["+15105550100"], krisp_enabled=True)
    await rule(
        "healthy-dispatch",
        trunk_ids=[healthy],
        rule=_individual("call-"),
        room_config=_agent("support-agent"),
        hide_phone_number=True,
    )
    # A dispatch rule that dispatches no agent: calls ring in an empty room.
    no_agent = await inbound("no-agent-line", numbers=["+15105550101"], krisp_enabled=True)
    await rule(
        "no-agent-dispatch", trunk_ids=[no_agent], rule=_individual("na-"), hide_phone_number=True
    )
    # A number that is not E.164.
    local = await inbound("local-format-line", numbers=["5105550102"], krisp_enabled=True)
    await rule(
        "local-format-dispatch",
        trunk_ids=[local],
        rule=_individual("lf-"),
        room_config=_agent("support-agent"),
        hide_phone_number=True,
    )
    # A dispatch rule naming a trunk that does not exist (copied from another project).
    await rule(
        "unknown-trunk-dispatch",
        trunk_ids=["ST_copiedFromStaging"],
        rule=_individual("uk-"),
        room_config=_agent("support-agent"),
        hide_phone_number=True,
    )
    # Two trunks that take the same number. The server refuses the second on create, but not
    # when an existing trunk is edited to take it (`lk sip inbound update`, the console).
    sales = await inbound("sales-line", numbers=["+15105550104"], krisp_enabled=True)
    support = await inbound("support-line", numbers=["+15105550199"], krisp_enabled=True)
    await sip.update_inbound_trunk(
        support,
        api.SIPInboundTrunkInfo(name="support-line", numbers=["+15105550104"], krisp_enabled=True),
    )
    await rule(
        "sales-support-dispatch",
        trunk_ids=[sales, support],
        rule=_individual("ss-"),
        room_config=_agent("support-agent"),
        hide_phone_number=True,
    )
    # Two dispatch rules for the same trunk without a PIN: the server cannot choose. Made the
    # same way: the second rule is edited to take the trunk.
    shared = await inbound("shared-line", numbers=["+15105550105"], krisp_enabled=True)
    first = dict(rule=_individual("a-"), room_config=_agent("support-agent"))
    await rule("shared-dispatch-a", trunk_ids=[shared], hide_phone_number=True, **first)
    second = dict(rule=_individual("b-"), room_config=_agent("support-agent"))
    made = await rule(
        "shared-dispatch-b", trunk_ids=["ST_notYetTheTrunk"], hide_phone_number=True, **second
    )
    await sip.update_dispatch_rule(
        made,
        api.SIPDispatchRuleInfo(
            name="shared-dispatch-b", trunk_ids=[shared], hide_phone_number=True, **second
        ),
    )
    # Outbound: a Telnyx customer subdomain as the address, and an Indian number with no
    # region pinning.
    await outbound(
        "telnyx-subdomain",
        address="acme.sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=PASSWORD,
    )
    await outbound(
        "india-unpinned",
        address="12345678901234567.zt.plivo.com",
        numbers=["+919876543210"],
        auth_username="acmeuser",
        auth_password=PASSWORD,
    )
    return ids


def seed(url: str, api_key: str, api_secret: str) -> dict[str, str]:
    """Create the broken project; its IDs by role (the objects' names)."""

    async def run() -> dict[str, str]:
        async with api.LiveKitAPI(url, api_key, api_secret) as lk:
            return await _seed(lk)

    return asyncio.run(run())
