"""docs/rules.md is generated from the rule metadata (a test fails when it is stale); the
skeleton of docs/adding-a-rule.md is a working rule."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from livekit_sip_policies import rule as rule_module
from livekit_sip_policies.rule import UNKNOWN, Finding, Registry, ResourceRule

from .helpers import INBOUND, changed

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_rules_doc", ROOT / "scripts" / "gen_rules_doc.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_doc_is_up_to_date() -> None:
    expected = _generator().render()
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == expected, "docs/rules.md is stale: run python scripts/gen_rules_doc.py"


def test_check_mode_reports_fresh_doc() -> None:
    assert _generator().main(["--check"]) == 0


def test_adding_a_rule_skeleton_is_a_working_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/adding-a-rule.md's first code block defines a rule: it registers and checks."""
    text = (ROOT / "docs" / "adding-a-rule.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    registry = Registry()
    monkeypatch.setattr(rule_module, "register", registry.register)
    exec(compile(code, "docs/adding-a-rule.md", "exec"), {})
    (added,) = list(registry)
    assert isinstance(added, ResourceRule)
    assert list(added.check(INBOUND, {})) == []
    assert list(added.check(changed(INBOUND, {"name": ""}), {})) == [Finding("is empty", "name")]
    assert list(added.check(changed(INBOUND, {"name": UNKNOWN}), {})) == []
    assert type(added) not in {type(r) for r in rule_module.REGISTRY}
