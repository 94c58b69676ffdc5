"""The demo: the quickstart stack against the local LiveKit server, end to end.

Policy-checked preview, up, what LiveKit now holds (read back with livekit-api), refresh, and
destroy, with a local file backend. Run through `make demo`, which starts the server and exports
LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from livekit import api
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir, toolchain_bin


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


async def list_objects(url: str, key: str, secret: str) -> tuple[list[Any], list[Any]]:
    """Inbound trunks and dispatch rules, as LiveKit holds them."""
    async with api.LiveKitAPI(url, key, secret) as lk:
        trunks = await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
        rules = await lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())
        return list(trunks.items), list(rules.items)


def main() -> int:
    try:
        url = os.environ["LIVEKIT_URL"]
        key = os.environ["LIVEKIT_API_KEY"]
        secret = os.environ["LIVEKIT_API_SECRET"]
    except KeyError as exc:
        print(f"error: {exc.args[0]} is not set; run `make demo`", file=sys.stderr)
        return 2
    state = toolchain_bin().parent / "demo-state"
    shutil.rmtree(state, ignore_errors=True)
    stack = LocalStack(
        "livekit-sip-demo",
        program_from_dir(ROOT / "examples" / "quickstart"),
        state,
        stack="demo",
        config={"livekit:url": url, "livekit:apiKey": key},
        secret_config={"livekit:apiSecret": secret, "livekit-sip-demo:trunkPassword": "demo-pw"},
        echo=True,
    )

    banner("pulumi preview --policy-pack policies")
    preview = stack.preview(policy_packs=[POLICY_PACK])
    print(f"policy violations: {len(preview.policy_events)}")
    for event in preview.policy_events:
        print(f"  [{event.enforcement}] {event.policy} on {event.resource_name}: {event.message}")
    if not preview.ok:
        print(preview.error, file=sys.stderr)
        return 1

    banner("pulumi up --policy-pack policies")
    up = stack.up(policy_packs=[POLICY_PACK])
    if not up.ok:
        print(up.error, file=sys.stderr)
        return 1

    banner("what LiveKit holds now (read back with livekit-api)")
    trunks, rules = asyncio.run(list_objects(url, key, secret))
    for trunk in trunks:
        print(
            f"  inbound trunk {trunk.sip_trunk_id}  name={trunk.name!r}  "
            f"numbers={list(trunk.numbers)}  krisp_enabled={trunk.krisp_enabled}"
        )
    for rule in rules:
        agents = [a.agent_name for a in rule.room_config.agents]
        print(
            f"  dispatch rule {rule.sip_dispatch_rule_id}  name={rule.name!r}  "
            f"trunk_ids={list(rule.trunk_ids)}  kind={rule.rule.WhichOneof('rule')}  "
            f"agents={agents}"
        )
    created = ([up.outputs["inbound_trunk_id"]], [up.outputs["dispatch_rule_id"]])
    held = ([t.sip_trunk_id for t in trunks], [r.sip_dispatch_rule_id for r in rules])
    if held != created:
        print("error: LiveKit does not hold exactly what the stack created", file=sys.stderr)
        return 1

    banner("pulumi refresh")
    refresh = stack.refresh()
    if not refresh.ok:
        print(refresh.error, file=sys.stderr)
        return 1

    banner("pulumi destroy")
    destroy = stack.destroy()
    if not destroy.ok:
        print(destroy.error, file=sys.stderr)
        return 1
    trunks, rules = asyncio.run(list_objects(url, key, secret))
    print(f"left in LiveKit: {len(trunks)} inbound trunks, {len(rules)} dispatch rules")
    stack.remove()
    return 0 if not trunks and not rules else 1


if __name__ == "__main__":
    sys.exit(main())
