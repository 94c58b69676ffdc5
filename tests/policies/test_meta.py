"""Every rule is complete: metadata, docs row, test cases, robustness against odd values."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import livekit_sip_policies
import pytest
from livekit_sip_policies import (
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    REGISTRY,
    UNKNOWN,
    Enforcement,
    Finding,
    ResourceRule,
    Rule,
    StackRule,
)
from livekit_sip_policies.catalogue import RULE_MODULES
from livekit_sip_policies.rule import BANDS, RESOURCE_TYPES, Registry, register

from . import test_dispatch, test_inbound, test_outbound, test_stack
from .helpers import BASELINES, SECRET, Case, changed, dispatch, inbound, outbound, run

ROOT = Path(__file__).resolve().parents[2]
RULES = list(REGISTRY)
ALL_CASES: list[Case] = [
    *test_inbound.CASES,
    *test_outbound.CASES,
    *test_dispatch.CASES,
    *test_stack.CASES,
]
BAND_TYPES = {"LKSIN": INBOUND_TRUNK, "LKSOUT": OUTBOUND_TRUNK, "LKSDR": DISPATCH_RULE}
MODULE_BANDS = {
    "livekit_sip_policies.inbound": "LKSIN",
    "livekit_sip_policies.outbound": "LKSOUT",
    "livekit_sip_policies.dispatch": "LKSDR",
    "livekit_sip_policies.numbers": "LKSSTK",
    "livekit_sip_policies.media": "LKSSTK",
    "livekit_sip_policies.stack": "LKSSTK",
    "livekit_sip_policies.stack_conflicts": "LKSSTK",
    "livekit_sip_policies.stack_routing": "LKSSTK",
    "livekit_sip_policies.reachability": "LKSSTK",
}


def ids(rule: Rule) -> str:
    return rule.id


def test_ids_unique_and_well_formed() -> None:
    all_ids = [r.id for r in RULES]
    assert len(all_ids) == len(set(all_ids))
    for rule_id in all_ids:
        assert re.fullmatch(r"LKS(IN|OUT|DR|STK)\d{3}", rule_id)


def test_ids_are_dense_per_band() -> None:
    # IDs are never reused: a retired rule keeps its number (add it here when one retires).
    retired: set[str] = set()
    by_band: dict[str, list[int]] = {}
    for rule in RULES:
        band, number = re.fullmatch(r"(LKS[A-Z]+)(\d{3})", rule.id).groups()  # type: ignore[union-attr]
        by_band.setdefault(band, []).append(int(number))
    for band, numbers in by_band.items():
        expected = [n for n in range(1, max(numbers) + 1) if f"{band}{n:03d}" not in retired]
        assert sorted(numbers) == expected, band


def test_registry_refuses_duplicates_and_bad_ids() -> None:
    registry = Registry()
    registry.register(type(RULES[0]))
    with pytest.raises(ValueError, match="duplicate"):
        registry.register(type(RULES[0]))

    class Bad(ResourceRule):
        id = "LKS1"

    with pytest.raises(ValueError, match="must look like"):
        registry.register(Bad)


def test_every_rule_class_is_registered() -> None:
    # A rule class without @register would never run; a rule module catalogue.py does not
    # import would never be loaded by the pack.
    for info in pkgutil.iter_modules(livekit_sip_policies.__path__):
        module = importlib.import_module(f"livekit_sip_policies.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and "id" in vars(value)
            ):
                rule_id = vars(value)["id"]
                registered = {r.id: r for r in REGISTRY}.get(rule_id)
                assert type(registered) is value, f"{value.__name__} ({rule_id}): no @register"
    assert {type(r).__module__ for r in REGISTRY} == {m.__name__ for m in RULE_MODULES}


def test_rules_are_listed_by_band_then_number_whatever_the_import_order() -> None:
    def key(rule: Rule) -> tuple[int, int]:
        return BANDS.index(rule.id.rstrip("0123456789")), int(rule.id[-3:])

    assert sorted(RULES, key=key) == RULES
    registry = Registry()
    for rule in reversed(RULES):
        registry.register(type(rule))
    assert [r.id for r in registry] == [r.id for r in RULES]


def test_register_is_a_class_decorator() -> None:
    registry = Registry()

    @registry.register
    class Probe(StackRule):
        id = "LKSSTK999"

    assert Probe.__name__ == "Probe" and type(registry.get("LKSSTK999")) is Probe
    # The module-level decorator adds to the pack's registry: a rule already there is refused.
    with pytest.raises(ValueError, match="duplicate rule ID LKSIN001"):
        register(type(REGISTRY.get("LKSIN001")))


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_metadata_complete(rule: Rule) -> None:
    assert rule.title and not rule.title.endswith(".")
    assert len(rule.description) > 40
    assert len(rule.remediation) > 20
    assert rule.url.startswith(("https://docs.livekit.io/", "https://github.com/"))
    assert rule.severity and rule.enforcement
    band = re.match(r"LKS[A-Z]+", rule.id).group(0)  # type: ignore[union-attr]
    assert MODULE_BANDS[type(rule).__module__] == band
    if isinstance(rule, ResourceRule):
        assert rule.resource_types == (BAND_TYPES[band],)
    else:
        assert isinstance(rule, StackRule) and band == "LKSSTK"
    for knob, spec in (rule.config_schema or {}).items():
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", knob), knob
        assert "type" in spec and "description" in spec and "default" in spec


def test_titles_unique() -> None:
    titles = [r.title for r in RULES]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_documented(rule: Rule) -> None:
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"| [{rule.id}](#{rule.id.lower()}) | {rule.title} |" in doc
    assert f"\n## {rule.id}\n" in doc


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_has_failing_and_passing_cases(rule: Rule) -> None:
    cases = [c for c in ALL_CASES if c.rule_id == rule.id]
    assert any(c.failing for c in cases), f"{rule.id} has no failing case"
    assert any(not c.failing for c in cases), f"{rule.id} has no passing case"


def test_case_names_are_unique_and_say_intent() -> None:
    names = [str(c) for c in ALL_CASES]
    assert len(names) == len(set(names))
    assert all(c.name.startswith("fail_" if c.failing else "pass_") for c in ALL_CASES)


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.failing], ids=str)
def test_messages_name_problem_without_secrets(case: Case) -> None:
    rule = REGISTRY.get(case.rule_id)
    for finding in run(case):
        text = rule.format(finding)
        assert SECRET not in text
        assert rule.url in text and rule.remediation in text


def test_password_is_never_echoed() -> None:
    # Every password-related failure, with a recognisable password in the props.
    for rule_id, field in [("LKSOUT004", "auth_username"), ("LKSIN005", "auth_username")]:
        base = BASELINES[BAND_TYPES[re.match(r"LKS[A-Z]+", rule_id).group(0)]]  # type: ignore[union-attr]
        props = changed(base, {field: "", "auth_password": SECRET})
        findings = list(REGISTRY.get(rule_id).check(props, {}))
        assert findings and all(SECRET not in f.message for f in findings)


ODD_VALUES: list[Any] = [UNKNOWN, None, 3.0, 0, "", [], {}, [UNKNOWN], {"x": UNKNOWN}, True]


def _mutations(base: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``base`` with each field, and each nested field, replaced by each odd value."""
    paths: list[str] = []

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                paths.append(prefix + key)
                walk(inner, prefix + key + ".")

    walk(base, "")
    for path in paths:
        for odd in ODD_VALUES:
            yield changed(base, {path: odd})
    yield {k: UNKNOWN for k in base}
    yield {}


@pytest.mark.parametrize("rule", [r for r in RULES if isinstance(r, ResourceRule)], ids=ids)
def test_resource_rules_never_crash(rule: ResourceRule) -> None:
    base = BASELINES[rule.resource_types[0]]
    for props in _mutations(base):
        for finding in rule.check(props, {}):
            assert isinstance(finding, Finding)
        rule.remediate(props, {})


@pytest.mark.parametrize("rule", [r for r in RULES if isinstance(r, ResourceRule)], ids=ids)
def test_unknown_values_never_report(rule: ResourceRule) -> None:
    base = BASELINES[rule.resource_types[0]]
    assert list(rule.check({k: UNKNOWN for k in base}, {})) == []


@pytest.mark.parametrize("rule", [r for r in RULES if isinstance(r, StackRule)], ids=ids)
def test_stack_rules_never_crash(rule: StackRule) -> None:
    for props in _mutations(BASELINES[DISPATCH_RULE]):
        resources = [inbound("in"), outbound("out"), dispatch("calls")]
        resources[2] = type(resources[2])(
            resources[2].urn, "calls", DISPATCH_RULE, props, {"trunk_ids": [resources[0].urn]}
        )
        list(rule.check(resources, {}))
    for props in _mutations(BASELINES[INBOUND_TRUNK]):
        trunk = inbound("in")
        trunk = type(trunk)(trunk.urn, "in", INBOUND_TRUNK, props)
        list(rule.check([trunk, inbound("other"), dispatch("calls")], {}))


def test_defaults_are_conservative() -> None:
    # Opt-in rules stay disabled; nothing remediates unless configured.
    levels = {r.id: r.enforcement for r in RULES}
    assert levels["LKSDR005"] is Enforcement.DISABLED
    assert Enforcement.REMEDIATE not in levels.values()
    assert all(t in RESOURCE_TYPES for t in BAND_TYPES.values())


def _load_example(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


EXAMPLES = sorted((ROOT / "examples" / "policy-config").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_policy_configs_are_valid(path: Path) -> None:
    levels = {e.value for e in Enforcement}
    for key, value in _load_example(path).items():
        if key == "all":
            assert value in levels
            continue
        rule = REGISTRY.get(key)
        if isinstance(value, str):
            assert value in levels
            continue
        allowed = {"enforcementLevel", "exemptResources", *(rule.config_schema or {})}
        assert set(value) <= allowed, f"{key}: unknown knobs {set(value) - allowed}"
        if "enforcementLevel" in value:
            assert value["enforcementLevel"] in levels


def test_examples_exist() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"strict.json", "production.json"} <= names
    assert _load_example(ROOT / "examples/policy-config/strict.json") == {"all": "mandatory"}


def test_remediate_examples_only_name_rules_that_fix() -> None:
    for path in EXAMPLES:
        for key, value in _load_example(path).items():
            if value == "remediate":
                rule = REGISTRY.get(key)
                assert isinstance(rule, ResourceRule)
                assert type(rule).remediate is not ResourceRule.remediate, key
