"""Real phone calls: a SIP caller -> LiveKit's SIP bridge (livekit-sip v1.8.0) -> livekit-server
-> a room -> a real livekit-agents worker, all in a private network namespace.

Every outcome is cross-checked with the routing simulator (``routing.route`` over the objects
read back from the server): a call the simulator accepts joins a room, a PIN prompt is one,
a drop is dropped.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from livekit import api
from livekit_sip_core import server_release
from livekit_sip_policies import routing
from livekit_sip_policies.expectations import parse_expectations
from livekit_sip_pulumi.telephony.netns import CALLER_IP, SERVER_IP, remove_stale_namespaces
from livekit_sip_pulumi.telephony.services import Replica
from livekit_sip_pulumi.telephony.suite import (
    CallCheck,
    load_expectations,
    run_expectations,
)
from livekit_sip_pulumi.telephony.verifier import CallSpec, place_call

from .conftest import DEMO, ROOT, Demo, probe_worker, report

pytestmark = [pytest.mark.e2e, pytest.mark.calls]

#: The console script the package installs (the commands users run).
LIVEKIT_SIP = str(Path(sys.executable).with_name("livekit-sip"))
EXAMPLE = ROOT / "examples" / "telephony-ci"
#: The livekit-server release the replica runs (LIVEKIT_SERVER_VERSION, default the newest).
RELEASE = server_release(os.environ.get("LIVEKIT_SERVER_VERSION") or None)
#: What the bridge (livekit/sip v1.8.0) does with a call no dispatch rule takes: REJECT
#: (v1.13.11) -> "100 180 404 Does not match Trunks or Dispatch Rules"; DROP (v1.13.5) -> no
#: final answer, the caller gives up.
NO_RULE_OUTCOME = "rejected" if RELEASE.no_rule_result == "REJECT" else "dropped"


def _times(checks: list[CallCheck]) -> str:
    return "\n".join(
        f"  {c.expectation.label}: {c.report.outcome}"
        + (f", answered after {c.report.answer_seconds:.2f} s"
           if c.report.answer_seconds is not None else "")
        + f", call {c.report.seconds:.2f} s"
        for c in checks
    )


def _all_agree(checks: list[CallCheck]) -> None:
    for check in checks:
        assert not check.disagreement, check.describe()


def test_demo_stack_expectations(demo: Demo, request: pytest.FixtureRequest) -> None:
    """The demo stack's expected calls, plus an unknown number: every call as expected."""
    expectations = load_expectations(DEMO / "policy-config-pass.json")
    extra, problems = parse_expectations([{
        "name": "an unknown number", "from": "+14155550001", "to": "+15105550999",
        "sourceIp": "203.0.113.7", "expect": "drop",
    }])
    assert not problems
    t0 = time.monotonic()
    checks = run_expectations(demo.replica, [*expectations, *extra], names=demo.applied.names)
    report(request, f"\n[calls] demo stack, {len(checks)} calls in {time.monotonic() - t0:.1f} s"
                    f":\n{_times(checks)}")
    failed = [c.describe() for c in checks if not c.ok]
    assert not failed, "\n\n".join(failed)
    by_label = {c.expectation.label: c for c in checks}
    # What really happened, beyond "as expected".
    customer = by_label["a customer"].report
    assert customer.outcome == "answered" and customer.agent_names == ["support-agent"]
    assert customer.room.startswith("call-_+14155550001_")
    assert customer.attributes["sip.phoneNumber"] == "+14155550001"
    assert customer.attributes["sip.trunkPhoneNumber"] == "+15105550100"
    assert customer.rtp_received > 0  # the agent's tone came back through the bridge
    assert customer.ended_with == "BYE 200"
    vip = by_label["the VIP caller"].report
    assert vip.agent_names == ["vip-agent"] and vip.room.startswith("vip-")
    assert by_label["staff, before the PIN"].report.outcome == "pin_prompt"
    assert by_label["staff, before the PIN"].route.result == routing.REQUEST_PIN
    staff = by_label["staff, with the PIN"].report
    assert staff.outcome == "answered" and staff.agent_names == ["staff-agent"]
    assert staff.room.startswith("staff-")
    for label in ("a call from outside the provider", "an unknown number"):
        check = by_label[label]
        assert check.report.outcome == NO_RULE_OUTCOME and not check.report.room, check.describe()
        if NO_RULE_OUTCOME == "rejected":
            assert check.report.sip_code == 404, check.describe()
            assert check.report.sip_reason == "Does not match Trunks or Dispatch Rules"
        assert check.route.result == (
            routing.REJECT if RELEASE.no_rule_result == "REJECT" else routing.DROP
        )
    _all_agree(checks)


def test_wrong_expectation_fails_naming_the_agent_that_answered(demo: Demo) -> None:
    """policy-config-fail.json expects the VIP caller at the support agent: the real call is
    answered by the VIP agent, and the check says so."""
    expectations = load_expectations(DEMO / "policy-config-fail.json")
    checks = run_expectations(demo.replica, expectations, names=demo.applied.names)
    failed = [c for c in checks if not c.ok]
    assert [c.expectation.label for c in failed] == ["the VIP caller"], [
        c.describe() for c in checks]
    message = failed[0].describe()
    assert "agent 'support-agent' to answer" in message
    assert "'vip-agent' (" in message or "vip-agent (agent-" in message
    assert failed[0].report.agent_names == ["vip-agent"]
    _all_agree(checks)


def _make(replica: Replica, number: str, prefix: str, agent: str | None) -> None:
    async def create() -> None:
        async with api.LiveKitAPI(replica.url, replica.api_key, replica.api_secret) as lk:
            trunk = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(name=f"line-{prefix}", numbers=[number])))
            config: dict[str, Any] = {}
            if agent is not None:
                config["room_config"] = api.RoomConfiguration(
                    agents=[api.RoomAgentDispatch(agent_name=agent)])
            await lk.sip.create_dispatch_rule(api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(
                    name=f"rule-{prefix}", trunk_ids=[trunk.sip_trunk_id],
                    rule=api.SIPDispatchRule(dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                        room_prefix=prefix)),
                    **config)))

    asyncio.run(create())


def test_rings_but_no_agent_answers(sip_replica: Replica, request: pytest.FixtureRequest) -> None:
    """The troubleshooting guide's "call rings, but the agent does not answer", both halves:
    a rule without agents, and a rule whose agent_name no worker registered (the worker runs
    as 'other-agent'). Both calls ring until the ring timeout, then are CANCELled; the checks
    name the rule's and the worker's agent_name."""
    _make(sip_replica, "+15105550200", "noagent-", None)
    _make(sip_replica, "+15105550201", "named-", "support-agent")
    worker = sip_replica.start_worker(probe_worker("other-agent"))
    assert worker.agent_names == ["other-agent"]
    expectations, problems = parse_expectations([
        {"name": "rule without agents", "from": "+14155550001", "to": "+15105550200",
         "expect": {"agent": "support-agent"}},
        {"name": "worker with another name", "from": "+14155550001", "to": "+15105550201",
         "expect": {"agent": "support-agent"}},
    ])
    assert not problems
    t0 = time.monotonic()
    checks = run_expectations(sip_replica, expectations, ring_timeout=5.0)
    report(request, f"\n[calls] rings, no agent: {len(checks)} calls in "
                    f"{time.monotonic() - t0:.1f} s:\n{_times(checks)}")
    no_agent, other_name = checks
    for check in checks:
        assert not check.ok
        assert check.report.outcome == "ringing", check.describe()
        assert check.report.room and not check.report.agents
        assert check.report.ended_with == "CANCEL 200"
        assert 4.5 <= check.report.seconds < 12
        assert check.route.result == routing.ACCEPT  # the simulator: a room, no agent answer
    assert no_agent.route.agents == ()
    assert "dispatches no named agent" in no_agent.problems[0]
    message = other_name.problems[0]
    assert other_name.route.agents == ("support-agent",)
    assert other_name.report.dispatched == ["support-agent"]
    assert "dispatches agent_name 'support-agent'" in message
    assert "registered agent_name 'other-agent'" in message
    assert "No worker registered 'support-agent'" in message
    _all_agree(checks)


def test_namespace_holds_the_media_path_and_is_removed(sip_replica: Replica) -> None:
    """Only lo and the veth pair with benchmark-range addresses, no route elsewhere; the
    services listen there; stop() removes the namespace and ends every process."""
    name = sip_replica.ns.name
    addrs = subprocess.run(["ip", "-n", name, "-brief", "addr"], capture_output=True,
                           text=True, check=True).stdout
    devices = sorted(line.split()[0].split("@")[0] for line in addrs.splitlines())
    assert devices == ["lksp-caller", "lksp-srv", "lo"], addrs
    assert f"{SERVER_IP}/24" in addrs and f"{CALLER_IP}/24" in addrs
    routes = subprocess.run(["ip", "-n", name, "route"], capture_output=True, text=True,
                            check=True).stdout
    assert "default" not in routes, routes
    pids = [p.pid for p in sip_replica.processes.values()]
    assert len(pids) == 3 and all(p.poll() is None for p in sip_replica.processes.values())
    sip_replica.stop()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert name not in listed
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still runs"


def _namespaces() -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split(" ", 1)[0] for line in listed.splitlines()]


_KILLED_RUN = """
import time
from livekit_sip_pulumi.telephony.carrier import CarrierAccount
from livekit_sip_pulumi.telephony.cli import _replica
with _replica(None) as replica:
    replica.start_carrier().serve(CarrierAccount("sip.telnyx.com"))
    print("READY", replica.ns.name, *(p.pid for p in replica.processes.values()), flush=True)
    time.sleep(600)
"""


def test_sigterm_to_a_run_leaves_no_namespace_and_no_process() -> None:
    """The CLI's replica context in a process of its own gets SIGTERM (its services run in
    sessions of their own, so the signal reaches only it): it exits 143 after stopping every
    process and removing the namespace, and the namespace's hosts file the carrier stand-in
    served from."""
    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert run.stdout is not None
        ready = ""
        for line in run.stdout:
            if line.startswith("READY"):
                ready = line
                break
        assert ready, run.stderr.read() if run.stderr else ""
        name, *pids = ready.split()[1:]
        assert name in _namespaces() and len(pids) == 3
        assert all(Path(f"/proc/{pid}").exists() for pid in pids)
        assert "sip.telnyx.com" in Path("/etc/netns", name, "hosts").read_text()
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 143
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert name not in _namespaces()
    assert not Path("/etc/netns", name).exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still runs"


_KILLED_TEST = """
import time
from livekit_sip_pulumi.telephony.carrier import CarrierAccount


def test_waits(sip_replica):
    sip_replica.start_carrier().serve(CarrierAccount("sip.telnyx.com"))
    pids = [p.pid for p in sip_replica.processes.values()]
    print("READY", sip_replica.ns.name, *pids, flush=True)
    time.sleep(600)
"""


def test_sigterm_to_pytest_stops_the_plugins_replica(tmp_path: Path) -> None:
    """A pytest run with the plugin's sip_replica gets SIGTERM in the middle of a test: the
    session ends (exit 143) and the fixture's finalizer stops the replica."""
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["livekit_sip_pulumi.telephony.pytest_plugin"]\n')
    (tmp_path / "test_killed.py").write_text(_KILLED_TEST)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "test_killed.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        assert run.stdout is not None
        ready = next((line for line in run.stdout if "READY" in line), "")
        assert ready, "the test never reached its replica"
        name, *pids = ready.split("READY", 1)[1].split()
        assert name in _namespaces() and len(pids) == 3
        run.send_signal(signal.SIGTERM)
        rest = run.stdout.read()
        assert run.wait(timeout=60) == 143, rest
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert "SIGTERM" in rest
    assert name not in _namespaces()
    assert not Path("/etc/netns", name).exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still runs"


def test_a_stale_namespace_whose_owner_died_is_removed() -> None:
    """A run killed with SIGKILL leaves lksp-calls-<PID>-* and its /etc/netns/<namespace>/
    hosts: the next run removes both and kills what still runs in it; a namespace whose owner
    lives is left alone, with its hosts file."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = subprocess.Popen(["sleep", "600"], start_new_session=True)
    stale, owned = f"lksp-calls-{dead.pid}-0dead0", f"lksp-calls-{owner.pid}-0a11ce"
    inside: subprocess.Popen[bytes] | None = None
    try:
        for name in (stale, owned):
            subprocess.run(["ip", "netns", "add", name], check=True)
            Path("/etc/netns", name).mkdir(parents=True, exist_ok=True)
            Path("/etc/netns", name, "hosts").write_text("198.18.0.5\tsip.telnyx.com\n")
        # A hosts folder left without its namespace (a run killed between the two removals).
        orphan = f"lksp-calls-{dead.pid}-0ff0a0"
        Path("/etc/netns", orphan).mkdir()
        inside = subprocess.Popen(["ip", "netns", "exec", stale, "sleep", "600"],
                                  start_new_session=True)
        end = time.monotonic() + 10
        while str(inside.pid) not in subprocess.run(
                ["ip", "netns", "pids", stale], capture_output=True, text=True).stdout:
            assert time.monotonic() < end, "the process never entered the namespace"
            time.sleep(0.05)
        removed = remove_stale_namespaces()
        assert stale in removed and owned not in removed
        assert inside.wait(timeout=10) == -signal.SIGKILL
        assert stale not in _namespaces() and owned in _namespaces()
        assert not Path("/etc/netns", stale).exists() and not Path("/etc/netns", orphan).exists()
        assert Path("/etc/netns", owned, "hosts").exists()
    finally:
        for proc in (inside, owner):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for name in (stale, owned, f"lksp-calls-{dead.pid}-0ff0a0"):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            shutil.rmtree(Path("/etc/netns", name), ignore_errors=True)


def test_plugin_runs_the_example_with_its_agent(telephony_calls: Any,
                                                request: pytest.FixtureRequest) -> None:
    """examples/telephony-ci as its README runs it, through the pytest plugin: the user's own
    worker command, the stack applied by `pulumi up`, every call answered as expected."""
    t0 = time.monotonic()
    checks = telephony_calls(program=EXAMPLE / "infra", calls=EXAMPLE / "calls.json",
                             agent_cmds=[f"{sys.executable} agent.py start"], cwd=EXAMPLE)
    report(request, f"\n[calls] examples/telephony-ci via the pytest plugin: "
                    f"{time.monotonic() - t0:.1f} s:\n{_times(checks)}")
    assert [c.report.outcome for c in checks] == ["answered", "answered", NO_RULE_OUTCOME]
    assert all(c.report.agent_names == ["support-agent"] for c in checks[:2])


def test_cli_fails_when_the_worker_has_another_agent_name(tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    """The documented CI command with a worker registered as 'sales-agent': exit 1, and the
    output names both agent_names."""
    t0 = time.monotonic()
    done = subprocess.run(
        [LIVEKIT_SIP, "test-calls", "--program",
         "infra", "--calls", "calls.json", "--agent-cmd", f"{sys.executable} agent.py start",
         "--ring-timeout", "5", "--logs", str(tmp_path / "logs")],
        cwd=EXAMPLE, env={**os.environ, "AGENT_NAME": "sales-agent"}, capture_output=True,
        text=True, timeout=300,
    )
    report(request, f"\n[calls] CLI test-calls with a worker named 'sales-agent': exit "
                    f"{done.returncode} in {time.monotonic() - t0:.1f} s")
    assert done.returncode == 1, done.stdout + done.stderr
    # Progress on stderr, the report on stdout (as the other livekit-sip commands).
    assert "registered agent_name ['sales-agent']" in done.stderr
    assert "==>" not in done.stdout.split("==> 1 of 3")[0]
    assert "The dispatch rule dispatches agent_name 'support-agent'; the running worker(s) " \
           "registered agent_name 'sales-agent'." in done.stdout
    assert "1 of 3 calls as expected" in done.stdout
    assert "FAILED: a customer" in done.stdout
    namespace = re.search(r"network namespace (lksp-calls-[\w-]+)", done.stderr)
    assert namespace is not None, done.stderr
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert namespace.group(1) not in listed


def test_digest_authentication(sip_replica: Replica) -> None:
    """A trunk with a user name and password: the caller answers the bridge's 407 challenge;
    the right password is answered by the agent, a wrong one gets 401, none stays at 407. The
    password shows nowhere in the reports."""
    password = "s3cret-trunk-pass"

    async def create() -> None:
        async with api.LiveKitAPI(sip_replica.url, sip_replica.api_key,
                                  sip_replica.api_secret) as lk:
            trunk = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(name="auth-line", numbers=["+15105550300"],
                                              auth_username="acme", auth_password=password)))
            await lk.sip.create_dispatch_rule(api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(
                    name="auth-calls", trunk_ids=[trunk.sip_trunk_id],
                    rule=api.SIPDispatchRule(dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                        room_prefix="auth-")),
                    room_config=api.RoomConfiguration(
                        agents=[api.RoomAgentDispatch(agent_name="support-agent")]))))

    asyncio.run(create())
    sip_replica.start_worker(probe_worker("support-agent"))
    right = place_call(sip_replica, CallSpec("+15105550300", "+14155550001",
                                             auth_username="acme", auth_password=password))
    wrong = place_call(sip_replica, CallSpec("+15105550300", "+14155550001",
                                             auth_username="acme", auth_password="not-it"))
    anonymous = place_call(sip_replica, CallSpec("+15105550300", "+14155550001"))
    assert right.outcome == "answered" and right.agent_names == ["support-agent"], right.summary()
    assert [c for c, _, _ in right.responses][:2] == [100, 407]
    assert right.attributes["sip.trunkPhoneNumber"] == "+15105550300"
    assert (wrong.outcome, wrong.sip_code) == ("rejected", 401), wrong.summary()
    assert (anonymous.outcome, anonymous.sip_code) == ("rejected", 407), anonymous.summary()
    for shown in (right.summary(), repr(right), repr(wrong.spec), wrong.summary()):
        assert password not in shown and "not-it" not in shown


def test_cli_call_reports_a_drop(tmp_path: Path) -> None:
    """`call --expect rejected` (``dropped`` on v1.13.5): a call from outside the provider's
    addresses, on the example's stack; no worker needed. The report names the outcome and the
    SIP answers. A secret stack
    config given in LKSP_SECRET_CONFIG is in no output, and not readable in the kept logs and
    stack state (--logs); without --logs the replica's folder is removed."""
    secret = "s3cret-" + os.urandom(8).hex()
    env = {**os.environ, "LKSP_SECRET_CONFIG": json.dumps({"token": secret})}
    logs = tmp_path / "logs"
    done = subprocess.run(
        [LIVEKIT_SIP, "call", "--program", "infra",
         "--to", "+15105550100", "--from", "+14155550001", "--source-ip", "198.51.100.9",
         "--expect", NO_RULE_OUTCOME, "--logs", str(logs)],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "call from +14155550001 at 198.51.100.9 to +15105550100" in done.stdout
    if NO_RULE_OUTCOME == "rejected":
        assert (
            "outcome: REJECTED (404 Does not match Trunks or Dispatch Rules), SIP answers: "
            "100 180 404" in done.stdout
        )
    else:
        assert "outcome: DROPPED, SIP answers: 100 180" in done.stdout
    assert secret not in done.stdout + done.stderr
    kept = [p for p in logs.rglob("*") if p.is_file()]
    assert any(p.parent.name == "stack" or "stack" in p.parts for p in kept), kept
    assert not [p for p in kept if secret.encode() in p.read_bytes()]
    again = subprocess.run(
        [LIVEKIT_SIP, "call", "--program", "infra",
         "--to", "+15105550100", "--from", "+14155550001", "--source-ip", "198.51.100.9",
         "--expect", "answered"],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=300, env=env,
    )
    assert again.returncode == 1
    assert f"expected ANSWERED, got {NO_RULE_OUTCOME.upper()}" in again.stdout
    removed = re.search(r"its folder (\S+) removed", again.stderr)
    assert removed is not None, again.stderr
    assert not Path(removed.group(1)).exists()
