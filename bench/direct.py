"""The same LiveKit objects made with a plain livekit-api script: the floor of the work itself.

No Pulumi, no state: create the trunks and dispatch rules of the ``sip`` stack
(bench/programs.py) one call at a time, or with several calls in flight, and time it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from livekit import api

__all__ = [
    "create_stack_objects",
    "delete_everything",
    "one_create_seconds",
    "seed_doctor_project",
    "seed_trunks",
]


def _trunk(i: int, name: str | None = None) -> api.SIPInboundTrunkInfo:
    return api.SIPInboundTrunkInfo(
        name=name or f"trunk-{i}",
        numbers=[f"+1510555{i:04d}"],
        allowed_addresses=["203.0.113.0/24"],
        krisp_enabled=True,
    )


def _rule(i: int, trunk_id: str) -> api.CreateSIPDispatchRuleRequest:
    return api.CreateSIPDispatchRuleRequest(
        dispatch_rule=api.SIPDispatchRuleInfo(
            name=f"rule-{i}",
            trunk_ids=[trunk_id],
            rule=api.SIPDispatchRule(
                dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix=f"call-{i}-")
            ),
            room_config=api.RoomConfiguration(
                agents=[api.RoomAgentDispatch(agent_name="support-agent")]
            ),
            hide_phone_number=True,
        )
    )


async def _create_pair(lk: api.LiveKitAPI, i: int, with_rule: bool) -> None:
    trunk = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(trunk=_trunk(i)))
    if with_rule:
        await lk.sip.create_dispatch_rule(_rule(i, trunk.sip_trunk_id))


def create_stack_objects(url: str, key: str, secret: str, size: int, in_flight: int) -> float:
    """Seconds to create the ``sip`` stack's objects with at most ``in_flight`` calls at once."""

    async def run() -> float:
        trunks = (size + 1) // 2
        async with api.LiveKitAPI(url, key, secret) as lk:
            gate = asyncio.Semaphore(in_flight)

            async def pair(i: int) -> None:
                async with gate:
                    await _create_pair(lk, i, i + trunks < size)

            start = time.perf_counter()
            if in_flight == 1:
                for i in range(trunks):
                    await _create_pair(lk, i, i + trunks < size)
            else:
                await asyncio.gather(*(pair(i) for i in range(trunks)))
            return time.perf_counter() - start

    return asyncio.run(run())


def seed_trunks(url: str, key: str, secret: str, count: int, in_flight: int = 10) -> float:
    """Create ``count`` inbound trunks (distinct numbers) directly; seconds taken."""

    async def run() -> float:
        async with api.LiveKitAPI(url, key, secret) as lk:
            gate = asyncio.Semaphore(in_flight)

            async def one(i: int) -> None:
                async with gate:
                    info = api.SIPInboundTrunkInfo(name=f"seed-{i}", numbers=[f"+1415{i:07d}"])
                    await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(trunk=info))

            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(count)))
            return time.perf_counter() - start

    return asyncio.run(run())


def seed_doctor_project(
    url: str, key: str, secret: str, count: int, in_flight: int = 10
) -> tuple[float, float]:
    """``count`` inbound trunks and ``count`` dispatch rules (one per trunk), made through the
    API with ``in_flight`` calls at once: a large project for `livekit-sip doctor`. Every 50th
    rule dispatches no agent (a finding); the numbers are assigned ones (+1 628 200-xxxx), which
    LKSSTK016 does not flag. Seconds taken for the trunks, for the rules."""

    async def run() -> tuple[float, float]:
        async with api.LiveKitAPI(url, key, secret) as lk:
            gate = asyncio.Semaphore(in_flight)
            trunk_ids: list[str] = [""] * count

            async def trunk(i: int) -> None:
                async with gate:
                    info = api.SIPInboundTrunkInfo(
                        name=f"line-{i}", numbers=[f"+1628{2000000 + i:07d}"], krisp_enabled=True
                    )
                    made = await lk.sip.create_inbound_trunk(
                        api.CreateSIPInboundTrunkRequest(trunk=info)
                    )
                    trunk_ids[i] = made.sip_trunk_id

            async def rule(i: int) -> None:
                async with gate:
                    agents = [] if i % 50 == 0 else [api.RoomAgentDispatch(agent_name="agent")]
                    info = api.SIPDispatchRuleInfo(
                        name=f"dispatch-{i}",
                        trunk_ids=[trunk_ids[i]],
                        rule=api.SIPDispatchRule(
                            dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                                room_prefix=f"call-{i}-"
                            )
                        ),
                        room_config=api.RoomConfiguration(agents=agents),
                        hide_phone_number=True,
                    )
                    await lk.sip.create_dispatch_rule(
                        api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
                    )

            start = time.perf_counter()
            await asyncio.gather(*(trunk(i) for i in range(count)))
            trunks_s = time.perf_counter() - start
            start = time.perf_counter()
            await asyncio.gather(*(rule(i) for i in range(count)))
            return trunks_s, time.perf_counter() - start

    return asyncio.run(run())


def one_create_seconds(url: str, key: str, secret: str) -> float:
    """Seconds for one inbound-trunk create call (the object is deleted afterwards)."""

    async def run() -> float:
        async with api.LiveKitAPI(url, key, secret) as lk:
            start = time.perf_counter()
            trunk = await lk.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(trunk=_trunk(9999, "direct-one"))
            )
            elapsed = time.perf_counter() - start
            await lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
            return elapsed

    return asyncio.run(run())


def delete_everything(url: str, key: str, secret: str, in_flight: int = 10) -> int:
    """Delete every SIP object of the server (the benchmark's server only); how many."""

    async def run() -> int:
        async with api.LiveKitAPI(url, key, secret) as lk:
            gate = asyncio.Semaphore(in_flight)
            rules = (await lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())).items
            inbound = (await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())).items
            outbound = (await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())).items

            async def call(make: Any) -> None:
                async with gate:
                    await make()

            await asyncio.gather(
                *(
                    call(
                        lambda r=r: lk.sip.delete_dispatch_rule(
                            api.DeleteSIPDispatchRuleRequest(
                                sip_dispatch_rule_id=r.sip_dispatch_rule_id
                            )
                        )
                    )
                    for r in rules
                )
            )
            await asyncio.gather(
                *(
                    call(
                        lambda t=t: lk.sip.delete_trunk(
                            api.DeleteSIPTrunkRequest(sip_trunk_id=t.sip_trunk_id)
                        )
                    )
                    for t in list(inbound) + list(outbound)
                )
            )
            return len(rules) + len(inbound) + len(outbound)

    return asyncio.run(run())
