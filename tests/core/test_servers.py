"""The supported livekit-server releases are one list: livekit_sip_core.servers (what the
simulator predicts), scripts/toolchain-env.sh (what the toolchain builds) and the sip-oracle's
module files (what the differential asks with) name the same releases and protocol pins."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from livekit_sip_core import NEWEST_SERVER, OLDEST_SERVER, SERVER_RELEASES, server_release

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tools" / "sip-oracle"


def _toolchain(name: str) -> str:
    out = subprocess.run(
        ["bash", "-c", f'source scripts/toolchain-env.sh && printf %s "${name}"'],
        cwd=ROOT,
        env={"HOME": str(Path.home()), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def test_the_toolchain_builds_the_releases_the_simulator_knows() -> None:
    assert _toolchain("LIVEKIT_SERVER_NEWEST") == NEWEST_SERVER == SERVER_RELEASES[-1].version
    assert _toolchain("LIVEKIT_SERVER_OLDEST") == OLDEST_SERVER == SERVER_RELEASES[0].version
    # Without LIVEKIT_SERVER_VERSION the toolchain, the tests and the demo run the newest.
    assert _toolchain("LIVEKIT_SERVER_VERSION") == NEWEST_SERVER
    assert _toolchain("LKSP_LIVEKIT_DIR").endswith(f"/livekit-server/{NEWEST_SERVER}")


def _modfile(version: str) -> Path:
    per_release = ORACLE / f"livekit-server-{version}.mod"
    return per_release if per_release.exists() else ORACLE / "go.mod"


@pytest.mark.parametrize("release", SERVER_RELEASES, ids=lambda r: r.version)
def test_each_oracle_build_pins_its_releases_protocol(release) -> None:  # type: ignore[no-untyped-def]
    modfile = _modfile(release.version)
    if modfile.name == "go.mod":
        assert release.version == NEWEST_SERVER, f"no module file for {release.version}"
    pinned = re.search(r"github\.com/livekit/protocol (\S+)", modfile.read_text())
    assert pinned and pinned.group(1) == release.protocol, modfile
    assert modfile.with_suffix(".sum").exists()


def test_release_lookup() -> None:
    assert server_release().version == NEWEST_SERVER
    assert server_release("1.13.5").no_rule_result == "DROP"
    assert server_release("v1.13.11").no_rule_result == "REJECT"
    with pytest.raises(ValueError, match="not a supported release"):
        server_release("v1.14.0")
