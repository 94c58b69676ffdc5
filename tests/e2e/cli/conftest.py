"""Fixtures of the CLI suite: one PULUMI_HOME and file backend for the session, and the
virtualenvs a user makes for a project outside this repository."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cli.pulumi_cli import ROOT, CliStack, PulumiCli

# The Python SDK under test (this interpreter's: the repository's virtualenv, pinned to the
# engine it runs with); a user's project pins the SDK that ships with its CLI.
PULUMI_SDK = f"pulumi=={importlib.metadata.version('pulumi')}"


@pytest.fixture(scope="session")
def cli(pulumi_toolchain: Path, tmp_path_factory: pytest.TempPathFactory) -> PulumiCli:
    base = tmp_path_factory.mktemp("cli")
    return PulumiCli(bin_dir=pulumi_toolchain, home=base / "pulumi-home", backend=base / "backend")


def pip(venv: Path, *args: str) -> None:
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def report(request: pytest.FixtureRequest, text: str) -> None:
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[cli] {text}", flush=True)


def make_venv(venv: Path) -> None:
    """`python3 -m venv venv && venv/bin/pip install pulumi==...`: the Python of a Pulumi
    project that knows nothing of livekit-sip-pulumi."""
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip(venv, PULUMI_SDK)


def has_package(venv: Path) -> bool:
    probe = [str(venv / "bin" / "python"), "-c", "import livekit_sip_pulumi"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def install_package(venv: Path) -> None:
    """What the README's Install section says: `pip install /path/to/livekit-sip-pulumi`."""
    pip(venv, str(ROOT))


@pytest.fixture(scope="session")
def plain_venv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project's virtualenv with the Pulumi SDK only (the existing-stack test installs the
    package into it, as the README tells a team; pulumi-policy is never installed)."""
    venv = tmp_path_factory.mktemp("plain-venv") / "venv"
    started = time.monotonic()
    make_venv(venv)
    report(request, f"virtualenv with {PULUMI_SDK}: {time.monotonic() - started:.1f}s")
    return venv


@pytest.fixture(scope="session")
def package_venv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with livekit-sip-pulumi installed from this checkout (a regular, not
    editable, install: what a copied project gets)."""
    venv = tmp_path_factory.mktemp("package-venv") / "venv"
    started = time.monotonic()
    make_venv(venv)
    install_package(venv)
    report(request, f"virtualenv + pip install {ROOT}: {time.monotonic() - started:.1f}s")
    return venv


def configure_livekit(stack: CliStack, livekit) -> None:
    """`pulumi config set livekit:*` as the README says, for the test's server."""
    stack.config("livekit:url", livekit.url)
    stack.config("livekit:apiKey", livekit.api_key)
    stack.config("livekit:apiSecret", livekit.api_secret, secret=True)
