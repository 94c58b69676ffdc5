"""The distribution as users get it: the built wheel, installed outside the source tree.

The suite otherwise runs against the editable install, which would hide a module or data file
missing from the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build_wheel(out: Path) -> tuple[Path, str]:
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = out.parent / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".pulumi*"
        ),
    )
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        capture_output=True,
        text=True,
        cwd=source,
    )
    log = built.stdout + built.stderr
    assert built.returncode == 0, log
    wheels = list(out.glob("livekit_sip_pulumi-*.whl"))
    assert len(wheels) == 1, log
    return wheels[0], log


def test_wheel_builds_cleanly_and_installs_the_packages(tmp_path: Path) -> None:
    wheel, log = _build_wheel(tmp_path / "dist")
    # No deprecation warnings from our own build configuration (e.g. the license table).
    assert "Deprecat" not in log, log

    names = zipfile.ZipFile(wheel).namelist()
    for package in ("livekit_sip_pulumi", "livekit_sip_policies", "livekit_sip_core"):
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names
    assert not any(name.startswith(("tests/", "examples/", "scripts/")) for name in names)
    # The livekit-sip CLI and its console script.
    assert "livekit_sip_pulumi/cli/__init__.py" in names
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "livekit-sip = livekit_sip_pulumi.cli:main" in scripts
    # The provider plugin (other languages) and its executable.
    assert "livekit_sip_pulumi/plugin/provider.py" in names
    assert "pulumi-resource-livekit-sip = livekit_sip_pulumi.plugin.__main__:main" in scripts

    # Install the wheel (not the tree) into a fresh virtualenv. Its dependencies come from the
    # test environment's site-packages, added by a .pth file; .pth files found there are not
    # processed, so the editable install of the source tree stays invisible.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    probe = r"""
import json, importlib.metadata as md
import livekit_sip_pulumi, livekit_sip_policies, livekit_sip_core
from livekit_sip_pulumi import SipInboundTrunk, AgentPhoneLine
from livekit_sip_policies.pack import build_policies
meta = md.metadata("livekit-sip-pulumi")
print(json.dumps({
    "components": livekit_sip_pulumi.__file__,
    "policies": livekit_sip_policies.__file__,
    "core": livekit_sip_core.__file__,
    "policy_count": len(build_policies()),
    "license": meta.get("License-Expression"),
}))
"""
    ran = subprocess.run(
        [str(python), "-W", "error::DeprecationWarning", "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    facts = json.loads(ran.stdout.strip().splitlines()[-1])
    for key in ("components", "policies", "core"):
        assert Path(facts[key]).is_relative_to(site), facts
        assert not Path(facts[key]).is_relative_to(ROOT), facts
    assert facts["policy_count"] >= 29
    assert facts["license"] == "Apache-2.0"


def test_the_pack_and_the_package_carry_one_version() -> None:
    """`pulumi preview --policy-pack` names the pack as livekit-sip@v<version>: the release the
    wheel carries, and the one the CHANGELOG describes last."""
    import re

    root = Path(__file__).resolve().parent.parent
    found = re.search(r'^version = "([^"]+)"$', (root / "pyproject.toml").read_text(), re.M)
    assert found is not None
    package = found.group(1)
    pack = next(
        line.split(":", 1)[1].strip()
        for line in (root / "policies" / "PulumiPolicy.yaml").read_text().splitlines()
        if line.startswith("version:")
    )
    assert pack == package
    assert f"## {package}" in (root / "CHANGELOG.md").read_text()
