"""Differential test: the routing simulator against the real livekit-server's routing code.

Random, seeded projects (inbound trunks with numbers in mixed formats, allowed_numbers,
allowed_addresses with CIDRs and host names, credentials; dispatch rules of the three kinds
with pins, trunk_ids, inbound_numbers, numbers, hidden numbers, agents, krisp, encryption) are
created in the server; objects the server refuses as conflicts are left out, as the conflict
differential does. Random calls, mostly aimed at the declared numbers and addresses, then go to
the server the way LiveKit's SIP bridge sends them: ``tools/sip-oracle`` calls the server's
IOInfo service (``EvaluateSIPDispatchRules``, ``GetSIPTrunkAuthentication``) over psrpc on its
Redis. ``livekit_sip_policies.routing`` must give the same answer for every call: trunk, rule,
result (room / PIN request / reject or drop / refusal), room name (exact, or the pattern when
the server adds a random suffix), participant identity, name and attributes, agents, krisp,
encryption, the trunk's ringing timeout status.

Every test runs once per supported livekit-server release (the newest and the oldest the
toolchain builds), each with the sip-oracle built against that release's protocol, and the
simulator is asked for that release's answer.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import random
import re
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from livekit import api
from livekit_sip_core import server_release
from livekit_sip_policies import routing
from livekit_sip_policies.routing import Call

from ..conftest import LiveKitServer
from ..policies.test_routing import CASES, Case, matches

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261125
PROJECTS = 60
CALLS_PER_PROJECT = 50

TRUNK_CONFLICT = "Conflicting inbound SIP Trunks"
RULE_CONFLICT = "Dispatch rule for the same trunk, inbound number, number, and PIN"

CALLED = ["15105550100", "15105550101", "442071838750"]
CALLERS = ["14155550001", "14155550002", "4915112345678"]
PINS = ["1234", "9876"]
ADDRESSES = ["203.0.113.7", "198.51.100.0/24", "192.0.2.128/25", "2001:db8::/32", "10.1.2.3"]
HOSTS = ["sip.telnyx.com", "pstn.twilio.com"]
# Masks the server ignores (isValidMask), cannot parse, or parses into what no IPv4 caller
# equals (IPv4-mapped, zoned): the simulator reads each as the server does.
ODD_MASKS = [
    "*", "203.0.113.0/255.255.255.0", "198.51.100.0/024", "10.0.0.0/8, 203.0.113.7",
    "::ffff:203.0.113.7", "::ffff:198.51.100.0/120", "fe80::1%eth0",
]  # fmt: skip
AGENTS = ["support-agent", "sales-agent"]
ENCRYPTION = ["SIP_MEDIA_ENCRYPT_DISABLE", "SIP_MEDIA_ENCRYPT_ALLOW", "SIP_MEDIA_ENCRYPT_REQUIRE"]
# What the bridge answers when the caller does not pick up in time (v1.13.11 and later).
RINGING_STATUS = [
    "SIP_STATUS_BUSY_HERE",
    "SIP_STATUS_TEMPORARILY_UNAVAILABLE",
    "SIP_STATUS_GLOBAL_DECLINE",
]


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _grouped(d: str) -> str:
    return " ".join([d[:1], d[1:4], d[4:7], d[7:]])


# (weight, format): how users write a number; the call side uses the same formats, so that
# exact and normalized-only matches both occur.
FORMATS: list[tuple[int, Callable[[str], str]]] = [
    (8, lambda d: "+" + d),
    (3, lambda d: d),
    (2, lambda d: "+" + _grouped(d)),
    (1, lambda d: "-".join([d[:1], d[1:4], d[4:7], d[7:]])),
    (1, lambda d: f"+{d[0]} ({d[1:4]}) {d[4:7]}-{d[7:]}"),
    # Edges of the server's NormalizeNumber (a Go regexp: ASCII digits, `$` = end of text).
    (1, lambda d: d + "\n"),
    (1, lambda d: "+" + d.translate(ARABIC_INDIC)),
]


def _number(rng: random.Random, pool: Sequence[str]) -> str:
    fmt = rng.choices([f for _, f in FORMATS], [w for w, _ in FORMATS])[0]
    return fmt(rng.choice(pool))


def _numbers(rng: random.Random, pool: Sequence[str], p_empty: float) -> list[str]:
    if rng.random() < p_empty:
        return []
    return [_number(rng, pool) for _ in range(rng.choice([1, 1, 2]))]


# --- projects ---------------------------------------------------------------------------------


def random_trunk(rng: random.Random, index: int) -> dict[str, Any]:
    trunk: dict[str, Any] = {
        "name": f"t{index}",
        "numbers": _numbers(rng, CALLED, 0.25),
        "allowed_numbers": _numbers(rng, CALLERS, 0.6),
    }
    if rng.random() < 0.35:
        trunk["allowed_addresses"] = rng.sample(ADDRESSES + HOSTS, rng.choice([1, 1, 2]))
        if rng.random() < 0.15:
            trunk["allowed_addresses"].append(rng.choice(ODD_MASKS))
    if rng.random() < 0.25 or not (trunk["numbers"] or trunk.get("allowed_addresses")):
        trunk["auth_username"] = f"user{index}"
        trunk["auth_password"] = f"pw-{rng.getrandbits(32):x}"
    if rng.random() < 0.3:
        trunk["krisp_enabled"] = True
    if rng.random() < 0.2:
        trunk["ringing_timeout_status"] = rng.choice(RINGING_STATUS)
    _encryption(rng, trunk)
    return trunk


def _encryption(rng: random.Random, obj: dict[str, Any]) -> None:
    """The legacy media_encryption field, media.encryption, both or neither."""
    if rng.random() < 0.2:
        obj["media_encryption"] = rng.choice(ENCRYPTION)
    if rng.random() < 0.2:
        obj["media"] = {"encryption": rng.choice(ENCRYPTION)}


def random_rule(rng: random.Random, index: int, trunk_ids: Sequence[str]) -> dict[str, Any]:
    pin = rng.choice(PINS) if rng.random() < 0.25 else ""
    kind = rng.choice(["direct", "individual", "callee"])
    prefix = rng.choice(["", "call-", "room"])
    if kind == "direct":
        body: dict[str, Any] = {"dispatch_rule_direct": {"room_name": f"room-{index}", "pin": pin}}
    elif kind == "individual":
        body = {
            "dispatch_rule_individual": {
                "room_prefix": prefix,
                "pin": pin,
                "no_randomness": rng.random() < 0.3,
            }
        }
    else:
        body = {
            "dispatch_rule_callee": {
                "room_prefix": prefix,
                "pin": pin,
                "randomize": rng.random() < 0.3,
            }
        }
    rule: dict[str, Any] = {"name": f"r{index}", "rule": body}
    if trunk_ids and rng.random() < 0.6:
        pool = [*trunk_ids, "ST_notInThisProj"]
        rule["trunk_ids"] = sorted(set(rng.choices(pool, k=rng.choice([1, 1, 2]))))
    rule["inbound_numbers"] = _numbers(rng, CALLERS, 0.7)
    rule["numbers"] = _numbers(rng, CALLED, 0.6)
    if rng.random() < 0.3:
        rule["hide_phone_number"] = True
    if rng.random() < 0.4:
        rule["attributes"] = {"team": rng.choice(["a", "b"]), "rule": str(index)}
    if rng.random() < 0.2:
        rule["metadata"] = f"meta-{index}"
    if rng.random() < 0.6:
        agents = rng.sample(AGENTS, rng.choice([1, 1, 2]))
        rule["room_config"] = {"agents": [{"agent_name": a, "metadata": ""} for a in agents]}
    if rng.random() < 0.3:
        rule["krisp_enabled"] = True
    _encryption(rng, rule)
    return rule


def _ip_in(rng: random.Random, address: str) -> str:
    """A source address inside ``address`` (an IP or a CIDR)."""
    if "/" not in address:
        return address
    import ipaddress

    net = ipaddress.ip_network(address)
    return str(net.network_address + rng.randrange(min(net.num_addresses, 2**16)))


def random_call(
    rng: random.Random, trunks: Sequence[Mapping[str, Any]], rules: Sequence[Mapping[str, Any]]
) -> Call:
    """A call mostly aimed at what the project declares."""
    declared_to = [n for t in trunks for n in t.get("numbers", [])]
    declared_to += [n for r in rules for n in r.get("numbers", [])]
    declared_from = [n for t in trunks for n in t.get("allowed_numbers", [])]
    declared_from += [n for r in rules for n in r.get("inbound_numbers", [])]
    addresses = [a for t in trunks for a in t.get("allowed_addresses", []) if a in ADDRESSES]
    roll = rng.random()
    to = (
        rng.choice(declared_to)
        if declared_to and roll < 0.5
        else _number(rng, CALLED)
        if roll < 0.9
        else "+19995550000"
    )
    roll = rng.random()
    from_ = (
        rng.choice(declared_from)
        if declared_from and roll < 0.4
        else _number(rng, CALLERS)
        if roll < 0.9
        else rng.choice(["+13105550123", "4321", "anonymous"])
    )
    roll = rng.random()
    source_ip = (
        _ip_in(rng, rng.choice(addresses))
        if addresses and roll < 0.5
        else rng.choice(
            ["203.0.113.99", "198.51.100.77", "2001:db8::5", "192.0.2.1", "::ffff:203.0.113.7"]
        )
        if roll < 0.95
        else ""
    )
    from_host = rng.choice(HOSTS) if rng.random() < 0.3 else ""
    trunk_id = ""
    if rng.random() < 0.2:
        trunk_id = rng.choice([*(t["sip_trunk_id"] for t in trunks), "ST_notInThisProj"])
    pins = [p for r in rules if (p := routing.pin_and_room(r)) and p[1]]
    pin, no_pin = "", False
    roll = rng.random()
    if roll < 0.15 and pins:
        pin = rng.choice(pins)[1]
    elif roll < 0.2:
        pin = "0000"
    elif roll < 0.3:
        no_pin = True
    return Call(
        to=to,
        from_=from_,
        source_ip=source_ip,
        from_host=from_host,
        trunk_id=trunk_id,
        pin=pin,
        no_pin=no_pin,
        call_id=f"SCL_{rng.getrandbits(40):x}",
    )


@dataclass
class Project:
    trunks: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    refused: int = 0


async def _create_project(lk: Any, rng: random.Random) -> Project:
    project = Project()
    for i in range(rng.randint(1, 5)):
        trunk = random_trunk(rng, i)
        info = json_format.ParseDict(trunk, api.SIPInboundTrunkInfo())
        try:
            created = await lk.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(trunk=info)
            )
        except api.ServerError as e:
            if e.code != api.ServerErrorCode.INVALID_ARGUMENT or TRUNK_CONFLICT not in e.message:
                raise AssertionError(f"unexpected error for {trunk}: {e}") from e
            project.refused += 1
            continue
        project.trunks.append({**trunk, "sip_trunk_id": created.sip_trunk_id})
    trunk_ids = [t["sip_trunk_id"] for t in project.trunks]
    for i in range(rng.randint(1, 6)):
        rule = random_rule(rng, i, trunk_ids)
        info = json_format.ParseDict(rule, api.SIPDispatchRuleInfo())
        try:
            created = await lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
            )
        except api.ServerError as e:
            if e.code != api.ServerErrorCode.INVALID_ARGUMENT or RULE_CONFLICT not in e.message:
                raise AssertionError(f"unexpected error for {rule}: {e}") from e
            project.refused += 1
            continue
        project.rules.append({**rule, "sip_dispatch_rule_id": created.sip_dispatch_rule_id})
    project.calls = [
        random_call(rng, project.trunks, project.rules) for _ in range(CALLS_PER_PROJECT)
    ]
    return project


async def _delete_project(lk: Any, project: Project) -> None:
    for rule in project.rules:
        await lk.sip.delete_dispatch_rule(
            api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule["sip_dispatch_rule_id"])
        )
    for trunk in project.trunks:
        await lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk["sip_trunk_id"]))


# --- the oracle -------------------------------------------------------------------------------


class SipOracle:
    """tools/sip-oracle as a long-lived child process: one JSON line out, one JSON line back."""

    def __init__(self, binary: Path, redis_address: str) -> None:
        self.proc = subprocess.Popen(
            [str(binary), "-redis", redis_address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, requests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        self.proc.stdin.flush()
        answers = []
        for _ in requests:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"sip-oracle exited: {err}")
            answers.append(json.loads(line))
        return answers

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def build_oracle(version: str) -> Path:
    """tools/sip-oracle for livekit-server ``version``, built (or found up to date) by
    scripts/build-sip-oracle.sh."""
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-sip-oracle.sh"), version], capture_output=True, text=True
    )
    if built.returncode != 0:
        pytest.fail(
            f"could not build tools/sip-oracle for livekit-server {version} "
            f"(scripts/build-sip-oracle.sh {version}):\n{built.stderr}",
            pytrace=False,
        )
    return Path(built.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sip_oracle_binary(toolchain: Path, release_server: LiveKitServer) -> Path:
    """tools/sip-oracle built against the protocol of the server's release."""
    return build_oracle(release_server.version)


def redis_address(livekit: Any) -> str:
    """The Redis the server uses, from the config scripts/services.sh wrote."""
    config = (livekit.run_dir / "livekit.yaml").read_text()
    match = re.search(r"^\s*address:\s*(\S+)\s*$", config, re.M)
    assert match, config
    return match.group(1)


@pytest.fixture(scope="module")
def oracle(sip_oracle_binary: Path, release_server: LiveKitServer) -> Iterator[SipOracle]:
    """One oracle process per release, stopped at the end (stdin closed, then by PID)."""
    client = SipOracle(sip_oracle_binary, redis_address(release_server))
    try:
        yield client
    finally:
        client.close()


def oracle_request(call: Call, op: str = "evaluate") -> dict[str, Any]:
    return {
        "op": op,
        "from": call.from_,
        "to": call.to,
        "sourceIp": call.source_ip,
        "fromHost": call.from_host,
        "trunkId": call.trunk_id,
        "pin": call.pin,
        "noPin": call.no_pin,
        "callId": call.call_id,
    }


# --- comparing --------------------------------------------------------------------------------


def server_view(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The fields compared, from the oracle's answer to an evaluate request."""
    if "error" in answer:
        message = answer["error"]["message"]
        return {"result": routing.ERROR, "error": _error_kind(message)}
    r = answer["response"]
    result = {
        "ACCEPT": routing.ACCEPT,
        "REQUEST_PIN": routing.REQUEST_PIN,
        "DROP": routing.DROP,
        "REJECT": routing.REJECT,
    }
    view: dict[str, Any] = {
        "result": result.get(r.get("result", ""), r.get("result")),
        "trunk": r.get("sipTrunkId", ""),
        "rule": r.get("sipDispatchRuleId", ""),
    }
    if view["result"] == routing.ACCEPT:
        view.update(
            room=r.get("roomName", ""),
            identity=r.get("participantIdentity", ""),
            name=r.get("participantName", ""),
            metadata=r.get("participantMetadata", ""),
            attributes=r.get("participantAttributes", {}),
            agents=[a.get("agentName", "") for a in r.get("roomConfig", {}).get("agents", [])],
            krisp="KRISP_ENABLED" in r.get("enabledFeatures", []),
            encryption=r.get("mediaEncryption", "SIP_MEDIA_ENCRYPT_DISABLE"),
            ringing_timeout_status=r.get("ringingTimeoutStatus", ""),
        )
    return view


def _error_kind(message: str) -> str:
    """The kind of refusal, in words both the server's and the simulator's messages contain."""
    for kind in ("Multiple default SIP Trunks matched", "Multiple SIP Trunks matched"):
        if kind in message:
            return kind
    if "ParseAddr" in message or "is not an IP address" in message:
        return "source address is not an IP"
    return message


def simulator_view(route: routing.Route, room: str | None = None) -> dict[str, Any]:
    """The same fields from the simulator; ``room`` (the server's) when it fits the pattern."""
    if route.result == routing.ERROR:
        return {"result": routing.ERROR, "error": _error_kind(route.error or "")}
    view: dict[str, Any] = {"result": route.result, "trunk": route.trunk_id, "rule": route.rule_id}
    if route.result == routing.ACCEPT:
        predicted_room = route.room_pattern
        if route.random_room and room is not None and route.room_regex().fullmatch(room):
            predicted_room = room
        view.update(
            room=predicted_room,
            identity=route.participant_identity,
            name=route.participant_name,
            metadata=route.participant_metadata,
            attributes=dict(route.attributes),
            agents=list(route.agents),
            krisp=route.krisp,
            encryption=route.media_encryption,
            ringing_timeout_status=route.ringing_timeout_status,
        )
    return view


def compare_auth(
    project: Project, call: Call, answer: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    auth = routing.authenticate(project.trunks, call)
    if "error" in answer:
        server = {"error": _error_kind(answer["error"]["message"])}
    else:
        r = answer["response"]
        server = {
            "trunk": r.get("sipTrunkId", ""),
            "username": r.get("username", ""),
            "password": answer.get("passwordSet", False),
        }
    if auth.error is not None:
        ours: dict[str, Any] = {"error": _error_kind(auth.error)}
    else:
        trunk = auth.match.trunk or {}
        ours = {
            "trunk": auth.trunk_id,
            "username": auth.username,
            "password": bool(trunk.get("auth_password")),
        }
    return server, ours


def _redacted(project: Project) -> str:
    trunks = [{k: v for k, v in t.items() if k != "auth_password"} for t in project.trunks]
    return json.dumps({"trunks": trunks, "rules": project.rules}, indent=1)


def test_routing_agrees_with_server(
    clean_release_server: LiveKitServer, oracle: SipOracle, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_livekit = clean_release_server
    version = clean_release_server.version
    rng = random.Random(SEED)
    start = time.monotonic()
    total = agree = 0
    outcomes: collections.Counter[str] = collections.Counter()
    reports: list[str] = []
    refused = 0
    with_status = 0  # accepted calls whose answer carries the trunk's ringing_timeout_status

    async def one_project(lk: Any) -> Project:
        return await _create_project(lk, rng)

    for _ in range(PROJECTS):
        project = clean_livekit.call(one_project)
        refused += project.refused
        try:
            requests = [oracle_request(c) for c in project.calls]
            requests += [oracle_request(c, "auth") for c in project.calls]
            answers = oracle.ask(requests)
        finally:
            clean_livekit.call(lambda lk, p=project: _delete_project(lk, p))
        evaluated, authed = answers[: len(project.calls)], answers[len(project.calls) :]
        for call, answer, auth_answer in zip(project.calls, evaluated, authed, strict=True):
            total += 1
            server = server_view(answer)
            route = routing.evaluate(project.trunks, project.rules, call, server=version)
            ours = simulator_view(route, server.get("room"))
            server_auth, our_auth = compare_auth(project, call, auth_answer)
            outcomes[server["result"]] += 1
            with_status += bool(server.get("ringing_timeout_status"))
            if server == ours and server_auth == our_auth:
                agree += 1
            elif len(reports) < 5:
                reports.append(
                    f"{call}\n  server: {server} auth {server_auth}\n"
                    f"  simulator: {ours} auth {our_auth}\n  {route.explain()}\n"
                    f"  project: {_redacted(project)}"
                )
    elapsed = time.monotonic() - start
    summary = f"routing differential (livekit-server {version}): {agree}/{total} calls agree"
    distribution = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    with capsys.disabled():
        print(f"\n{summary}")
        print(
            f"  outcomes (server): {distribution}; {PROJECTS} projects, "
            f"{refused} objects refused as conflicts, {with_status} answers with a ringing "
            f"timeout status, {elapsed:.1f}s"
        )
        for report in reports:
            print(report)
    assert not reports, summary + "\n" + "\n".join(reports)
    assert total >= 2000
    # Every outcome must be common enough to be tested.
    no_rule = routing.evaluate([], [], Call("+1", "+1"), server=version).result
    for result in (routing.ACCEPT, routing.REQUEST_PIN, no_rule):
        assert outcomes[result] >= 0.03 * total, distribution
    # The ringing timeout status is compared, not only absent: releases that answer it do.
    assert (with_status > 0) == server_release(version).ringing_timeout_status, with_status
    assert clean_livekit.inbound_trunks() == []


def test_oracle_binary_is_cached(sip_oracle_binary: Path, release_server: LiveKitServer) -> None:
    """A second build with unchanged sources reuses the binary (the stamp matches), one binary
    per release in the release's own folder."""
    assert sip_oracle_binary.parent.name == release_server.version
    before = sip_oracle_binary.stat().st_mtime_ns
    again = subprocess.run(
        [str(ROOT / "scripts" / "build-sip-oracle.sh"), release_server.version],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
    )
    assert "up to date" in again.stderr
    assert sip_oracle_binary.stat().st_mtime_ns == before


# --- the hand-written cases of tests/policies/test_routing.py, on the server -------------------


async def _create_case(lk: Any, case: Case) -> dict[str, str]:
    """Create the case's objects; placeholder ID -> the server's ID."""
    ids: dict[str, str] = {}
    for trunk in case.trunks:
        fields = {k: v for k, v in trunk.items() if k != "sip_trunk_id"}
        info = json_format.ParseDict(fields, api.SIPInboundTrunkInfo())
        created = await lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(trunk=info))
        ids[trunk["sip_trunk_id"]] = created.sip_trunk_id
    for rule in case.rules:
        fields = {k: v for k, v in rule.items() if k != "sip_dispatch_rule_id"}
        fields["trunk_ids"] = [ids.get(t, t) for t in fields.get("trunk_ids", [])]
        info = json_format.ParseDict(fields, api.SIPDispatchRuleInfo())
        created = await lk.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
        )
        ids[rule["sip_dispatch_rule_id"]] = created.sip_dispatch_rule_id
    return ids


def _case_view(answer: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The server's answer in the shape of ``Case.expect``."""
    if "error" in answer:
        return {"result": routing.ERROR, "error": _error_kind(answer["error"]["message"])}
    r = answer["response"]
    view = server_view(answer)
    view["trunk"] = names.get(view["trunk"], view["trunk"])
    view["rule"] = names.get(view["rule"], view["rule"])
    view.setdefault("attributes", r.get("participantAttributes", {}))
    return view


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hand_written_cases_on_server(
    clean_release_server: LiveKitServer, oracle: SipOracle, case: Case
) -> None:
    clean_livekit = clean_release_server
    ids = clean_livekit.call(lambda lk: _create_case(lk, case))
    names = {ids[t["sip_trunk_id"]]: t["name"] for t in case.trunks}
    names.update({ids[r["sip_dispatch_rule_id"]]: r["name"] for r in case.rules})
    call = dataclasses.replace(case.call, trunk_id=ids.get(case.call.trunk_id, case.call.trunk_id))
    answer, auth_answer = oracle.ask([oracle_request(call), oracle_request(call, "auth")])

    expect = case.expect_for(clean_release_server.version)
    if "attributes" in expect:
        expect["attributes"] = {
            k: ids.get(v, v) if isinstance(v, str) else v for k, v in expect["attributes"].items()
        }
    if "error" in expect:
        expect["error"] = _error_kind(expect["error"])
    assert matches(expect, _case_view(answer, names)) == [], answer

    # The simulator on the objects as created (the server's IDs) agrees field by field.
    trunks = [{**t, "sip_trunk_id": ids[t["sip_trunk_id"]]} for t in case.trunks]
    rules = [
        {
            **r,
            "sip_dispatch_rule_id": ids[r["sip_dispatch_rule_id"]],
            "trunk_ids": [ids.get(t, t) for t in r.get("trunk_ids", [])],
        }
        for r in case.rules
    ]
    server = server_view(answer)
    route = routing.evaluate(trunks, rules, call, server=clean_release_server.version)
    assert simulator_view(route, server.get("room")) == server, route.explain()
    project = Project(trunks, rules, [call])
    server_auth, our_auth = compare_auth(project, call, auth_answer)
    assert our_auth == server_auth
    if case.auth:
        auth_view = {
            "error": server_auth.get("error", ""),
            "trunk": names.get(server_auth.get("trunk", ""), server_auth.get("trunk", "")),
            "username": server_auth.get("username", ""),
            "password": server_auth.get("password", False),
        }
        want = dict(case.auth)
        if "error" in want:
            want["error"] = _error_kind(want["error"])
        assert matches(want, auth_view) == []
