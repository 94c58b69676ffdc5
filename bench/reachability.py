"""What the analysis over every call costs: call classes and LKSSTK013-015 at growing sizes.

    .venv/bin/python bench/reachability.py [SIZE ...]     (default 100 1000 1000+1000)

Pure Python, no server: the stacks are built as the pack sees them at the first preview (every
ID an unknown Output, trunk_ids resolved through the property dependencies). A size N is N/2
inbound trunks and N/2 dispatch rules; "T+R" is T trunks and R rules. Two shapes per size:

  lines   each trunk has its own number and the provider's CIDR; each rule names its trunk and
          dispatches an agent (what AgentPhoneLine makes);
  mixed   the same, plus on every 10th trunk two allowed callers and a second rule with a PIN
          and a VIP caller filter, and one rule without trunk_ids for the whole stack.

Printed per size and shape: call classes, called numbers, CPU seconds (and wall seconds: a
shared machine shows in the gap) to derive and route them, and of each rule's check (each
derives the classes again, as the pack runs each rule on its own). Figures only. `make bench`
runs it as the ``reach`` section of bench/run.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from livekit_sip_policies.catalogue import REGISTRY
from livekit_sip_policies.reachability import stack_call_classes
from livekit_sip_policies.rule import DISPATCH_RULE, INBOUND_TRUNK, UNKNOWN, StackResource

RULES = ("LKSSTK013", "LKSSTK014", "LKSSTK015")
DEFAULT_SIZES = ("100", "1000", "1000+1000")


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:bench::reach::{type_}::{name}"


def _trunk(index: int, mixed: bool) -> StackResource:
    props: dict[str, Any] = {
        "name": f"line-{index}",
        "sip_trunk_id": UNKNOWN,
        "numbers": [f"+1510{index:07d}"],
        "allowed_addresses": ["203.0.113.0/24"],
        "allowed_numbers": [],
        "krisp_enabled": True,
    }
    if mixed and index % 10 == 0:
        props["allowed_numbers"] = [f"+1415{index:07d}", f"+1212{index:07d}"]
    name = f"line-{index}"
    return StackResource(_urn(INBOUND_TRUNK, name), name, INBOUND_TRUNK, props)


def _rule(name: str, trunk: StackResource | None, **extra: Any) -> StackResource:
    props: dict[str, Any] = {
        "name": name,
        "rule": {"dispatch_rule_individual": {"room_prefix": f"{name}-", "pin": ""}},
        "trunk_ids": [UNKNOWN] if trunk is not None else [],
        "inbound_numbers": [],
        "numbers": [],
        "hide_phone_number": True,
        "krisp_enabled": True,
        "room_config": {"agents": [{"agent_name": "support-agent", "metadata": ""}]},
        **extra,
    }
    deps = {"trunk_ids": [trunk.urn]} if trunk is not None else {}
    return StackResource(_urn(DISPATCH_RULE, name), name, DISPATCH_RULE, props, deps)


def stack(trunks: int, rules: int, mixed: bool) -> list[StackResource]:
    """``trunks`` inbound trunks and ``rules`` dispatch rules (rule i names trunk i mod T)."""
    made_trunks = [_trunk(i, mixed) for i in range(trunks)]
    made_rules: list[StackResource] = []
    for i in range(rules):
        trunk = made_trunks[i % trunks]
        if mixed and i == rules - 1:
            made_rules.append(_rule("catch-all", None))
        elif mixed and i % 10 == 5:
            target = made_trunks[(i // 10 * 10) % trunks]
            vip = f"+1415{(i // 10 * 10) % trunks:07d}"
            made_rules.append(
                _rule(
                    f"staff-{i}",
                    target,
                    rule={"dispatch_rule_direct": {"room_name": f"staff-{i}", "pin": "4321"}},
                    inbound_numbers=[vip],
                )
            )
        else:
            made_rules.append(_rule(f"calls-{i}", trunk))
    return [*made_trunks, *made_rules]


def _parse(size: str) -> tuple[int, int]:
    if "+" in size:
        trunks, rules = size.split("+", 1)
        return int(trunks), int(rules)
    return max(1, int(size) // 2), max(1, int(size) - int(size) // 2)


def measure(size: str) -> list[str]:
    trunks, rules = _parse(size)
    lines = []
    for shape in ("lines", "mixed"):
        resources = stack(trunks, rules, shape == "mixed")
        started, cpu = time.perf_counter(), time.process_time()
        analysis = stack_call_classes(resources)
        derive, derive_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert analysis is not None
        _, classes = analysis
        timings = []
        found = 0
        for rule_id in RULES:
            started, cpu = time.perf_counter(), time.process_time()
            found += len(list(REGISTRY.get(rule_id).check(resources, {})))
            wall = time.perf_counter() - started
            timings.append(f"{rule_id} {time.process_time() - cpu:.2f} ({wall:.2f})")
        lines.append(
            f"{size:>10} ({trunks} trunks + {rules} rules) {shape:<5}: {len(classes):>6} call "
            f"classes over {classes.called_numbers} called numbers"
            f"{'' if classes.complete else ' (cut at the bound)'}, derived and routed in "
            f"{derive_cpu:.2f} s CPU ({derive:.2f} wall); checks, s CPU (wall): "
            f"{', '.join(timings)}; {found} findings"
        )
    return lines


def section_reach(sizes: list[str] | None = None) -> list[str]:
    lines: list[str] = []
    for size in sizes or list(DEFAULT_SIZES):
        for line in measure(size):
            print(line, flush=True)
            lines.append(line)
    return lines


if __name__ == "__main__":
    section_reach(sys.argv[1:] or None)
