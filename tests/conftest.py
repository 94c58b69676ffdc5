"""Shared fixtures: the real toolchain, a real livekit-server with Redis on loopback, and
LiveKit clients for out-of-band checks.

Nothing here skips: a missing toolchain fails the run with the command that fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from localstack import toolchain_bin  # noqa: E402

T = TypeVar("T")

# The suite passes LiveKit credentials explicitly (stack config or arguments); ambient ones
# would hide a provider that ignores its config.
for _var in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
    os.environ.pop(_var, None)


@dataclass(frozen=True)
class LiveKitServer:
    url: str
    api_key: str
    api_secret: str
    run_dir: Path

    def config(self) -> dict[str, str]:
        return {"livekit:url": self.url, "livekit:apiKey": self.api_key}

    def secret_config(self) -> dict[str, str]:
        return {"livekit:apiSecret": self.api_secret}

    def call(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``operation(LiveKitAPI)`` against this server: an independent client."""
        from livekit import api

        async def run() -> T:
            async with api.LiveKitAPI(self.url, self.api_key, self.api_secret) as lk:
                return await operation(lk)

        return asyncio.run(run())

    def inbound_trunks(self) -> list[Any]:
        from livekit import api

        return list(
            self.call(lambda lk: lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())).items
        )

    def outbound_trunks(self) -> list[Any]:
        from livekit import api

        return list(
            self.call(
                lambda lk: lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
            ).items
        )

    def dispatch_rules(self) -> list[Any]:
        from livekit import api

        return list(
            self.call(lambda lk: lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())).items
        )

    def make_by_hand(self, name: str, number: str, room_prefix: str) -> tuple[str, str]:
        """An inbound trunk for ``number`` and an individual dispatch rule for it, created with
        livekit-api as `lk sip ... create` would, outside Pulumi: (trunk ID, rule ID)."""
        from livekit import api

        trunk = self.call(
            lambda lk: lk.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(
                    trunk=api.SIPInboundTrunkInfo(name=name, numbers=[number])
                )
            )
        )
        rule = self.call(
            lambda lk: lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(
                    dispatch_rule=api.SIPDispatchRuleInfo(
                        name=name,
                        trunk_ids=[trunk.sip_trunk_id],
                        rule=api.SIPDispatchRule(
                            dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                                room_prefix=room_prefix
                            )
                        ),
                    )
                )
            )
        )
        return trunk.sip_trunk_id, rule.sip_dispatch_rule_id

    def delete_everything(self) -> None:
        from livekit import api

        for rule in self.dispatch_rules():
            self.call(
                lambda lk, rid=rule.sip_dispatch_rule_id: lk.sip.delete_dispatch_rule(
                    api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rid)
                )
            )
        for trunk in self.inbound_trunks() + self.outbound_trunks():
            self.call(
                lambda lk, tid=trunk.sip_trunk_id: lk.sip.delete_trunk(
                    api.DeleteSIPTrunkRequest(sip_trunk_id=tid)
                )
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _language_host(bin_dir: Path) -> Path | None:
    """The Python language host the engine will use: the built one, or an installed one on PATH
    (Pulumi's installer); either needs pulumi-language-python-exec beside it."""
    for host in (bin_dir / "pulumi-language-python", shutil.which("pulumi-language-python")):
        if host is not None and Path(host).exists():
            host = Path(host)
            if (host.parent / "pulumi-language-python-exec").exists():
                return host
    return None


@pytest.fixture(scope="session")
def toolchain(request: pytest.FixtureRequest) -> Path:
    """The built toolchain directory; fails (never skips) when a part is missing.

    A pulumi CLI installed with Pulumi's installer (on PATH) replaces the built one and its
    shims; livekit-server comes from the build or from PATH. The Python language host is
    required: project folders (`pulumi up` in a folder) and policy packs run through it, as for
    users. Prints which program runs Python policy packs.
    """
    bin_dir = toolchain_bin()
    built_pulumi = (bin_dir / "pulumi").exists()
    needed = ["bin/pulumi-resource-pulumi-python", "plugins/pulumi-analyzer-policy-python"]
    missing = [name for name in needed if built_pulumi and not (bin_dir.parent / name).exists()]
    if not built_pulumi and shutil.which("pulumi") is None:
        missing.append("pulumi")
    host = _language_host(bin_dir)
    if host is None:
        missing.append("pulumi-language-python (+ pulumi-language-python-exec beside it)")
    if not (bin_dir / "livekit-server").exists() and shutil.which("livekit-server") is None:
        missing.append("livekit-server")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if missing:
        pytest.fail(
            f"toolchain incomplete (looked in {bin_dir} and on PATH): missing {missing}. Run "
            "`make toolchain` (scripts/build-toolchain.sh, scripts/build-sip-oracle.sh, "
            "scripts/ensure-system-packages.sh) first; `make test` does it for you.",
            pytrace=False,
        )
    # With a language host on PATH the engine runs Python policy packs through it, as for users
    # (NewPolicyAnalyzer in pkg/resource/plugin/analyzer_plugin.go falls back to the
    # pulumi-analyzer-policy-<runtime> plugin only when no language plugin is found).
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(
            f"\n[toolchain] Python policy packs and project folders run through the language "
            f"host {host} (pulumi-analyzer-policy-python is only the engine's fallback when no "
            "language host is found)",
            flush=True,
        )
    return bin_dir


@pytest.fixture(scope="session")
def livekit(toolchain: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveKitServer]:
    """A livekit-server in dev mode with Redis, on free loopback ports, for the whole session.

    Started with scripts/services.sh in a run directory of its own; stopped by PID at the end,
    whatever happened.
    """
    run_dir = tmp_path_factory.mktemp("services")
    env = {
        **os.environ,
        "LKSP_RUN": str(run_dir),
        "LKSP_REDIS_PORT": str(_free_port()),
        "LKSP_LIVEKIT_PORT": str(_free_port()),
        # Stopped with this session even when it is killed with SIGKILL (no finally runs then).
        "LKSP_OWNER_PID": str(os.getpid()),
    }
    script = ROOT / "scripts" / "services.sh"
    started = subprocess.run([str(script), "start"], env=env, capture_output=True, text=True)
    try:
        if started.returncode != 0:
            pytest.fail(f"could not start redis + livekit-server:\n{started.stderr}", pytrace=False)
        values: dict[str, str] = {}
        for line in (run_dir / "env").read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            values[key] = value
        yield LiveKitServer(
            url=values["LIVEKIT_URL"],
            api_key=values["LIVEKIT_API_KEY"],
            api_secret=values["LIVEKIT_API_SECRET"],
            run_dir=run_dir,
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, capture_output=True, text=True)


@pytest.fixture
def clean_livekit(livekit: LiveKitServer) -> Iterator[LiveKitServer]:
    """The server with no SIP objects before and after the test."""
    livekit.delete_everything()
    yield livekit
    livekit.delete_everything()
