"""Unit tests of the telephony pieces that need no network: the UAC's codec, digest and parser,
the expectation files, the checks' messages, and the server-log readers."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from livekit_sip_policies import routing
from livekit_sip_policies.expectations import parse_expectations
from livekit_sip_pulumi.telephony import services, suite, uac
from livekit_sip_pulumi.telephony.verifier import AgentSeen, CallReport, CallSpec

TRUNKS = [{"sip_trunk_id": "ST_1", "name": "support-line", "numbers": ["+15105550100"]}]
RULES = [{
    "sip_dispatch_rule_id": "SDR_1", "name": "support-calls", "trunk_ids": ["ST_1"],
    "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
    "room_config": {"agents": [{"agent_name": "support-agent"}]},
}]


def test_ulaw_encoding_of_silence_and_extremes() -> None:
    assert uac._linear_to_ulaw(0) == 0xFF
    assert uac._linear_to_ulaw(32767) == 0x80
    assert uac._linear_to_ulaw(-32768) == 0x00
    tone = uac.pcmu_tone(440.0, 0.5)
    assert len(tone) == 4000 and len(set(tone)) > 20


def test_digest_response_is_rfc2617s_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uac.secrets, "token_hex", lambda n: "0a4f113b")
    challenge = ('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                 'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                 'opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    header = uac._digest(challenge, "GET", "/dir/index.html", "Mufasa", "Circle Of Life")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header


def test_sip_parser_reads_compact_and_repeated_headers() -> None:
    raw = (b"SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKa\r\n"
           b"Via: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bKb\r\ni: abc@198.18.0.2\r\n"
           b"CSeq: 1 INVITE\r\nt: <sip:+15105550100@198.18.0.1>;tag=xyz\r\n\r\n")
    parsed = uac._parse(raw)
    assert parsed is not None
    start, headers, body = parsed
    assert start == "SIP/2.0 180 Ringing"
    assert headers["call-id"] == "abc@198.18.0.2"
    assert headers["via"].count("\n") == 1
    assert headers["to"].endswith("tag=xyz") and body == ""


@pytest.mark.parametrize("shape", ["pack", "object", "list"])
def test_expectation_files(tmp_path: Path, shape: str) -> None:
    calls = [{"from": "+14155550001", "to": "+15105550100", "expect": "drop"}]
    data = {"pack": {"LKSSTK011": {"calls": calls}}, "object": {"calls": calls},
            "list": calls}[shape]
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(data))
    (expectation,) = suite.load_expectations(path)
    assert expectation.call.to == "+15105550100" and expectation.expect == "drop"


def test_expectation_file_problems_are_named(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    path.write_text(json.dumps([{"from": "+1", "expect": "drop"}]))
    with pytest.raises(ValueError, match=r"call #1 misses to"):
        suite.load_expectations(path)
    path.write_text(json.dumps({"LKSSTK011": {}}))
    with pytest.raises(ValueError, match="no calls"):
        suite.load_expectations(path)


def _check(outcome: str, *, dispatched: list[str], workers: list[str],
           agents: list[AgentSeen] | None = None, room: str = "call-_+14155550001_abc",
           server_says: list[str] | None = None) -> tuple[list[str], routing.Route, CallReport]:
    (expectation,), _ = parse_expectations([{
        "from": "+14155550001", "to": "+15105550100", "expect": {"agent": "support-agent"}}])
    route = routing.route(TRUNKS, RULES, expectation.call)
    report = CallReport(CallSpec("+15105550100", "+14155550001", ring_timeout=5.0), outcome,
                        room=room, dispatched=dispatched, agents=agents or [])
    problems = suite.check_call(expectation, report, route, {}, workers,
                                server_says=server_says or [])
    return problems, route, report


def test_another_agent_name_is_named_with_the_rules() -> None:
    problems, route, report = _check("ringing", dispatched=["support-agent"],
                                     workers=["other-agent"])
    assert route.result == routing.ACCEPT and route.agents == ("support-agent",)
    (message,) = problems
    assert "agent 'support-agent' to answer, but the call rang unanswered for 5 s" in message
    assert "The dispatch rule dispatches agent_name 'support-agent'" in message
    assert "registered agent_name 'other-agent'" in message
    assert "WorkerOptions(agent_name=...)" in message
    assert suite._real_result(report, report.spec) == routing.ACCEPT


def test_no_capacity_is_explained() -> None:
    problems, _, _ = _check(
        "ringing", dispatched=["support-agent"], workers=["support-agent"],
        server_says=["no worker available to handle job for agent_name 'support-agent' "
                     "(no workers with sufficient capacity)"])
    assert "found no capacity" in problems[0] and "load_fnc" in problems[0]


def test_the_right_agent_meets_the_expectation() -> None:
    problems, _, _ = _check("answered", dispatched=["support-agent"], workers=["support-agent"],
                            agents=[AgentSeen("agent-AJ_1", "support-agent")])
    assert problems == []


def test_outcomes_in_the_simulators_words() -> None:
    spec = CallSpec("+1", "+2")
    assert suite._real_result(CallReport(spec, "dropped"), spec) == routing.DROP
    # 404 'Does not match Trunks or Dispatch Rules': the bridge on livekit-server's REJECT.
    assert suite._real_result(CallReport(spec, "rejected", sip_code=404), spec) == routing.REJECT
    assert suite._real_result(CallReport(spec, "rejected", sip_code=486), spec) == routing.ERROR
    assert suite._real_result(CallReport(spec, "pin_prompt"), spec) == routing.REQUEST_PIN
    assert suite._real_result(CallReport(spec, "ringing"), spec) == routing.ERROR  # no room


@pytest.mark.parametrize("word", ["drop", "reject"])
@pytest.mark.parametrize(
    ("outcome", "code", "met"),
    [("dropped", None, True), ("rejected", 404, True), ("rejected", 486, False)],
)
def test_drop_and_reject_expectations_accept_either_answer(
    word: str, outcome: str, code: int | None, met: bool
) -> None:
    spec = CallSpec("+1", "+2")
    (expectation,), _ = parse_expectations([{"from": "+2", "to": "+1", "expect": word}])
    route = routing.route([], [], expectation.call)
    report = CallReport(spec, outcome, sip_code=code)
    assert (suite.check_call(expectation, report, route, {}, []) == []) == met


def test_the_replica_names_the_release_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tmp_path / "livekit-server" / "v1.13.5" / "livekit-server"
    built.parent.mkdir(parents=True)
    built.write_text("#!/bin/sh\n")
    monkeypatch.setenv("LKSP_CACHE", str(tmp_path))
    monkeypatch.setenv("LIVEKIT_SERVER_VERSION", "v1.13.5")
    assert services.find_livekit_server("hint") == (str(built), "v1.13.5")
    replica = SimpleNamespace(server_version="v1.13.5")
    assert suite._simulated_release(replica) == "v1.13.5"  # type: ignore[arg-type]
    for unknown in ("", "v9.9.9"):
        replica.server_version = unknown
        assert suite._simulated_release(replica) is None  # type: ignore[arg-type]


def test_worker_registrations_are_read_from_the_server_log(tmp_path: Path) -> None:
    log = tmp_path / "livekit.log"
    line = ('2026-11-25T02:12:35.400Z\tINFO\tlivekit.agents\tservice/agentservice.go:303\t'
            'worker registered\t{{"namespace": "", "jobType": "JT_ROOM", "agentName": "{}", '
            '"workerID": "AW_1"}}\n')
    gone = ('2026-11-25T02:13:20.505Z\tINFO\tlivekit.agents\tservice/agentservice.go:338\t'
            'last worker deregistered\t{"namespace": "", "jobType": "JT_ROOM", '
            '"agentName": "vip-agent", "workerID": "AW_2"}\n')
    log.write_text(line.format("support-agent") + line.format("vip-agent") + gone)
    assert services.registered_agent_names(log) == ["support-agent", "vip-agent"]
    assert services.registered_agent_names(log, live=True) == ["support-agent"]
    offset = len(line.format("support-agent"))
    assert services.registered_agent_names(log, offset) == ["vip-agent"]


def test_a_missing_bridge_fails_with_the_build_command(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No livekit-sip in the cache or on PATH: the replica refuses to start (the call tests
    fail, never skip) and names the script that builds it."""
    monkeypatch.setenv("LKSP_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(services.ReplicaError, match=r"livekit-sip not found.*build-sip-bridge"):
        services.find_binary("livekit-sip", "run `make toolchain` (scripts/build-sip-bridge.sh)")
    with pytest.raises(services.ReplicaError, match="not found"):
        services.Replica.start(tmp_path / "run")


def test_every_replica_process_gets_the_filtered_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """livekit-server reads LIVEKIT_CONFIG/LIVEKIT_KEYS over --config and the bridge
    SIP_CONFIG_BODY: none of the user's reaches a process of the replica (services or workers),
    nor a proxy; the rest of the environment (PATH...) does."""
    monkeypatch.setenv("LIVEKIT_CONFIG", "port: 9999")
    monkeypatch.setenv("LIVEKIT_KEYS", "prod-key: prod-secret")
    monkeypatch.setenv("SIP_CONFIG_BODY", "api_key: prod-key")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("KEEP_ME", "1")
    env = services.service_env({"EXTRA": "2"})
    for name in ("LIVEKIT_CONFIG", "LIVEKIT_KEYS", "SIP_CONFIG_BODY", "HTTPS_PROXY"):
        assert name not in env
    assert env["KEEP_ME"] == "1" and env["EXTRA"] == "2" and "PATH" in env
    spawned: list[dict[str, str]] = []

    class Popen:
        def __init__(self, argv: list[str], **kwargs: object) -> None:
            spawned.append(dict(kwargs["env"]))  # type: ignore[call-overload]
            self.pid = 1

    monkeypatch.setattr(services.subprocess, "Popen", Popen)
    replica = services.Replica(services.NetNamespace("lksp-calls-unit"), tmp_path, "k", "s")
    replica._spawn("redis", ["redis-server"])
    worker_env = replica.worker_env()
    assert worker_env["LIVEKIT_API_KEY"] == "k" and "LIVEKIT_CONFIG" not in worker_env
    assert all("LIVEKIT_KEYS" not in e and "SIP_CONFIG_BODY" not in e for e in spawned)
    assert spawned and spawned[0]["KEEP_ME"] == "1"


def test_secret_config_values_are_never_echoed(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--secret-config, LKSP_SECRET_CONFIG and --secret-config-file: malformed input is named
    without its value; the three sources merge (argv last)."""
    import typer
    from livekit_sip_pulumi.telephony import cli
    from typer.testing import CliRunner

    secret = "hunter2-" + "x" * 8
    with pytest.raises(typer.BadParameter) as bad:
        cli.secret_config_of(["ok=1", secret], None)
    assert secret not in str(bad.value) and "item #2" in str(bad.value)
    monkeypatch.setenv(cli.SECRET_CONFIG_ENV, f"{{not json {secret}")
    with pytest.raises(typer.BadParameter) as bad:
        cli.secret_config_of(None, None)
    assert secret not in str(bad.value) and cli.SECRET_CONFIG_ENV in str(bad.value)
    monkeypatch.setenv(cli.SECRET_CONFIG_ENV, json.dumps({"a": "env", "b": "env"}))
    file = tmp_path / "secrets.yaml"
    file.write_text("b: file\nc: file\n")
    assert cli.secret_config_of(["c=argv"], file) == {"a": "env", "b": "file", "c": "argv"}
    file.write_text(f"- {secret}\n")
    with pytest.raises(typer.BadParameter) as bad:
        cli.secret_config_of(None, file)
    assert secret not in str(bad.value)
    monkeypatch.delenv(cli.SECRET_CONFIG_ENV)
    result = CliRunner().invoke(cli.app(), ["call", "--to", "+1", "--from", "+2",
                                            "--secret-config", secret], env={"COLUMNS": "250"})
    assert result.exit_code == 2 and "expected KEY=VALUE" in result.output
    assert secret not in result.output


def test_each_run_encrypts_the_throwaway_stack_with_its_own_passphrase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The replica's stack state lives in the replica's folder (removed with it unless the logs
    are kept) and its secrets are encrypted with a passphrase of that run only: another
    replica's differs; the same replica's program applied again (a fixed configuration) uses
    the same one, so that the second `pulumi up` updates the stack."""
    from pulumi import automation as auto

    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text("")
    seen: list[dict[str, str]] = []

    class Stop(Exception):
        pass

    def create_or_select_stack(**kwargs: object) -> None:
        seen.append(dict(kwargs["opts"].env_vars))  # type: ignore[attr-defined]
        raise Stop

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    replicas = [services.Replica(services.NetNamespace("lksp-calls-unit"), tmp_path / run,
                                 "k", "s") for run in ("run", "run", "other")]
    for replica in replicas:
        with pytest.raises(Stop):
            suite.apply_program(replica, program)
    first, again, other = (env["PULUMI_CONFIG_PASSPHRASE"] for env in seen)
    assert first == again and first != other and len(first) >= 32
    assert "local-replica" not in (first, other)
    assert [env["PULUMI_BACKEND_URL"] for env in seen] == [
        f"file://{tmp_path / run / 'stack'}" for run in ("run", "run", "other")]


def test_the_server_log_is_followed_from_a_saved_offset(tmp_path: Path) -> None:
    """Per call, only what livekit-server logged since the previous look is read (a partial
    last line waits for its end); registrations and dispatch failures accumulate."""
    log = tmp_path / "livekit.log"
    reg = ('INFO\tlivekit.agents\tworker registered\t{{"jobType": "JT_ROOM", '
           '"agentName": "{}", "workerID": "AW_1"}}\n')
    gone = ('INFO\tlivekit.agents\tlast worker deregistered\t{"jobType": "JT_ROOM", '
            '"agentName": "vip-agent"}\n')
    no_worker = ('WARN\tlivekit.agents\tno worker available to handle job\t{"room": "call-1", '
                 '"agentName": "support-agent", "error": "no workers with sufficient capacity"}\n')
    log.write_text(reg.format("support-agent") + reg.format("vip-agent"))
    server = services.ServerLog(log)
    assert server.live_agent_names() == ["support-agent", "vip-agent"]
    read = server._follower.offset
    assert read == log.stat().st_size
    with open(log, "a") as f:
        f.write(gone + no_worker + no_worker + '{"partial')
    assert server.live_agent_names() == ["support-agent"]
    assert server._follower.offset == log.stat().st_size - len('{"partial')
    assert server.dispatch_failures("call-1") == [
        "no worker available to handle job for agent_name 'support-agent' "
        "(no workers with sufficient capacity)"]
    assert server.dispatch_failures("call-2") == []
    replica = services.Replica(services.NetNamespace("lksp-calls-unit"), tmp_path, "k", "s")
    assert replica.registered_agent_names() == ["support-agent"]


def test_the_room_watcher_lists_participants_once_per_poll() -> None:
    import asyncio
    from types import SimpleNamespace

    from livekit import api
    from livekit_sip_pulumi.telephony.verifier import _RoomWatcher

    sip = SimpleNamespace(kind=api.ParticipantInfo.Kind.SIP, identity="sip-1",
                          attributes={"sip.callIDFull": "c1"})
    agent = SimpleNamespace(kind=api.ParticipantInfo.Kind.AGENT, identity="agent-AJ_1",
                            attributes={"lk.agent.name": "support-agent"})
    listed: list[str] = []

    async def list_participants(request: api.ListParticipantsRequest) -> object:
        listed.append(request.room)
        return SimpleNamespace(participants=[sip, agent] if request.room == "call-1" else [])

    async def list_rooms(request: object) -> object:
        return SimpleNamespace(rooms=[SimpleNamespace(name=n) for n in ("other", "call-1")])

    async def list_dispatch(room: str) -> list[object]:
        return [SimpleNamespace(agent_name="support-agent", state=SimpleNamespace(jobs=[]))]

    lk = SimpleNamespace(
        room=SimpleNamespace(list_rooms=list_rooms, list_participants=list_participants),
        agent_dispatch=SimpleNamespace(list_dispatch=list_dispatch))
    watcher = _RoomWatcher(None, "c1")  # type: ignore[arg-type]
    asyncio.run(watcher._once(lk))
    assert listed == ["other", "call-1"]  # each room once, the call's room not again
    assert watcher.room == "call-1" and watcher.sip_identity == "sip-1"
    assert [a.agent_name for a in watcher.agents] == ["support-agent"]
    asyncio.run(watcher._once(lk))
    assert listed == ["other", "call-1", "call-1"]


def test_call_summary_escapes_what_the_server_holds() -> None:
    """Rooms, identities, attributes, agent names and SIP reasons come from the server and the
    bridge: each summary line stays one printable line."""
    hostile = "\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07"
    report = CallReport(
        CallSpec("+15105550100", "+14155550001", ring_timeout=5.0),
        "answered",
        sip_code=200,
        sip_reason=hostile,
        room=hostile,
        sip_identity=hostile,
        attributes={"line": hostile},
        agents=[AgentSeen(hostile, "agent-1")],
        dispatched=[hostile],
        ended_with=hostile,
    )
    lines = report.summary().split("\n")
    assert all(line.isprintable() for line in lines), lines
    assert not [line for line in lines if line.lstrip().startswith("FAKE")], lines
    assert r"  room: \x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07, SIP participant" in lines[2]
