"""`livekit-sip doctor`, `route` and `map` against a real livekit-server holding a broken
project made with livekit-api directly (tests/e2e/cli/broken_project.py): the exact findings
per object, the exit codes, the JSON schema, and that nothing is written to LiveKit."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.counting_proxy import CountingProxy
from tests.e2e.cli.broken_project import PASSWORD, seed
from tests.e2e.cli.livekit_sip_cli import SCRIPT, credentials, run

pytestmark = pytest.mark.e2e

# Rule IDs per object (by the object's name). The two objects of a conflicting pair share one
# finding, reported on whichever of them the server lists second.
EXPECTED = {
    "local-format-line": ["LKSIN001"],
    "telnyx-subdomain": ["LKSOUT002", "LKSSTK007"],
    "india-unpinned": ["LKSOUT007"],
    "no-agent-dispatch": ["LKSDR002"],
    "unknown-trunk-dispatch": ["LKSSTK001"],
}
CONFLICTING_TRUNKS = ("sales-line", "support-line")  # LKSSTK002
CONFLICTING_RULES = ("shared-dispatch-a", "shared-dispatch-b")  # LKSSTK004
HEALTHY = (
    "healthy-line",
    "healthy-dispatch",
    "no-agent-line",
    "local-format-dispatch",
    "sales-support-dispatch",
    "shared-line",
)

FINDING_KEYS = {"rule", "title", "severity", "enforcement", "field", "message", "fix", "url"}


@pytest.fixture(scope="module")
def broken(livekit) -> Iterator[dict[str, str]]:
    """The broken project, for this module: IDs by name."""
    livekit.delete_everything()
    ids = seed(livekit.url, livekit.api_key, livekit.api_secret)
    yield ids
    livekit.delete_everything()


def by_name(document: dict, ids: dict[str, str]) -> dict[str, list[str]]:
    names = {v: k for k, v in ids.items()}
    return {names[o["id"]]: [f["rule"] for f in o["findings"]] for o in document["objects"]}


def listing(livekit) -> list[bytes]:
    """Every SIP object of the server, serialized: compared before and after."""
    objects = livekit.inbound_trunks() + livekit.outbound_trunks() + livekit.dispatch_rules()
    return sorted(o.SerializeToString(deterministic=True) for o in objects)


def test_doctor_reports_each_failure_on_its_object(livekit, broken):
    result = run("doctor", "--json", env=credentials(livekit))
    assert result.returncode == 1, result
    document = json.loads(result.stdout)  # the JSON alone on stdout
    found = by_name(document, broken)
    conflicts = {n: found.pop(n) for n in CONFLICTING_TRUNKS + CONFLICTING_RULES if n in found}
    assert found == EXPECTED, result
    assert sorted(conflicts.values()) == [["LKSSTK002"], ["LKSSTK004"]], result
    assert sum(n in conflicts for n in CONFLICTING_TRUNKS) == 1
    assert sum(n in conflicts for n in CONFLICTING_RULES) == 1
    assert document["project_findings"] == []
    assert not set(HEALTHY) & set(by_name(document, broken))

    # The schema (docs/cli.md).
    assert document["schema"] == "livekit-sip-doctor/v1"
    assert set(document) == {
        "schema",
        "url",
        "counts",
        "objects",
        "project_findings",
        "errors",
        "summary",
        "timings",
    }
    assert document["errors"] == []  # every rule checked every object
    assert document["url"] == livekit.url
    assert document["counts"] == {"inbound_trunks": 6, "outbound_trunks": 2, "dispatch_rules": 7}
    for obj in document["objects"]:
        assert set(obj) == {"id", "kind", "name", "findings"}
        assert obj["kind"] in ("inbound_trunk", "outbound_trunk", "dispatch_rule")
        for finding in obj["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["url"].startswith("https://")
            assert finding["enforcement"] in ("advisory", "mandatory")
    summary = document["summary"]
    assert summary == {
        "findings": 8,
        "mandatory": 7,
        "remediate": 0,
        "advisory": 1,
        "objects_with_findings": 7,
        "rules_run": summary["rules_run"],
        "exit_code": 1,
    }
    assert summary["rules_run"] >= 29
    assert set(document["timings"]) == {"list_seconds", "list_calls", "analysis_seconds"}
    assert document["timings"]["list_calls"] == 3  # one list call per kind
    [unknown] = [o for o in document["objects"] if o["id"] == broken["unknown-trunk-dispatch"]]
    assert unknown["findings"][0]["field"] == "trunk_ids[0]"
    assert "ST_copiedFromStaging" in unknown["findings"][0]["message"]
    assert PASSWORD not in result.stdout + result.stderr
    assert livekit.api_secret not in result.stdout + result.stderr
    assert "listed 7 dispatch rules" in result.stderr  # progress goes to stderr


def test_doctor_prints_findings_grouped_by_object(livekit, broken):
    result = run("doctor", env=credentials(livekit))
    assert result.returncode == 1, result
    out = result.stdout
    assert "6 inbound trunks, 2 outbound trunks, 7 dispatch rules" in out
    label = f"dispatch rule {broken['no-agent-dispatch']} 'no-agent-dispatch'"
    block = out[out.index(label) :].split("\n\n")[0]
    assert "LKSDR002 [mandatory, high] room_config.agents:" in block, out
    assert "Fix: Set room_config=" in block and "See: https://docs.livekit.io/" in block
    assert f"outbound trunk {broken['telnyx-subdomain']} 'telnyx-subdomain'" in out
    assert "LKSSTK007 [advisory, medium]" in out
    assert f"'{broken['healthy-line']}'" not in out and "healthy-dispatch" not in out
    assert "7 finding(s) at mandatory level, 1 advisory, on 7 object(s) of 15" in out
    assert PASSWORD not in out + result.stderr


def test_doctor_is_read_only(livekit, broken):
    """Every request doctor sends goes through a counting proxy on loopback (forwarding each
    unchanged to the real server): list calls only, one per kind; the server's objects are
    byte-for-byte the same afterwards."""
    before = listing(livekit)
    proxy = CountingProxy(livekit.url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        env = {**credentials(livekit), "LIVEKIT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
        result = run("doctor", "--json", env=env)
        counts = proxy.snapshot()
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(10)
    assert result.returncode == 1, result
    assert {method: int(c["calls"]) for method, c in counts.items()} == {
        "ListSIPInboundTrunk": 1,
        "ListSIPOutboundTrunk": 1,
        "ListSIPDispatchRule": 1,
    }
    assert listing(livekit) == before


def test_doctor_config_levels_knobs_and_exemptions(livekit, broken, tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps(
            {
                "LKSDR002": {"exemptResources": ["no-agent-dispatch"]},
                "LKSSTK001": {"externalTrunkIds": ["ST_copiedFromStaging"]},
                "LKSSTK002": "advisory",
                "LKSSTK004": {"enforcementLevel": "disabled"},
                "LKSIN001": "advisory",
                "LKSOUT002": "advisory",
                "LKSOUT007": {"exemptResources": [broken["india-unpinned"]]},
                "LKSSTK007": {"telnyxReferEnabled": True},
                # Routing expectations over the live project (the simulator): the healthy
                # line meets its own; the no-agent line is expected to reach an agent.
                "LKSSTK011": {
                    "enforcementLevel": "advisory",
                    "calls": [
                        {
                            "from": "+14155550001",
                            "to": "+15105550100",
                            "expect": {"agent": "support-agent"},
                        },
                        {
                            "from": "+14155550001",
                            "to": "+15105550101",
                            "expect": {"agent": "support-agent"},
                        },
                    ],
                },
            }
        )
    )
    result = run("doctor", "--json", "--config", str(config), env=credentials(livekit))
    assert result.returncode == 0, result  # advisory findings only
    document = json.loads(result.stdout)
    found = by_name(document, broken)
    conflict = [n for n in CONFLICTING_TRUNKS if n in found]
    assert conflict and found.pop(conflict[0]) == ["LKSSTK002"]
    assert found == {
        "local-format-line": ["LKSIN001"],
        "telnyx-subdomain": ["LKSOUT002"],
        "no-agent-dispatch": ["LKSSTK011"],
    }
    [expectation] = [
        f for o in document["objects"] for f in o["findings"] if f["rule"] == "LKSSTK011"
    ]
    assert expectation["field"] == "calls[1]", expectation
    assert "no agent" in expectation["message"], expectation
    levels = {f["enforcement"] for o in document["objects"] for f in o["findings"]}
    assert levels == {"advisory"}

    strict = tmp_path / "strict.json"
    strict.write_text('{"all": "mandatory"}')
    result = run("doctor", "--json", "--config", str(strict), env=credentials(livekit))
    assert result.returncode == 1, result
    document = json.loads(result.stdout)
    [telnyx] = [o for o in document["objects"] if o["name"] == "telnyx-subdomain"]
    assert {f["rule"]: f["enforcement"] for f in telnyx["findings"]} == {
        "LKSOUT002": "mandatory",
        "LKSSTK007": "mandatory",
    }


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ('{"LKSXX999": "advisory"}', "'LKSXX999' is not a rule of the pack"),
        ('{"LKSDR002": "loud"}', 'LKSDR002 is "loud", not an enforcement level'),
        ('{"LKSDR002": {"agentName": ["a"]}}', "LKSDR002.agentName is not a setting of LKSDR002"),
        ('{"LKSDR002": {"agentNames": "a"}}', "LKSDR002.agentNames must be a JSON array"),
        ("{not json", "not JSON (line 1"),
    ],
)
def test_doctor_bad_config_cannot_run(livekit, tmp_path, config, names):
    path = tmp_path / "config.json"
    path.write_text(config)
    result = run("doctor", "--config", str(path), env=credentials(livekit))
    assert result.returncode == 2, result
    assert names in result.stderr, result
    assert result.stdout == ""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_doctor_cannot_run_without_working_credentials(livekit):
    missing = run("doctor", env={"LIVEKIT_URL": livekit.url})
    assert missing.returncode == 2, missing
    assert "LIVEKIT_API_KEY (or --api-key)" in missing.stderr
    assert "LIVEKIT_API_SECRET (or --api-secret)" in missing.stderr

    wrong = "not-the-secret-of-this-server-0123456789"
    rejected = run("doctor", "--json", env={**credentials(livekit), "LIVEKIT_API_SECRET": wrong})
    assert rejected.returncode == 2, rejected
    assert "LIVEKIT_API_KEY and LIVEKIT_API_SECRET" in rejected.stderr, rejected
    assert json.loads(rejected.stdout)["exit_code"] == 2  # --json: an error document
    assert wrong not in rejected.stdout + rejected.stderr
    assert "Traceback" not in rejected.stderr

    options = run(
        "doctor",
        "--url",
        f"http://127.0.0.1:{_closed_port()}",
        "--api-key",
        livekit.api_key,
        "--api-secret",
        livekit.api_secret,
    )
    assert options.returncode == 2, options
    assert "cannot reach LiveKit" in options.stderr and "LIVEKIT_URL (or --url)" in options.stderr
    assert livekit.api_secret not in options.stdout + options.stderr

    bad_url = run("doctor", env={**credentials(livekit), "LIVEKIT_URL": "127.0.0.1:7880"})
    assert bad_url.returncode == 2, bad_url
    assert "LIVEKIT_URL (or --url)" in bad_url.stderr


def test_route_explains_an_accepted_call(livekit, broken):
    result = run(
        "route",
        "--to",
        "+15105550100",
        "--from",
        "+14155550001",
        "--json",
        env=credentials(livekit),
    )
    assert result.returncode == 0, result
    document = json.loads(result.stdout)
    assert document["result"] == "accept"
    assert document["trunk_id"] == broken["healthy-line"]
    assert document["rule_id"] == broken["healthy-dispatch"]
    assert document["agents"] == ["support-agent"]
    assert document["rule_candidates"] == [
        {
            "rule_id": broken["healthy-dispatch"],
            "name": "healthy-dispatch",
            "priority": document["rule_candidates"][0]["priority"],
            "scope": "specific",
            "skipped": None,
        }
    ]
    assert "ACCEPT: a new room 'call-_0001_{random}'" in document["explanation"]

    text = run("route", "--to", "+15105550100", "--from", "+14155550001", env=credentials(livekit))
    assert text.returncode == 0, text
    assert "1. inbound trunks" in text.stdout and "2. dispatch rules" in text.stdout
    assert "selected" in text.stdout and "agents ['support-agent']" in text.stdout


def test_route_explains_failing_calls(livekit, broken):
    conflict = run(
        "route",
        "--to",
        "+15105550105",
        "--from",
        "+14155550001",
        "--json",
        env=credentials(livekit),
    )
    assert conflict.returncode == 1, conflict
    document = json.loads(conflict.stdout)
    assert document["result"] == "error"
    assert document["trunk_id"] == broken["shared-line"]
    assert "Dispatch rule for the same trunk" in document["error"]

    nowhere = run(
        "route", "--to", "+15105559999", "--from", "+14155550001", env=credentials(livekit)
    )
    assert nowhere.returncode == 1, nowhere
    assert "no inbound trunk" in nowhere.stdout, nowhere

    no_agent = run(
        "route", "--to", "+15105550101", "--from", "+14155550001", env=credentials(livekit)
    )
    assert no_agent.returncode == 0, no_agent
    assert "no agent dispatched" in no_agent.stdout


@pytest.mark.parametrize(
    ("args", "result", "server"),
    [([], "reject", "v1.13.11"), (["--server", "v1.13.5"], "drop", "v1.13.5")],
)
def test_route_names_the_release_it_simulates(livekit, broken, args, result, server):
    # The no-agent line's trunk, with a PIN no rule has: no dispatch rule takes the call.
    nowhere = run(
        "route", "--to", "+15105550101", "--from", "+14155550001", "--pin", "9999", "--json",
        *args, env=credentials(livekit),
    )
    assert nowhere.returncode == 1, nowhere
    document = json.loads(nowhere.stdout)
    assert (document["result"], document["server"]) == (result, server)
    assert f"{result.upper()}: no dispatch rule takes the call" in document["explanation"]


def test_route_refuses_an_unknown_release(livekit, broken):
    unknown = run(
        "route", "--to", "+15105559999", "--from", "+14155550001", "--server", "v1.12.0",
        env=credentials(livekit),
    )
    assert unknown.returncode == 2, unknown
    words = " ".join(unknown.stderr.replace("│", " ").split())
    assert "'v1.12.0' is not a supported release (supported: v1.13.5, v1.13.11)" in words


def test_map_draws_the_live_project(livekit, broken, tmp_path):
    mermaid = run("map", env=credentials(livekit))
    assert mermaid.returncode == 0, mermaid
    assert mermaid.stdout.startswith("flowchart LR")
    for name in ("healthy-line", "no-agent-dispatch", "shared-dispatch-b", "sales-line"):
        assert name in mermaid.stdout
    assert "no agent" in mermaid.stdout  # the no-agent rule's room
    assert "telnyx" not in mermaid.stdout  # outbound trunks take no part in routing

    dot = run("map", "-o", str(tmp_path / "map.dot"), env=credentials(livekit))
    assert dot.returncode == 0, dot
    assert (tmp_path / "map.dot").read_text().startswith("digraph")

    svg = run("map", "--format", "svg", "-o", str(tmp_path / "map.svg"), env=credentials(livekit))
    assert svg.returncode == 0, svg
    assert "<svg" in (tmp_path / "map.svg").read_text()
    assert "healthy&#45;line" in (tmp_path / "map.svg").read_text()  # Graphviz escapes '-'

    no_file = run("map", "--format", "png", env=credentials(livekit))
    assert no_file.returncode == 2, no_file
    assert "-o/--output" in no_file.stderr


def test_help_everywhere():
    assert SCRIPT.exists(), f"{SCRIPT}: the package's console script is not installed"
    secret = "help-must-not-show-this-secret-0123456789"
    for command in ([], ["doctor"], ["route"], ["map"], ["export"]):
        result = run(*command, "--help", env={"LIVEKIT_API_SECRET": secret})
        assert result.returncode == 0, result
        assert "Usage:" in result.stdout
        assert secret not in result.stdout + result.stderr
    doctor = run("doctor", "--help")
    for option in ("--config", "--json", "--url", "--api-key", "--api-secret"):
        assert option in doctor.stdout
    module = Path(SCRIPT).parent / "python"
    import subprocess

    done = subprocess.run(
        [str(module), "-m", "livekit_sip_pulumi.cli", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "doctor" in done.stdout, done


def test_export_of_the_broken_project_marks_what_to_fix(livekit, broken, tmp_path):
    folder = tmp_path / "program"
    result = run("export", "-o", str(folder), env=credentials(livekit))
    assert result.returncode == 0, result
    source = (folder / "__main__.py").read_text()
    compile(source, "__main__.py", "exec")  # valid Python
    assert source.count("adopt_id=") == len(broken)
    assert "# TODO: numbers[0]: '5105550102' is not an E.164 number" in source
    assert "trunk_ids=['ST_copiedFromStaging']" in source  # not a trunk of the project
    assert "config.require_secret('telnyxSubdomainAuthPassword')" in source
    for path in folder.iterdir():
        assert PASSWORD not in path.read_text(), path
    assert PASSWORD not in result.stdout + result.stderr
    assert "TODO inbound trunk" in result.stderr and "local-format-line" in result.stderr

    again = run("export", "-o", str(folder), env=credentials(livekit))
    assert again.returncode == 2 and "--force" in again.stderr, again
