"""The project files a user runs `pulumi` in: every Pulumi.yaml and the pack's
PulumiPolicy.yaml parse, and their `virtualenv` option resolves to this repository's virtualenv
from the folder Pulumi resolves it from.

Pulumi resolves a project's `virtualenv` from the project folder for the program, but starts
the dynamic providers in the folder named by `main`, and their shim resolves it from there; so
no project may point `main` elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.cli.pulumi_cli import ROOT

ALL_PROJECTS = [*sorted(p.parent for p in ROOT.glob("examples/**/Pulumi.yaml")), ROOT]


def _runtime(folder: Path) -> str:
    runtime = yaml.safe_load((folder / "Pulumi.yaml").read_text())["runtime"]
    return str(runtime if isinstance(runtime, str) else runtime["name"])


PROJECTS = [p for p in ALL_PROJECTS if _runtime(p) == "python"]
#: Programs in other languages, through the provider plugin (provider/).
PLUGIN_PROJECTS = [p for p in ALL_PROJECTS if _runtime(p) != "python"]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) or "."


@pytest.mark.parametrize("folder", PROJECTS, ids=rel)
def test_project_runs_with_the_repository_virtualenv(folder: Path):
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    options = project["runtime"]["options"]
    assert (folder / options["virtualenv"]).resolve() == (ROOT / ".venv").resolve()
    assert "main" not in project, "the dynamic providers would resolve virtualenv from `main`"
    assert (folder / "__main__.py").exists()
    assert (folder / "README.md").exists() or folder == ROOT


@pytest.mark.parametrize("folder", PLUGIN_PROJECTS, ids=rel)
def test_program_in_another_language_names_the_plugin_of_this_checkout(folder: Path):
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    plugin = (folder / project["packages"]["livekit-sip"]).resolve()
    assert plugin == (ROOT / "provider").resolve()
    shim = plugin / "pulumi-resource-livekit-sip"
    assert shim.is_file() and shim.stat().st_mode & 0o111, f"{shim} must be executable"
    assert (folder / "README.md").exists()


def test_every_example_folder_is_a_project():
    programs = {p.parent for p in ROOT.glob("examples/**/__main__.py")}
    assert programs <= set(PROJECTS)


def test_policy_pack_names_its_virtualenv():
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
    venv = pack["runtime"]["options"]["virtualenv"]
    assert (ROOT / "policies" / venv).resolve() == (ROOT / ".venv").resolve()
    assert pack["version"]
