"""The demo: the project at the repository root (Pulumi.yaml, the quickstart program) run with
the `pulumi` CLI, as a user runs it, against the local LiveKit server.

    pulumi stack select --create demo
    pulumi config set livekit:url / livekit:apiKey / --secret livekit:apiSecret ...
    pulumi preview --policy-pack policies
    pulumi up --yes --policy-pack policies
    (what LiveKit now holds, read back with livekit-api)
    pulumi refresh --yes
    pulumi destroy --yes
    pulumi stack rm --yes demo

The state lives in a local file backend under .pulumi-demo/ (gitignored). Each command is
printed before it runs. Run through `make demo`, which starts the server and exports
LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET; no virtualenv needs to be activated
(Pulumi.yaml and policies/PulumiPolicy.yaml name the repository's .venv).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from livekit import api

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".pulumi-demo"
STACK = "demo"


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def toolchain_bin() -> str:
    """Where scripts/build-toolchain.sh puts pulumi and its plugins (toolchain-env.sh)."""
    out = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/toolchain-env.sh" && printf %s "$LKSP_BIN"'],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def cli_env() -> dict[str, str]:
    """This shell's environment without a virtualenv, with the toolchain on PATH and the
    demo's file backend (a backend or passphrase you set yourself wins)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    venv_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env["PATH"] = os.pathsep.join([toolchain_bin(), *path])
    env.setdefault("PULUMI_BACKEND_URL", f"file://{DEMO_DIR / 'state'}")
    env.setdefault("PULUMI_CONFIG_PASSPHRASE", "livekit-sip-demo")
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    return env


def pulumi(
    *args: str,
    env: dict[str, str],
    stdin: str | None = None,
    capture: bool = False,
    check: bool = True,
) -> str:
    """Run `pulumi ARGS` in the repository root, printing the command first. Secret values go
    through stdin (not the command line), as `pulumi config set --secret KEY` reads them."""
    print(f"$ pulumi {shlex.join(args)}" + (" < (secret value)" if stdin else ""), flush=True)
    exe = shutil.which("pulumi", path=env["PATH"])
    if exe is None:
        raise SystemExit(
            "error: pulumi not found: run `make toolchain` or install it with Pulumi's installer"
        )
    done = subprocess.run(
        [exe, *args],
        cwd=ROOT,
        env=env,
        text=True,
        input=stdin,
        stdout=subprocess.PIPE if capture else None,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"error: `pulumi {args[0]}` failed (exit {done.returncode})")
    return done.stdout or ""


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
    (DEMO_DIR / "state").mkdir(parents=True, exist_ok=True)
    env = cli_env()

    banner("stack and config")
    pulumi("stack", "select", "--create", STACK, env=env)
    pulumi("config", "set", "livekit:url", url, env=env)
    pulumi("config", "set", "livekit:apiKey", key, env=env)
    pulumi("config", "set", "--secret", "livekit:apiSecret", env=env, stdin=secret)
    pulumi("config", "set", "--secret", "trunkPassword", env=env, stdin="demo-pw")
    pulumi("config", "set", "livekit:sipSubdomain", "demo", env=env)
    try:
        banner("pulumi preview --policy-pack policies")
        pulumi("preview", "--policy-pack", "policies", env=env)

        banner("pulumi up --policy-pack policies")
        pulumi("up", "--yes", "--policy-pack", "policies", env=env)
        outputs = json.loads(pulumi("stack", "output", "--json", env=env, capture=True))

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
        created = ([outputs["inbound_trunk_id"]], [outputs["dispatch_rule_id"]])
        held = ([t.sip_trunk_id for t in trunks], [r.sip_dispatch_rule_id for r in rules])
        if held != created:
            print("error: LiveKit does not hold exactly what the stack created", file=sys.stderr)
            return 1

        banner("the routing map: numbers -> trunks -> dispatch rules -> rooms and agents")
        export = DEMO_DIR / "stack.json"
        export.write_text(pulumi("stack", "export", env=env, capture=True))
        routing_map = DEMO_DIR / "routing-map.png"
        command = [sys.executable, str(ROOT / "scripts" / "routing-map.py"), str(export)]
        print(
            f"$ scripts/routing-map.py {export.relative_to(ROOT)} -f png -o "
            f"{routing_map.relative_to(ROOT)}",
            flush=True,
        )
        subprocess.run([*command, "-f", "png", "-o", str(routing_map)], check=True)
        subprocess.run([*command, "-f", "mermaid"], check=True)

        banner("pulumi refresh")
        pulumi("refresh", "--yes", env=env)
    finally:
        banner("pulumi destroy")
        pulumi("destroy", "--yes", env=env, check=False)
    trunks, rules = asyncio.run(list_objects(url, key, secret))
    print(f"left in LiveKit: {len(trunks)} inbound trunks, {len(rules)} dispatch rules")
    pulumi("stack", "rm", "--yes", STACK, env=env)
    return 0 if not trunks and not rules else 1


if __name__ == "__main__":
    sys.exit(main())
