"""The stacks the benchmarks declare, as functions (inline programs) and as a project's
``__main__.py`` (`programs.main`, which reads the kind and size from the ``bench`` config).

- ``sip``: N resources, N/2 inbound trunks each with a dispatch rule dispatching an agent
  (the rule references its trunk's ID, so the engine creates it after the trunk);
- ``noop``: the same graph of do-nothing dynamic resources (bench.noop_provider), same
  names, similar inputs; ``noop-plain``: the same with ``__provider`` stored in plain text;
- ``one``: a single inbound trunk (the create measured next to a crowded project);
- ``plan``: one SipNumberPlan of N lines, each the pair of objects ``sip`` makes with two
  resources (its inbound trunk and its dispatch rule); ``bench:planChange`` set to a line's
  index changes that line's agent.
"""

from __future__ import annotations

from collections.abc import Callable

Program = Callable[[], None]


def _trunk_number(i: int) -> str:
    return f"+1510555{i:04d}"


def sip_stack(size: int) -> Program:
    def program() -> None:
        from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

        trunks = (size + 1) // 2
        for i in range(trunks):
            trunk = SipInboundTrunk(
                f"trunk-{i}",
                numbers=[_trunk_number(i)],
                allowed_addresses=["203.0.113.0/24"],
                krisp_enabled=True,
            )
            if i + trunks < size:
                SipDispatchRule(
                    f"rule-{i}",
                    trunk_ids=[trunk.sip_trunk_id],
                    rule={"dispatch_rule_individual": {"room_prefix": f"call-{i}-"}},
                    room_config={"agents": [{"agent_name": "support-agent"}]},
                    hide_phone_number=True,
                )

    return program


def noop_stack(size: int, plain_provider: bool = False) -> Program:
    def program() -> None:
        from functools import partial

        from bench.noop_provider import NoopResource as Noop

        NoopResource = partial(Noop, plain_provider=plain_provider)

        trunks = (size + 1) // 2
        for i in range(trunks):
            trunk = NoopResource(
                f"trunk-{i}",
                {
                    "name": f"trunk-{i}",
                    "numbers": [_trunk_number(i)],
                    "allowed_addresses": ["203.0.113.0/24"],
                    "krisp_enabled": True,
                },
            )
            if i + trunks < size:
                NoopResource(
                    f"rule-{i}",
                    {
                        "name": f"rule-{i}",
                        "trunk_ids": [trunk.id],
                        "rule": {"dispatch_rule_individual": {"room_prefix": f"call-{i}-"}},
                        "room_config": {"agents": [{"agent_name": "support-agent"}]},
                        "hide_phone_number": True,
                    },
                )

    return program


def one_trunk(size: int = 1) -> Program:
    def program() -> None:
        from livekit_sip_pulumi import SipInboundTrunk

        SipInboundTrunk(
            "one",
            numbers=["+14155550100"],
            allowed_addresses=["203.0.113.0/24"],
            krisp_enabled=True,
        )

    return program


def plan_lines(size: int, changed: int = -1) -> dict[str, dict]:
    """The ``plan`` program's lines: line i is trunk i and rule i of ``sip`` at 2 x size."""
    return {
        f"line-{i}": {
            "numbers": [_trunk_number(i)],
            "agent_name": "night-agent" if i == changed else "support-agent",
            "room_prefix": f"call-{i}-",
            "inbound": {"allowed_addresses": ["203.0.113.0/24"], "krisp_enabled": True},
            "dispatch": {"hide_phone_number": True},
        }
        for i in range(size)
    }


def number_plan(size: int) -> Program:
    def program() -> None:
        import pulumi
        from livekit_sip_pulumi import SipNumberPlan

        changed = pulumi.Config("bench").get_int("planChange")
        SipNumberPlan("plan", plan_lines(size, -1 if changed is None else changed))

    return program


PROGRAMS: dict[str, Callable[[int], Program]] = {
    "sip": sip_stack,
    "noop": noop_stack,
    # the do-nothing resources with their provider stored in plain text, not as a secret
    "noop-plain": lambda size: noop_stack(size, plain_provider=True),
    "one": one_trunk,
    "plan": number_plan,
}


def main() -> None:
    """Entry point of a generated project's ``__main__.py``."""
    import pulumi

    config = pulumi.Config("bench")
    PROGRAMS[config.require("kind")](config.require_int("size"))()
