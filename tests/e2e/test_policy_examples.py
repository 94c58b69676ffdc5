"""`pulumi preview --policy-pack policies` on example stacks, one per troubleshooting failure.

Each failing example must produce exactly the expected mandatory violation on the expected
resource and fail the preview; the good examples must preview with no violation at all. Nothing
is ever created.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"

# example folder -> the mandatory violations (rule, resource) it must produce. Of two
# conflicting trunks either may be reported: preview registers resources in parallel.
FAILURES: dict[str, set[tuple[str, str]] | list[set[tuple[str, str]]]] = {
    "no-agent-dispatch": {("LKSDR002", "line-dispatch")},
    "telnyx-subdomain": {("LKSOUT002", "telnyx")},
    "india-without-pinning": {("LKSOUT007", "plivo-india")},
    "unknown-trunk-id": {("LKSSTK001", "line-dispatch"), ("LKSSTK005", "line")},
    "conflicting-trunks": [{("LKSSTK002", "support")}, {("LKSSTK002", "sales")}],
    "unrouted-trunk": {("LKSSTK005", "line")},
    "number-format": {("LKSIN001", "line")},
}

# example folder -> every policy event it must produce (rule, resource): advisory findings from
# the field (the troubleshooting guide, LiveKit's sources and issue threads); the preview
# succeeds and reports them.
ADVISORIES: dict[str, set[tuple[str, str]]] = {
    "short-ringing-timeout": {("LKSIN009", "line")},
    "call-duration-in-minutes": {("LKSIN010", "line")},
    "private-allowed-addresses": {("LKSIN011", "line")},
    "tls-on-plain-port": {("LKSOUT010", "provider")},
    "fixed-individual-rooms": {("LKSDR009", "line-dispatch")},
    "agent-dispatched-twice": {("LKSDR010", "line-dispatch")},
    "livekit-attribute-names": {("LKSDR011", "line-dispatch")},
    "unknown-codec": {("LKSSTK017", "line")},
    # G729 is no codec of the bridge (LKSSTK017), so the allow-list keeps none (LKSSTK018).
    "codec-allow-list-without-audio": {("LKSSTK017", "line"), ("LKSSTK018", "line")},
    "short-media-timeout": {("LKSSTK019", "line-dispatch")},
    # Its trunk admits only a zoned link-local address: LKSIN008 says so of the trunk, the
    # ordinary caller reaches nobody (LKSSTK014), and the rule takes no call (LKSSTK013).
    "trunk-takes-no-call": {
        ("LKSIN008", "line"),
        ("LKSSTK013", "line-dispatch"),
        ("LKSSTK014", "line"),
    },
}

GOOD = ["quickstart", "telnyx-agent", "twilio", "adopt-existing"]


def project_name(folder: Path) -> str:
    for line in (folder / "Pulumi.yaml").read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{folder}/Pulumi.yaml has no name")


def preview(
    tmp_path: Path, livekit, folder: Path, policy_config: Path | None = None, **config: str
):
    name = project_name(folder) if (folder / "Pulumi.yaml").exists() else "livekit-sip-demo"
    stack = LocalStack(
        name,
        program_from_dir(folder),
        tmp_path / "state",
        config={**livekit.config(), "livekit:sipSubdomain": "abc123xyz", **config},
        secret_config=livekit.secret_config(),
    )
    return stack.preview(policy_packs=[POLICY_PACK], policy_config=policy_config)


def test_every_failure_example_is_listed():
    folders = {p.name for p in (EXAMPLES / "failures").iterdir() if p.is_dir()}
    assert folders == set(FAILURES) | set(ADVISORIES)
    assert not set(FAILURES) & set(ADVISORIES)


@pytest.mark.parametrize("example", sorted(FAILURES))
def test_failure_example_is_stopped_at_preview(tmp_path, clean_livekit, example):
    result = preview(tmp_path, clean_livekit, EXAMPLES / "failures" / example)
    mandatory = {
        (e.policy, e.resource_name) for e in result.policy_events if e.enforcement == "mandatory"
    }
    expected = FAILURES[example]
    assert mandatory in (expected if isinstance(expected, list) else [expected]), [
        (e.policy, e.resource_name, e.enforcement, e.message) for e in result.policy_events
    ]
    assert not result.ok
    for event in result.policy_events:
        assert "Fix: " in event.message and "https://docs.livekit.io/" in event.message
    assert clean_livekit.inbound_trunks() == []
    assert clean_livekit.outbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []


@pytest.mark.parametrize("example", sorted(ADVISORIES))
def test_advisory_example_is_reported_at_preview(tmp_path, clean_livekit, example):
    result = preview(tmp_path, clean_livekit, EXAMPLES / "failures" / example)
    assert result.ok, result.error
    events = {(e.policy, e.resource_name, e.enforcement) for e in result.policy_events}
    assert events == {(rule, name, "advisory") for rule, name in ADVISORIES[example]}, [
        (e.policy, e.resource_name, e.enforcement, e.message) for e in result.policy_events
    ]
    for event in result.policy_events:
        assert "Fix: " in event.message and "\nSee https://" in event.message
    assert clean_livekit.inbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []


def adopted_objects(livekit) -> dict[str, str]:
    """A trunk and a rule made by hand, as the adopt-existing example's config names them."""
    trunk_id, rule_id = livekit.make_by_hand("by hand", "+15105550100", "c-")
    return {"inboundTrunkId": trunk_id, "dispatchRuleId": rule_id}


@pytest.mark.parametrize("example", GOOD)
def test_good_example_has_no_violation(tmp_path, clean_livekit, example):
    folder = EXAMPLES / example
    own_config = folder / "policy-config.json"
    # Preview reads the objects an adoption names: adopt-existing needs real ones.
    adopted = adopted_objects(clean_livekit) if example == "adopt-existing" else {}
    result = preview(
        tmp_path, clean_livekit, folder, own_config if own_config.exists() else None, **adopted
    )
    assert result.ok, result.error
    assert [(e.policy, e.resource_name, e.message) for e in result.policy_events] == []


def test_policy_config_turns_mandatory_into_advisory(tmp_path, clean_livekit):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"all": "advisory"}))
    result = preview(tmp_path, clean_livekit, EXAMPLES / "failures" / "no-agent-dispatch", config)
    assert result.ok, result.error
    assert {(e.policy, e.resource_name, e.enforcement) for e in result.policy_events} == {
        ("LKSDR002", "line-dispatch", "advisory")
    }


def test_agent_names_knob_catches_a_mismatched_agent(tmp_path, clean_livekit):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"LKSDR002": {"agentNames": ["billing-agent"]}}))
    result = preview(tmp_path, clean_livekit, EXAMPLES / "quickstart", config)
    assert not result.ok
    [event] = result.policy_events
    assert (event.policy, event.resource_name, event.enforcement) == (
        "LKSDR002",
        "support-dispatch",
        "mandatory",
    )
    assert "support-agent" in event.message and "billing-agent" in event.message


def test_exempting_a_phone_line_exempts_the_resources_it_creates(tmp_path, clean_livekit):
    # The quickstart's AgentPhoneLine 'support' creates 'support-dispatch': the engine gives
    # the pack its parent's URN, and the component's name is enough to exempt it.
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps({"LKSDR002": {"agentNames": ["billing-agent"], "exemptResources": ["support"]}})
    )
    result = preview(tmp_path, clean_livekit, EXAMPLES / "quickstart", config)
    assert result.ok, result.error
    assert [(e.policy, e.resource_name) for e in result.policy_events] == []


@pytest.mark.parametrize("config", ["autofix", "production", "strict"])
def test_shipped_policy_configs_pass_the_quickstart(tmp_path, clean_livekit, config):
    path = EXAMPLES / "policy-config" / f"{config}.json"
    result = preview(tmp_path, clean_livekit, EXAMPLES / "quickstart", path)
    assert result.ok, result.error
    assert [(e.policy, e.enforcement) for e in result.policy_events] == []


def test_stack_rules_judge_the_whole_stack_after_registration(tmp_path, clean_livekit):
    """What the README says about stack rules: `preview` stops before anything exists, while an
    update that skips the preview (the Automation API's `up`, `pulumi up --skip-preview`) has
    created the resources by the time the stack rules run, and then fails."""
    folder = EXAMPLES / "failures" / "unrouted-trunk"
    assert not preview(tmp_path / "p", clean_livekit, folder).ok
    assert clean_livekit.inbound_trunks() == []
    stack = LocalStack(
        project_name(folder),
        program_from_dir(folder),
        tmp_path / "u" / "state",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    up = stack.up(policy_packs=[POLICY_PACK])
    assert not up.ok
    assert [(e.policy, e.enforcement) for e in up.policy_events] == [("LKSSTK005", "mandatory")]
    assert len(clean_livekit.inbound_trunks()) == 1
    assert stack.destroy().ok
