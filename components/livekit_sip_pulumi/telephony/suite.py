"""Telephony tests of a stack: real calls for the routing expectations, on a local replica.

1. :func:`apply_program` runs ``pulumi up`` of the user's Pulumi program (inline, in this
   process, as ``pulumi up`` in its folder would run it) on a throwaway stack in a temporary
   local file backend, with ``livekit:url``/``apiKey``/``apiSecret`` pointing at the replica:
   the replica gets exactly the trunks and dispatch rules the program declares, created by the
   same providers as in production.
2. The user's agent worker command runs in the replica's namespace with ``LIVEKIT_URL``,
   ``LIVEKIT_API_KEY`` and ``LIVEKIT_API_SECRET`` set to the replica.
3. :func:`run_expectations` places one call per expectation (the ``calls`` of LKSSTK011, see
   :mod:`livekit_sip_policies.expectations`), checks what really happened against the
   expectation, and cross-checks it with the routing simulator (:func:`routing.route` over
   the objects read back from the replica).

A call whose rule dispatches an agent that no worker registered for rings until the ring
timeout: the check names the rule's agent_name and the workers' agent_names.
"""

from __future__ import annotations

import dataclasses
import json
import os
import runpy
import secrets
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit_sip_core import printable, server_release
from livekit_sip_core.links import AGENT_DISPATCH_DOC
from livekit_sip_policies import routing
from livekit_sip_policies.expectations import Expectation, parse_expectations
from livekit_sip_policies.routing import Route
from pydantic import SecretStr

from ..inline import isolate_run_channels
from .carrier import CarrierAccount
from .netns import CALLER_IP
from .outbound import OutboundExpectation, parse_carrier, parse_outbound
from .services import Replica, ReplicaError, toolchain_bin
from .verifier import CallReport, CallSpec, place_call

__all__ = [
    "AppliedStack",
    "CallCheck",
    "CallsFile",
    "apply_program",
    "load_calls",
    "load_expectations",
    "replica_objects",
    "run_expectations",
]

IN_ROOM = ("answered", "ringing")


# --- the stack --------------------------------------------------------------------------------


@dataclass
class AppliedStack:
    names: dict[str, list[str]]  # LiveKit ID -> [Pulumi resource name]
    outputs: dict[str, Any]
    state_dir: Path


def _project_name(program_dir: Path) -> str:
    import yaml

    for name in ("Pulumi.yaml", "Pulumi.yml"):
        path = program_dir / name
        if path.exists():
            data = yaml.safe_load(path.read_text()) or {}
            return str(data.get("name") or program_dir.name)
    return program_dir.name


def _pulumi_command() -> Any:
    from pulumi import automation as auto

    built = toolchain_bin() / "pulumi"
    if built.exists():
        return auto.PulumiCommand(root=str(built.parent.parent), skip_version_check=True)
    found = shutil.which("pulumi")
    if found is None:
        raise ReplicaError("the pulumi CLI is needed to apply the stack to the local replica: "
                           "install it (https://www.pulumi.com/docs/install/) or `make toolchain`")
    return auto.PulumiCommand(root=str(Path(found).parent.parent), skip_version_check=True)


_PASSPHRASES: dict[Path, str] = {}


def apply_program(replica: Replica, program_dir: Path, *, config: Mapping[str, str] | None = None,
                  secret_config: Mapping[str, str] | None = None, state_dir: Path | None = None,
                  log: Callable[[str], None] | None = None) -> AppliedStack:
    """``pulumi up`` of the program in ``program_dir`` against the replica (see module doc)."""
    from pulumi import automation as auto

    # A pytest session applies many programs: a run must not inherit a failed run's connection.
    isolate_run_channels()

    program_dir = program_dir.resolve()
    main = program_dir / "__main__.py"
    if not main.exists():
        raise ReplicaError(f"{main} not found: --program names the folder of a Python Pulumi "
                           "program (its Pulumi.yaml and __main__.py)")
    # In the replica's folder: removed with it when the replica stops (unless its logs are
    # kept); the stack's secrets are encrypted with a passphrase of this run only, never
    # written anywhere, so a kept state holds no secret in a readable form.
    state = Path(state_dir or replica.run_dir / "stack")
    state.mkdir(parents=True, exist_ok=True)
    (state / "work").mkdir(exist_ok=True)
    bin_dir = toolchain_bin()

    def program() -> None:
        sys.path.insert(0, str(program_dir))
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            sys.path.remove(str(program_dir))

    env = {
        "PULUMI_BACKEND_URL": f"file://{state}",
        # One passphrase per state folder for the life of this process: applying the program
        # again (a fixed configuration) updates the same stack, in place.
        "PULUMI_CONFIG_PASSPHRASE": _PASSPHRASES.setdefault(state.resolve(),
                                                            secrets.token_urlsafe(32)),
        "PULUMI_HOME": str(state / ".pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent),
                                 os.environ.get("PATH", "")]),
    }
    project = _project_name(program_dir)
    stack = auto.create_or_select_stack(
        stack_name="replica", project_name=project, program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(state / "work"), env_vars=env, pulumi_command=_pulumi_command(),
            project_settings=auto.ProjectSettings(name=project, runtime="python"),
            secrets_provider="passphrase",
        ),
    )
    stack.set_config("livekit:url", auto.ConfigValue(replica.url))
    stack.set_config("livekit:apiKey", auto.ConfigValue(replica.api_key))
    stack.set_config("livekit:apiSecret", auto.ConfigValue(replica.api_secret, secret=True))
    for key, value in (config or {}).items():
        stack.set_config(key, auto.ConfigValue(value))
    for key, value in (secret_config or {}).items():
        stack.set_config(key, auto.ConfigValue(value, secret=True))
    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        if log is not None:
            log(line.rstrip("\n"))

    try:
        result = stack.up(on_output=out, color="never")
    except auto.errors.CommandError as exc:
        raise ReplicaError(f"`pulumi up` of {program_dir} on the local replica failed:\n"
                           + "".join(lines)[-4000:] + f"\n{exc}") from None
    names: dict[str, list[str]] = {}
    for resource in (stack.export_stack().deployment or {}).get("resources", []):
        outputs = resource.get("outputs") or {}
        rid = outputs.get("sip_trunk_id") or outputs.get("sip_dispatch_rule_id")
        if isinstance(rid, str) and rid:
            # The LiveKit name is added by run_expectations from the replica's listing.
            names[rid] = [str(resource.get("urn", "")).rsplit("::", 1)[-1]]
    return AppliedStack(names, {k: v.value for k, v in result.outputs.items()}, state)


def replica_objects(replica: Replica) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The replica's inbound trunks and dispatch rules, as the routing simulator reads them
    (``livekit-sip``'s listing of a project: every page, the components' shape)."""
    from ..cli.live import CannotRun, Credentials, fetch_project

    try:
        project = fetch_project(Credentials(replica.url, replica.api_key,
                                            SecretStr(replica.api_secret)))
    except CannotRun as exc:
        raise ReplicaError(f"the local replica's trunks and rules could not be listed: {exc}"
                           ) from None
    return project.routing_inputs()


# --- expectations -------------------------------------------------------------------------------


@dataclass
class CallsFile:
    """The calls of a calls file: inbound expectations (LKSSTK011's), outbound calls
    (``"direction": "outbound"``) and what the carrier stand-in holds (``carrier``; None:
    what the trunks' providers do)."""

    inbound: list[Expectation]
    outbound: list[OutboundExpectation]
    carrier: list[CarrierAccount] | None = None


def load_calls(path: Path, env: Mapping[str, str] | None = None) -> CallsFile:
    """The calls from a policy-pack config (``{"LKSSTK011": {"calls": [...]}}``), an object
    with ``calls`` (and ``carrier``), or a plain list of calls (JSON or YAML). Entries with
    ``"direction": "outbound"`` are outbound calls; the others LKSSTK011's expectations."""
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    carrier_raw: Any = None
    if isinstance(data, Mapping):
        section = data.get("LKSSTK011")
        holder = section if isinstance(section, Mapping) else data
        carrier_raw = holder.get("carrier", data.get("carrier"))
        data = holder.get("calls")
    entries = data if isinstance(data, list) else None
    outbound_raw = [(i, e) for i, e in enumerate(entries or [])
                    if isinstance(e, Mapping) and e.get("direction") == "outbound"]
    inbound_raw = [{k: v for k, v in e.items() if k != "direction"}
                   if isinstance(e, Mapping) and e.get("direction") == "inbound" else e
                   for e in entries or []
                   if not (isinstance(e, Mapping) and e.get("direction") == "outbound")]
    index_of = [i for i, e in enumerate(entries or [])
                if not (isinstance(e, Mapping) and e.get("direction") == "outbound")]
    expectations, problems = parse_expectations(inbound_raw if entries is not None else data)
    problems = [(index_of[i] if 0 <= i < len(index_of) else i, p) for i, p in problems]
    expectations = [dataclasses.replace(e, index=index_of[e.index]) for e in expectations]
    outbound, outbound_problems = parse_outbound(outbound_raw)
    problems += outbound_problems
    for i, entry in enumerate(entries or []):
        if isinstance(entry, Mapping) and entry.get("direction") not in (None, "inbound",
                                                                          "outbound"):
            problems.append((i, f"direction {entry['direction']!r} is not inbound or outbound"))
    if problems:
        listed = "; ".join(f"call #{i + 1} {p}" if i >= 0 else p for i, p in sorted(problems))
        raise ValueError(f"{path}: {listed}")
    if not expectations and not outbound:
        raise ValueError(f"{path}: no calls (expected LKSSTK011.calls, calls, or a list)")
    carrier = None
    if carrier_raw is not None:
        try:
            carrier = parse_carrier(carrier_raw, os.environ if env is None else env)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return CallsFile(expectations, outbound, carrier)


def load_expectations(path: Path) -> list[Expectation]:
    """The inbound expectations of a calls file (see :func:`load_calls`)."""
    return load_calls(path).inbound


@dataclass
class CallCheck:
    expectation: Expectation
    route: Route  # the simulator's prediction over the replica's objects
    report: CallReport
    problems: list[str] = field(default_factory=list)  # the expectation is not met
    disagreement: str = ""  # the simulator predicted another outcome than the real call's

    @property
    def ok(self) -> bool:
        return not self.problems and not self.disagreement

    def describe(self) -> str:
        status = "PASS" if self.ok else "FAIL"
        lines = [f"[{status}] {self.expectation.label}"]
        lines.append(f"  simulator: {self.route.result}"
                     + (f", room '{self.route.room_pattern}'" if self.route.room_pattern else "")
                     + (f", agents {list(self.route.agents)}" if self.route.agents else ""))
        lines += [f"  expected: {p}" for p in self.problems]
        if self.disagreement:
            lines.append(f"  simulator disagrees: {self.disagreement}")
        # Each line escaped (rooms and names are what LiveKit holds); the summary is already.
        shown = [printable(line) for line in lines]
        return "\n".join([shown[0], self.report.summary(), *shown[1:]])


def _what(report: CallReport) -> str:
    """The real outcome, as the end of a sentence."""
    return {
        "answered": "the call was answered",
        "ringing": f"the call rang unanswered for {report.spec.ring_timeout:.0f} s",
        "rejected": f"the bridge rejected the call ({report.sip_code} {report.sip_reason})",
        "dropped": "the bridge dropped the call (no trunk or dispatch rule took it)",
        "pin_prompt": "the bridge asked for a PIN",
        "pin_rejected": "the bridge refused the PIN and hung up",
    }.get(report.outcome, f"the call ended: {report.outcome}")


def _agent_words(names: Sequence[str]) -> str:
    shown = [f"'{n}'" if n else "'' (no agent_name: automatic dispatch)" for n in names]
    return ", ".join(shown) if shown else "none"


def _real_result(report: CallReport, spec: CallSpec) -> str:
    """What the real call did, in the simulator's words."""
    if report.room and report.outcome in IN_ROOM:
        return routing.ACCEPT
    if report.outcome == "pin_prompt" and not spec.pin:
        return routing.REQUEST_PIN
    # The bridge (livekit/sip v1.8.0, pkg/sip/inbound.go) on the server's answer: DROP -> hang up
    # without a final answer; REJECT -> 404 "Does not match Trunks or Dispatch Rules".
    if report.outcome == "dropped":
        return routing.DROP
    if report.outcome == "rejected" and report.sip_code == 404:
        return routing.REJECT
    return routing.ERROR


def _agrees(route: Route, real: str) -> bool:
    if route.result in (routing.ERROR, routing.AUTH_FAILED):
        return real in (routing.ERROR, routing.DROP)
    return route.result == real


def check_call(expectation: Expectation, report: CallReport, route: Route,
               names: Mapping[str, Sequence[str]], worker_names: Sequence[str],
               worker_busy: bool = False, server_says: Sequence[str] = ()) -> list[str]:
    """Why the real call does not meet the expectation (empty when it does)."""
    expect = expectation.expect
    spec = report.spec
    real = _real_result(report, spec)
    problems: list[str] = []
    what = _what(report)
    if isinstance(expect, str):
        ok = {
            "reject": real in routing.NO_RULE_RESULTS,
            "drop": real in routing.NO_RULE_RESULTS,
            "refused": real in (routing.ERROR, routing.DROP) and report.outcome != "pin_prompt",
            "accept": real == routing.ACCEPT,
        }[expect]
        if not ok:
            problems.append(f"'{expect}', but {what}")
        return problems
    if "pin" in expect:
        prompted = report.outcome == "pin_prompt"
        if bool(expect["pin"]) != prompted:
            problems.append(("a PIN prompt" if expect["pin"] else "no PIN prompt")
                            + f", but {what}")
    wanted: list[str] = []
    if "agent" in expect:
        wanted = [str(expect["agent"])]
        if wanted[0] not in report.agent_names:
            problems.append(_agent_problem(wanted, report, worker_names, what, worker_busy,
                                           server_says))
    if "agents" in expect:
        wanted = [str(a) for a in expect["agents"] or []]
        if sorted(report.agent_names) != sorted(wanted):
            problems.append(_agent_problem(wanted, report, worker_names, what, worker_busy,
                                           server_says))
    if "room" in expect:
        pattern = str(expect["room"])
        if not report.room or not routing.room_regex(pattern).fullmatch(report.room):
            problems.append(f"room '{pattern}', but the caller "
                            + (f"joined room '{report.room}'" if report.room else "joined no room"))
    if "identity" in expect and report.sip_identity != str(expect["identity"]):
        problems.append(f"identity '{expect['identity']}', but the SIP participant is "
                        f"'{report.sip_identity or 'absent'}'")
    for key, attr in (("trunk", "sip.trunkID"), ("rule", "sip.ruleID")):
        if key in expect:
            got = report.attributes.get(attr, "")
            if str(expect[key]) not in names.get(got, ()) and str(expect[key]) != got:
                shown = "/".join(names.get(got, ())) or got or "none"
                problems.append(f"{key} '{expect[key]}', but the call went through {key} "
                                f"'{shown}'")
    return problems


def _agent_problem(wanted: Sequence[str], report: CallReport, worker_names: Sequence[str],
                   what: str, worker_busy: bool = False,
                   server_says: Sequence[str] = ()) -> str:
    want = _agent_words(wanted)
    joined = _agent_words(report.agent_names) if report.agents else "no agent"
    if not report.room:
        return f"agent {want} to answer, but {what}: the caller joined no room"
    dispatched = _agent_words(report.dispatched)
    lines = (
        f"agent {want} to answer, but {what} and {joined} joined room '{report.room}'. "
        f"The dispatch rule dispatches agent_name {dispatched}; the running worker(s) "
        f"registered agent_name {_agent_words(worker_names)}."
    )
    missing = [n for n in report.dispatched if n and n not in worker_names]
    if missing:
        effect = ("the call rings without an answer" if report.outcome == "ringing"
                  else "the caller waits in the room alone")
        lines += (
            f" No worker registered {_agent_words(missing)}, so nobody takes the job and "
            f"{effect}: make the worker's agent_name (WorkerOptions(agent_name=...)) and the "
            f"rule's room_config agents agree ({AGENT_DISPATCH_DOC})."
        )
    elif server_says and any("sufficient capacity" in s for s in server_says):
        lines += (" A worker with that agent_name runs, but livekit-server found no capacity "
                  f"on it ({'; '.join(server_says)}): a worker reports the machine's CPU load, "
                  "and gets no job at load 1.0 (a busy CI machine); give it a load_fnc for the "
                  "tests (see examples/telephony-ci/agent.py).")
    elif report.outcome == "ringing" and worker_busy:
        lines += (" A worker with that agent_name runs, but it marked itself unavailable "
                  "(its log says 'worker is at full capacity'): in `start` mode a worker stops "
                  "taking jobs above WorkerOptions(load_threshold=0.7) of the machine's CPU; on "
                  "a shared CI machine raise it.")
    elif not report.dispatched or report.dispatched == [""]:
        lines += (" The rule dispatches no named agent: add room_config agents with the "
                  f"agent_name of your worker ({AGENT_DISPATCH_DOC}).")
    return lines


def _spec(expectation: Expectation, route: Route, auth_password: str,
          ring_timeout: float) -> CallSpec:
    call = expectation.call
    # The user name the caller answers a challenge with: the expectation's, else the trunk's.
    username = call.auth_username or (route.auth.username if route.auth is not None else "")
    return CallSpec(
        to=call.to, from_=call.from_, source_ip=call.source_ip, from_host=call.from_host,
        to_host=call.to_host, pin=call.pin, auth_username=username or "",
        auth_password=auth_password if username else "", ring_timeout=ring_timeout,
        label=expectation.label,
    )


def _simulated_release(replica: Replica) -> str | None:
    """The release the simulator predicts for the replica: the one it runs when the simulator
    knows it, else the newest it knows."""
    try:
        return server_release(replica.server_version).version if replica.server_version else None
    except ValueError:
        return None


def run_expectations(replica: Replica, expectations: Sequence[Expectation], *,
                     names: Mapping[str, Sequence[str]] | None = None, auth_password: str = "",
                     ring_timeout: float = 10.0,
                     log: Callable[[str], None] | None = None) -> list[CallCheck]:
    """One real call per expectation; each checked and cross-checked with the simulator."""
    trunks, rules = replica_objects(replica)
    # One map for the run: LiveKit ID -> the names an expectation may use (``names``' first,
    # e.g. the Pulumi resource name, then the object's LiveKit name).
    all_names: dict[str, list[str]] = {oid: list(given) for oid, given in (names or {}).items()}
    for obj in [*trunks, *rules]:
        known = all_names.setdefault(
            str(obj.get("sip_trunk_id") or obj.get("sip_dispatch_rule_id") or ""), [])
        if obj.get("name") and str(obj["name"]) not in known:
            known.append(str(obj["name"]))
    checks: list[CallCheck] = []
    for expectation in expectations:
        # The simulator sees the call as it reaches the bridge: from the caller's address.
        call = dataclasses.replace(expectation.call,
                                   source_ip=expectation.call.source_ip or CALLER_IP)
        route = routing.route(trunks, rules, call, server=_simulated_release(replica))
        spec = _spec(expectation, route, auth_password, ring_timeout)
        report = place_call(replica, spec)
        workers = replica.registered_agent_names()
        busy = any(w.at_full_capacity() for w in replica.workers)
        server_says = replica.dispatch_failures(report.room) if report.room else []
        check = CallCheck(expectation, route, report,
                          check_call(expectation, report, route, all_names, workers, busy,
                                     server_says))
        real = _real_result(report, spec)
        if not _agrees(route, real):
            check.disagreement = (
                f"it predicted {route.result.upper()}, the real call gave {real.upper()} "
                f"({report.outcome}).\n  Why it predicted so: {route.explain()}"
            )
        elif real == routing.ACCEPT and route.room_pattern and not route.room_regex().fullmatch(
                report.room):
            check.disagreement = (f"it predicted room '{route.room_pattern}', the caller joined "
                                  f"'{report.room}'")
        elif real == routing.ACCEPT and sorted(set(report.dispatched) - {""}) != sorted(
                route.agents):
            check.disagreement = (f"it predicted agents {list(route.agents)}, the room's "
                                  f"dispatches ask for {report.dispatched}")
        checks.append(check)
        if log is not None:
            log(check.describe())
    return checks
