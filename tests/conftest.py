"""Shared fixtures: the real toolchain, a real livekit-server with Redis on loopback, and
LiveKit clients for out-of-band checks.

Nothing here skips: a missing toolchain fails the run with the command that fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
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

from localstack import (  # noqa: E402
    livekit_releases,
    livekit_server_dir,
    pulumi_bin,
    requested_pulumi_version,
    toolchain_bin,
)

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
    #: The release running ("v1.13.11"), as scripts/services.sh reports it.
    version: str = ""

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


def _language_host(bin_dir: Path, *, installed: bool) -> Path | None:
    """The Python language host the engine will use: the built one, or (``installed``) one on
    PATH (Pulumi's installer); either needs pulumi-language-python-exec beside it."""
    on_path = shutil.which("pulumi-language-python") if installed else None
    for host in (bin_dir / "pulumi-language-python", on_path):
        if host is not None and Path(host).exists():
            host = Path(host)
            if (host.parent / "pulumi-language-python-exec").exists():
                return host
    return None


def _version_of(program: Path | str, flag: str) -> str:
    done = subprocess.run([str(program), flag], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or f"unknown ({done.stderr.strip()[:200]})"


@pytest.fixture(scope="session")
def toolchain(request: pytest.FixtureRequest) -> Path:
    """The built toolchain directory; fails (never skips) when a part is missing.

    A pulumi CLI installed with Pulumi's installer (on PATH) replaces the built one and its
    shims, unless LKSP_PULUMI_VERSION asks for a release of its own: then that build is
    required. livekit-server comes from the build or from PATH. The Python language host is
    required: project folders (`pulumi up` in a folder) and policy packs run through it, as for
    users. Prints which pulumi, Python SDK and language host run.
    """
    bin_dir = toolchain_bin()
    pulumi_dir = pulumi_bin()
    requested = requested_pulumi_version()
    built_pulumi = (pulumi_dir / "pulumi").exists()
    needed = ["bin/pulumi-resource-pulumi-python", "plugins/pulumi-analyzer-policy-python"]
    missing = [name for name in needed if built_pulumi and not (pulumi_dir.parent / name).exists()]
    if not built_pulumi and (requested is not None or shutil.which("pulumi") is None):
        missing.append(f"pulumi {requested or ''}".strip())
    host = _language_host(pulumi_dir, installed=requested is None)
    if host is None:
        missing.append("pulumi-language-python (+ pulumi-language-python-exec beside it)")
    if not (livekit_server_dir() / "livekit-server").exists() and shutil.which(
        "livekit-server"
    ) is None:
        missing.append(f"livekit-server (in {livekit_server_dir()})")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if missing:
        build = (
            f"`LKSP_PULUMI_VERSION={requested} scripts/build-toolchain.sh pulumi language-host`"
            if requested is not None
            else "`make toolchain` (scripts/build-toolchain.sh, scripts/build-sip-oracle.sh, "
            "scripts/ensure-system-packages.sh)"
        )
        pytest.fail(
            f"toolchain incomplete (looked in {pulumi_dir}, {bin_dir} and on PATH): missing "
            f"{missing}. Run {build} first; `make test` does it for you.",
            pytrace=False,
        )
    pulumi = pulumi_dir / "pulumi" if built_pulumi else Path(str(shutil.which("pulumi")))
    cli_version = _version_of(pulumi, "version")
    if requested is not None and cli_version != f"v{requested}":
        pytest.fail(f"{pulumi} reports {cli_version}, LKSP_PULUMI_VERSION asks for v{requested}")
    assert host is not None
    # With a language host on PATH the engine runs Python policy packs through it, as for users
    # (NewPolicyAnalyzer in pkg/resource/plugin/analyzer_plugin.go falls back to the
    # pulumi-analyzer-policy-<runtime> plugin only when no language plugin is found).
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(
            f"\n[toolchain] pulumi {cli_version} ({pulumi}), Python SDK "
            f"{importlib.metadata.version('pulumi')}, pulumi-policy "
            f"{_installed_version('pulumi-policy')}, Python {sys.version.split()[0]}; Python "
            f"policy packs and project folders run through the language host {host} "
            f"({_version_of(host, '-version')}; pulumi-analyzer-policy-python is only the "
            "engine's fallback when no language host is found)",
            flush=True,
        )
    return bin_dir


def _installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@pytest.fixture(scope="session")
def pulumi_toolchain(toolchain: Path) -> Path:
    """The folder of the pulumi CLI under test, its language host and its shims (the pinned
    release's is ``toolchain``; LKSP_PULUMI_VERSION names another)."""
    return pulumi_bin()


@contextlib.contextmanager
def _services(
    tmp_path_factory: pytest.TempPathFactory, version: str | None = None
) -> Iterator[LiveKitServer]:
    """Redis + livekit-server ``version`` (default: LIVEKIT_SERVER_VERSION, else the newest)
    started with scripts/services.sh in a run directory of its own, on free loopback ports;
    stopped by PID at the end, whatever happened."""
    run_dir = tmp_path_factory.mktemp("services")
    env = {
        **os.environ,
        "LKSP_RUN": str(run_dir),
        "LKSP_REDIS_PORT": str(_free_port()),
        "LKSP_LIVEKIT_PORT": str(_free_port()),
        # Stopped with this session even when it is killed with SIGKILL (no finally runs then).
        "LKSP_OWNER_PID": str(os.getpid()),
    }
    if version is not None:
        # A named release must be the built one, not whatever livekit-server is on PATH.
        env.update(LIVEKIT_SERVER_VERSION=version, LKSP_REQUIRE_BUILT_LIVEKIT="1")
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
            version=values.get("LKSP_LIVEKIT_VERSION", ""),
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, capture_output=True, text=True)


@pytest.fixture(scope="session")
def livekit(toolchain: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveKitServer]:
    """A livekit-server in dev mode with Redis, on free loopback ports, for the whole session:
    the release LIVEKIT_SERVER_VERSION names, by default the newest supported."""
    with _services(tmp_path_factory) as server:
        yield server


#: Every supported livekit-server release, newest first (scripts/toolchain-env.sh).
LIVEKIT_RELEASES = livekit_releases()


@pytest.fixture(scope="session")
def livekit_release(
    livekit: LiveKitServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], LiveKitServer]]:
    """``livekit_release(version)``: a server of that release. The session's own server when
    it runs that release; otherwise one started on first use and kept for the session (the
    differentials run against every supported release)."""
    started = {livekit.version: livekit}
    with contextlib.ExitStack() as stack:

        def get(version: str) -> LiveKitServer:
            if version not in started:
                started[version] = stack.enter_context(_services(tmp_path_factory, version))
            return started[version]

        yield get


@pytest.fixture(scope="module", params=LIVEKIT_RELEASES)
def release_server(
    request: pytest.FixtureRequest, livekit_release: Callable[[str], LiveKitServer]
) -> LiveKitServer:
    """A livekit-server of each supported release in turn: a test using it runs once per
    release (the differentials)."""
    running = livekit_release(request.param)
    assert running.version == request.param, (running.version, request.param)
    return running


@pytest.fixture
def clean_release_server(release_server: LiveKitServer) -> Iterator[LiveKitServer]:
    """:func:`release_server` with no SIP objects before and after the test."""
    release_server.delete_everything()
    yield release_server
    release_server.delete_everything()


@pytest.fixture
def clean_livekit(livekit: LiveKitServer) -> Iterator[LiveKitServer]:
    """The server with no SIP objects before and after the test."""
    livekit.delete_everything()
    yield livekit
    livekit.delete_everything()
