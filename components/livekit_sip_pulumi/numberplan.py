"""Number plans: many phone lines, one resource, applied at API speed.

A *number plan* is what a telephony team keeps in a spreadsheet: one row per line, each line a
phone number (or a few, for a hunt group) with how its calls come in (the inbound trunk), where
they go (the dispatch rule and its agent) and, optionally, how the line calls out (an outbound
trunk). :class:`SipNumberPlan` (in :mod:`.plan_resource`) owns every line's LiveKit objects as
one Pulumi resource, so a plan of a thousand lines is one engine step, not three thousand.

This module is the plan's logic, free of the Pulumi engine: the line model (:class:`SipLine`),
loading a plan from CSV or YAML (:func:`load_plan`), validation with problems that name the line
(:func:`check_plan`), what each line's objects would be (:func:`declared_lines`), the per-line
diff (:func:`plan_changes`), and applying it (:func:`apply_plan`, :func:`delete_plan`,
:func:`read_plan`) with bounded concurrency through :func:`client.call_livekit` (the deadlines,
retries and error mapping the single resources use). An application that fails on some lines
returns what it did (:class:`PlanOutcome`): the lines done, and the failures by line.

The guarantees of the single resources hold per line: each object gets an autoname owned by
this stack (:func:`line_object_name`, from :func:`providers.autoname`); a create first looks for
the object an interrupted run left with that name and takes it over; a create whose answer is
lost is looked up before it is sent again; passwords are kept as keyed digests only
(:func:`providers.password_digest`); an existing object can be adopted (``adopt``).

CSV columns (one line per row; lists are separated by spaces or ``;``)::

    line                 the line's key in the plan (letters, digits, . _ + -), unique
    numbers              the line's phone numbers, E.164 (+15105550100)
    agent_name           the agent dispatched to each call ("" for none)
    room_prefix          the room of each call is <room_prefix><caller> (default "call-")
    allowed_addresses    inbound: the carrier's signalling addresses or CIDRs
    allowed_numbers      inbound: the callers allowed (empty: anyone)
    auth_username        inbound: digest credentials the carrier sends
    auth_password
    krisp_enabled        inbound: true/false
    metadata             inbound trunk and dispatch rule metadata
    outbound_address     the carrier's SIP host; set to give the line an outbound trunk
    outbound_transport   SIP_TRANSPORT_AUTO (default), _UDP, _TCP or _TLS
    outbound_auth_username, outbound_auth_password
    destination_country  outbound: ISO country code of the calls

YAML: ``lines:`` maps each line's key to the fields of :class:`SipLine`, whose ``inbound``,
``dispatch`` and ``outbound`` take any field of the single resources
(:class:`~.specs.SipInboundTrunkSpec` and so on) besides the names, numbers and trunk IDs the
plan sets itself.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit import api
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_core import PASSWORD_FIELD, PLAN_TYPE, line_object_props
from livekit_sip_core.plans import DEFAULT_ROOM_PREFIX
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .client import LiveKitSettings, RetryPolicy, call_livekit
from .engine import autoname, password_digest
from .errors import LiveKitApiError, LiveKitSipError, Problem, SpecError
from .specs import (
    DISPATCH_RULE_ID_PREFIX,
    TRUNK_ID_PREFIX,
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SipSpec,
    validate_spec,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_CONCURRENCY",
    "KINDS",
    "PLAN_TYPE",
    "LineState",
    "PlanOutcome",
    "SipLine",
    "apply_plan",
    "check_plan",
    "declared_lines",
    "delete_plan",
    "line_object_name",
    "load_plan",
    "plan_changes",
    "read_plan",
]

log = logging.getLogger(__name__)

#: The objects of a line, in the order they are created (a rule needs its trunk's ID).
KINDS = ("inbound", "dispatch", "outbound")
_SPECS: dict[str, type[SipSpec]] = {
    "inbound": SipInboundTrunkSpec,
    "dispatch": SipDispatchRuleSpec,
    "outbound": SipOutboundTrunkSpec,
}
_ID_FIELDS = {
    "inbound": "sip_trunk_id",
    "dispatch": "sip_dispatch_rule_id",
    "outbound": "sip_trunk_id",
}
_ID_PREFIXES = {
    "inbound": TRUNK_ID_PREFIX,
    "dispatch": DISPATCH_RULE_ID_PREFIX,
    "outbound": TRUNK_ID_PREFIX,
}
#: LiveKit calls in flight at once when a plan is applied (the server's own limits allow more;
#: the raw-script benchmark uses the same number).
DEFAULT_CONCURRENCY = 10
_LINE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
#: Fields each line's objects get from the plan, not from the line's settings.
_SET_BY_PLAN = {
    "inbound": ("name", "numbers"),
    "dispatch": ("name", "trunk_ids"),
    "outbound": ("name", "numbers"),
}
_DOCS = "https://docs.livekit.io/sip/"


class SipLine(BaseModel):
    """One line of a number plan: its numbers, its inbound trunk's settings, its dispatch rule
    (by default a room per caller, ``room_prefix`` + caller, with ``agent_name`` dispatched)
    and, when ``outbound`` is given, an outbound trunk for the same numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    numbers: list[str] = Field(min_length=1)
    agent_name: str = ""
    room_prefix: str = DEFAULT_ROOM_PREFIX
    #: Fields of SipInboundTrunk besides name and numbers.
    inbound: dict[str, Any] = Field(default_factory=dict)
    #: Fields of SipDispatchRule besides name and trunk_ids (``rule`` replaces room_prefix).
    dispatch: dict[str, Any] = Field(default_factory=dict)
    #: Fields of SipOutboundTrunk besides name and numbers; None: the line has none.
    outbound: dict[str, Any] | None = None
    #: Existing objects this line takes over: {"inbound": "ST_...", "dispatch": "SDR_...",
    #: "outbound": "ST_..."}.
    adopt: dict[str, str] = Field(default_factory=dict)


# --- loading ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "line",
    "numbers",
    "agent_name",
    "room_prefix",
    "allowed_addresses",
    "allowed_numbers",
    "auth_username",
    "auth_password",
    "krisp_enabled",
    "metadata",
    "outbound_address",
    "outbound_transport",
    "outbound_auth_username",
    "outbound_auth_password",
    "destination_country",
)
_CSV_INBOUND = ("allowed_addresses", "allowed_numbers", "auth_username", "auth_password")
_CSV_LISTS = ("numbers", "allowed_addresses", "allowed_numbers")


def _split(value: str) -> list[str]:
    return [part for part in re.split(r"[\s;]+", value.strip()) if part]


def _csv_line(row: Mapping[str, str], where: str) -> tuple[str, dict[str, Any]]:
    unknown = sorted(set(row) - set(CSV_COLUMNS) - {""})
    if unknown:
        raise LiveKitSipError(
            f"{where}: unknown column(s) {', '.join(unknown)}; the columns are "
            f"{', '.join(CSV_COLUMNS)} (docs/number-plans.md)"
        )
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    key = cell.get("line", "")
    line: dict[str, Any] = {"numbers": _split(cell.get("numbers", ""))}
    for name in ("agent_name", "room_prefix"):
        if cell.get(name):
            line[name] = cell[name]
    inbound: dict[str, Any] = {}
    for name in _CSV_INBOUND:
        if cell.get(name):
            inbound[name] = _split(cell[name]) if name in _CSV_LISTS else cell[name]
    if cell.get("krisp_enabled"):
        inbound["krisp_enabled"] = cell["krisp_enabled"].lower() in ("1", "true", "yes")
    if cell.get("metadata"):
        inbound["metadata"] = cell["metadata"]
        line["dispatch"] = {"metadata": cell["metadata"]}
    if inbound:
        line["inbound"] = inbound
    if cell.get("outbound_address"):
        outbound: dict[str, Any] = {"address": cell["outbound_address"]}
        for column, name in (
            ("outbound_transport", "transport"),
            ("outbound_auth_username", "auth_username"),
            ("outbound_auth_password", "auth_password"),
            ("destination_country", "destination_country"),
        ):
            if cell.get(column):
                outbound[name] = cell[column]
        line["outbound"] = outbound
    return key, line


def load_plan(source: str | Path) -> dict[str, dict[str, Any]]:
    """The lines of a plan file (``.csv``, ``.yaml``/``.yml``), by key, as plain dicts (checked
    by :func:`check_plan`). A key given twice is an error naming both places."""
    path = Path(source)
    text = path.read_text(encoding="utf-8")
    lines: dict[str, dict[str, Any]] = {}
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for number, row in enumerate(reader, start=2):
            key, line = _csv_line(row, f"{path.name}:{number}")
            if key in lines:
                raise LiveKitSipError(f"{path.name}:{number}: line {key!r} is given twice")
            lines[key] = line
        return lines
    import yaml  # the Pulumi SDK depends on PyYAML

    data = yaml.safe_load(text) or {}
    raw = data.get("lines") if isinstance(data, Mapping) else data
    if isinstance(raw, list):
        for index, entry in enumerate(raw):
            if not isinstance(entry, Mapping) or "line" not in entry:
                raise LiveKitSipError(f"{path.name}: lines[{index}] needs a `line:` key")
            entry = dict(entry)
            key = str(entry.pop("line"))
            if key in lines:
                raise LiveKitSipError(f"{path.name}: line {key!r} is given twice")
            lines[key] = entry
        return lines
    if not isinstance(raw, Mapping):
        raise LiveKitSipError(
            f"{path.name}: expected `lines:` with a mapping of line keys to lines, or a list"
        )
    return {str(k): dict(v or {}) for k, v in raw.items()}


# --- names and declared objects -----------------------------------------------------------------


def line_object_name(project: str, stack: str, plan: str, line: str, kind: str) -> str:
    """The autoname of a line's object: ``<plan>-<line>-<in|rule|out>-<7 hex>``, different for
    every project, stack, plan, line and kind (the single resources' :func:`autoname`)."""
    short = {"inbound": "in", "dispatch": "rule", "outbound": "out"}[kind]
    return autoname(project, stack, f"{PLAN_TYPE}/{kind}", f"{plan}-{line}-{short}")


@dataclass(frozen=True)
class PlanContext:
    """Who owns the plan's objects: project, stack and the plan resource's name."""

    project: str
    stack: str
    plan: str

    def name(self, line: str, kind: str) -> str:
        return line_object_name(self.project, self.stack, self.plan, line, kind)


def _object_values(line: SipLine, kind: str) -> dict[str, Any] | None:
    """The declared fields of one of the line's objects (without the plan's own fields)."""
    return line_object_props(line.model_dump()).get(kind)


def _bad_fields(values: Mapping[str, Any], kind: str) -> list[str]:
    return [f for f in _SET_BY_PLAN[kind] if f in values]


_VALIDATED: dict[str, SipSpec] = {}
_VALIDATED_LOCK = threading.Lock()
_VALIDATED_MAX = 20_000


def _validated(kind: str, values: Mapping[str, Any]) -> SipSpec:
    """The spec of a line's object without the fields the plan sets (name, trunk_ids), memoized
    in this process: check, diff and create/update of one run validate each object once. The
    memo's key is a digest of the values (a password never sits in it in plain text)."""
    unknown = frozenset({"trunk_ids"}) if kind == "dispatch" else frozenset()
    text = repr(sorted(_plain(values).items()))
    key = kind + ":" + hashlib.sha256(text.encode()).hexdigest()
    with _VALIDATED_LOCK:
        found = _VALIDATED.get(key)
    if found is not None:
        return found
    spec = validate_spec(_SPECS[kind], values, unknown)
    with _VALIDATED_LOCK:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = spec
    return spec


def check_plan(
    lines: Mapping[str, Any], *, objects: bool = True
) -> tuple[dict[str, SipLine], list[Problem]]:
    """Validate every line: the lines that are valid, and the problems of the others, each
    field path starting with ``lines.<key>``. The password never appears in a problem.
    ``objects=False`` leaves out the validation of the line's objects (done again by
    :func:`declared_lines`)."""
    good: dict[str, SipLine] = {}
    problems: list[Problem] = []
    if not isinstance(lines, Mapping):
        return good, [Problem("lines", "a mapping of line keys to lines", "type")]
    for key, raw in lines.items():
        where = f"lines.{key}"
        if not isinstance(key, str) or not _LINE_KEY.fullmatch(key):
            problems.append(
                Problem(
                    where,
                    "a line's key is 1 to 64 letters, digits, '.', '_', '+' or '-', starting "
                    "with a letter or digit",
                    "line_key",
                )
            )
            continue
        try:
            line = SipLine.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(f"{where}.{loc}", str(err["msg"]), str(err["type"])))
            continue
        line_problems: list[Problem] = []
        for kind in KINDS if objects else ():
            values = _object_values(line, kind)
            if values is None:
                continue
            for bad in _bad_fields(getattr(line, kind, None) or {}, kind):
                line_problems.append(
                    Problem(f"{where}.{kind}.{bad}", "is set by the plan; leave it out", "plan")
                )
            try:
                _validated(kind, values)
            except SpecError as exc:
                line_problems.extend(
                    Problem(
                        f"{where}.{p.field}"
                        if p.field.startswith("numbers")
                        else f"{where}.{kind}.{p.field}",
                        f"{p.message}. See {_SPECS[kind].docs_url}",
                        p.code,
                    )
                    for p in exc.details
                )
        for kind, object_id in line.adopt.items():
            prefix = _ID_PREFIXES.get(kind)
            if prefix is None or not (isinstance(object_id, str) and object_id.startswith(prefix)):
                line_problems.append(
                    Problem(
                        f"{where}.adopt.{kind}",
                        f"adopt takes inbound/outbound: 'ST_...', dispatch: 'SDR_...' (see "
                        f"{_DOCS})",
                        "adopt_id",
                    )
                )
        if line.adopt.get("outbound") and line.outbound is None:
            line_problems.append(
                Problem(f"{where}.adopt.outbound", "the line declares no outbound trunk", "adopt")
            )
        if line_problems:
            problems.extend(line_problems)
        else:
            good[key] = line
    return good, problems


# --- recorded state ------------------------------------------------------------------------------


@dataclass
class LineState:
    """What the outputs record of one line: its objects' IDs and names, the fingerprint of
    each object as applied, and whether every object of the line exists."""

    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: Keyed, salted digests of the line's passwords, by kind (never the passwords).
    digests: dict[str, str] = field(default_factory=dict)
    complete: bool = False

    def to_output(self) -> dict[str, Any]:
        return {
            "inbound_trunk_id": self.ids.get("inbound", ""),
            "dispatch_rule_id": self.ids.get("dispatch", ""),
            "outbound_trunk_id": self.ids.get("outbound", ""),
            "names": dict(self.names),
            "fingerprints": dict(self.fingerprints),
            "complete": self.complete,
        }

    @classmethod
    def from_output(cls, value: Mapping[str, Any], digests: Mapping[str, Any]) -> LineState:
        ids = {
            kind: str(value.get(key) or "")
            for kind, key in (
                ("inbound", "inbound_trunk_id"),
                ("dispatch", "dispatch_rule_id"),
                ("outbound", "outbound_trunk_id"),
            )
            if value.get(key)
        }
        return cls(
            ids=ids,
            names={k: str(v) for k, v in (value.get("names") or {}).items()},
            fingerprints={k: str(v) for k, v in (value.get("fingerprints") or {}).items()},
            digests={k: str(v) for k, v in (digests or {}).items() if v},
            complete=bool(value.get("complete")),
        )


def _plain(value: Any) -> Any:
    """Comparable values: whole floats as ints, None-valued keys left out (as the engine
    records them)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _fingerprint(spec: SipSpec, digest: str) -> str:
    """A short digest of an object's fields as LiveKit takes them (the protocol message,
    serialized deterministically), its password replaced by its keyed digest."""
    info = spec.to_proto()
    if getattr(info, PASSWORD_FIELD, ""):
        setattr(info, PASSWORD_FIELD, digest)
    return hashlib.sha256(info.SerializeToString(deterministic=True)).hexdigest()[:20]


def _live_fingerprint(kind: str, item: Any, digest: str) -> str:
    """The fingerprint of a live object, as :func:`_fingerprint` of its declaration."""
    try:
        spec = validate_spec(_SPECS[kind], _plain(_SPECS[kind].outputs_from_proto(item)))
    except SpecError:
        return "(changed outside Pulumi, to values the plan cannot declare)"
    return _fingerprint(spec, digest)


def _salt(digest: str) -> str | None:
    parts = digest.split(":")
    return parts[1] if len(parts) == 3 else None


def digest_for(password: str, key: bytes, recorded: str = "") -> str:
    """The digest of ``password`` for the outputs: the recorded one when it is of this password
    (so nothing changes), else a new one (reusing the recorded salt)."""
    if not password:
        return ""
    salt = _salt(recorded) if recorded else None
    made = password_digest(password, key, salt)
    if recorded and hmac.compare_digest(made, recorded):
        return recorded
    return made


@dataclass(frozen=True)
class DeclaredObject:
    kind: str
    spec: SipSpec
    fingerprint: str
    digest: str
    adopt: str = ""
    #: A rule's declared fields, to declare it again once its trunk's ID is known.
    values: Mapping[str, Any] = field(default_factory=dict, repr=False)


def declared_lines(
    lines: Mapping[str, SipLine],
    context: PlanContext,
    recorded: Mapping[str, LineState],
    password_of: Callable[[str, str], tuple[str, str]],
) -> dict[str, dict[str, DeclaredObject]]:
    """Each line's objects as they should be: the spec (name: the recorded one, else the
    autoname; a rule's trunk: the recorded trunk), its fingerprint, its password's digest.

    ``password_of(line, kind)`` gives (password, digest) of the declared password."""
    out: dict[str, dict[str, DeclaredObject]] = {}
    for key, line in lines.items():
        state = recorded.get(key, LineState())
        objects: dict[str, DeclaredObject] = {}
        for kind in KINDS:
            values = _object_values(line, kind)
            if values is None:
                continue
            name = state.names.get(kind) or context.name(key, kind)
            digest = ""
            if kind != "dispatch":
                password, digest = password_of(key, kind)
                if PASSWORD_FIELD in values:
                    values[PASSWORD_FIELD] = password
            update: dict[str, Any] = {"name": name}
            trunk = state.ids.get("inbound") if kind == "dispatch" else None
            if trunk:
                update["trunk_ids"] = [trunk]
            # The plan's own fields are set on the validated spec: a name, a LiveKit trunk ID.
            spec = _validated(kind, values).model_copy(update=update)
            known = kind != "dispatch" or bool(trunk)
            fingerprint = _fingerprint(spec, digest) if known else "(new)"
            objects[kind] = DeclaredObject(
                kind,
                spec,
                fingerprint,
                digest,
                line.adopt.get(kind, ""),
                values if kind == "dispatch" else {},
            )
        out[key] = objects
    return out


def plan_changes(
    declared: Mapping[str, Mapping[str, DeclaredObject]], recorded: Mapping[str, LineState]
) -> dict[str, str]:
    """The lines that change, by key: "add", "change" or "remove"."""
    changes: dict[str, str] = {}
    for key, objects in declared.items():
        state = recorded.get(key)
        if state is None:
            changes[key] = "add"
        elif (
            not state.complete
            or set(objects) != set(state.ids)
            or any(state.fingerprints.get(kind) != obj.fingerprint for kind, obj in objects.items())
        ):
            changes[key] = "change"
    for key in recorded:
        if key not in declared:
            changes[key] = "remove"
    return changes


# --- applying -----------------------------------------------------------------------------------


@dataclass
class PlanOutcome:
    """What an application did: every line's state afterwards (done or partly done), and the
    failures by line."""

    lines: dict[str, LineState]
    failures: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def summary(self, limit: int = 5) -> str:
        shown = sorted(self.failures.items())[:limit]
        more = len(self.failures) - len(shown)
        text = "; ".join(f"line {key!r}: {message}" for key, message in shown)
        if more > 0:
            text += f"; and {more} more line(s)"
        return (
            f"{len(self.failures)} of the plan's lines failed ({text}). The lines done are "
            "recorded; run `pulumi up` again to finish the others (no line is created twice)."
        )


class _Api:
    """The LiveKit calls of a plan, each through :func:`call_livekit` (deadline, retries)."""

    def __init__(self, settings: LiveKitSettings) -> None:
        self.settings = settings
        self._count = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return self._count

    def call(self, what: str, operation: Any, *, idempotent: bool = True) -> Any:
        with self._lock:
            self._count += 1
        return call_livekit(self.settings, what, operation, idempotent=idempotent)

    def list(self, kind: str, ids: list[str] | None = None) -> list[Any]:
        ids = list(ids or [])
        if kind == "dispatch":

            async def run(lk: api.LiveKitAPI) -> Any:
                request = api.ListSIPDispatchRuleRequest(dispatch_rule_ids=ids)
                return (await lk.sip.list_dispatch_rule(request)).items
        elif kind == "inbound":

            async def run(lk: api.LiveKitAPI) -> Any:
                request = api.ListSIPInboundTrunkRequest(trunk_ids=ids)
                return (await lk.sip.list_inbound_trunk(request)).items
        else:

            async def run(lk: api.LiveKitAPI) -> Any:
                request = api.ListSIPOutboundTrunkRequest(trunk_ids=ids)
                return (await lk.sip.list_outbound_trunk(request)).items

        return list(self.call(f"list {_SPECS[kind].kind}s", run))

    def create(self, kind: str, info: Any) -> Any:
        if kind == "inbound":
            request: Any = api.CreateSIPInboundTrunkRequest(trunk=info)
            op = lambda lk: lk.sip.create_inbound_trunk(request)  # noqa: E731
        elif kind == "outbound":
            request = api.CreateSIPOutboundTrunkRequest(trunk=info)
            op = lambda lk: lk.sip.create_outbound_trunk(request)  # noqa: E731
        else:
            request = api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
            op = lambda lk: lk.sip.create_dispatch_rule(request)  # noqa: E731
        return self.call(f"create {_SPECS[kind].kind} '{info.name}'", op, idempotent=False)

    def update(self, kind: str, object_id: str, info: Any) -> Any:
        if kind == "inbound":
            op = lambda lk: lk.sip.update_inbound_trunk(object_id, info)  # noqa: E731
        elif kind == "outbound":
            op = lambda lk: lk.sip.update_outbound_trunk(object_id, info)  # noqa: E731
        else:
            op = lambda lk: lk.sip.update_dispatch_rule(object_id, info)  # noqa: E731
        return self.call(f"update {_SPECS[kind].kind} {object_id}", op)

    def delete(self, kind: str, object_id: str) -> None:
        if kind == "dispatch":
            request: Any = api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=object_id)
            op = lambda lk: lk.sip.delete_dispatch_rule(request)  # noqa: E731
        else:
            request = api.DeleteSIPTrunkRequest(sip_trunk_id=object_id)
            op = lambda lk: lk.sip.delete_trunk(request)  # noqa: E731
        try:
            self.call(f"delete {_SPECS[kind].kind} {object_id}", op)
        except LiveKitApiError as exc:
            if exc.code != ServerErrorCode.NOT_FOUND:
                raise


class _NameIndex:
    """The live objects of each kind by name, listed once per application, only when a line
    is created: where a create finds what an interrupted run left with its autoname."""

    def __init__(self, lk: _Api) -> None:
        self._lk = lk
        self._lock = threading.Lock()
        self._by_kind: dict[str, dict[str, list[Any]]] = {}

    def find(self, kind: str, name: str) -> list[Any]:
        with self._lock:
            if kind not in self._by_kind:
                index: dict[str, list[Any]] = {}
                for item in self._lk.list(kind):
                    index.setdefault(item.name, []).append(item)
                self._by_kind[kind] = index
            return list(self._by_kind[kind].get(name, ()))


def _line_failure(exc: BaseException) -> str:
    if isinstance(exc, LiveKitSipError):
        return str(exc)
    return f"{type(exc).__name__}"


def _with_trunk(obj: DeclaredObject, trunk_id: str) -> DeclaredObject:
    """A rule's declaration once its trunk's ID is known."""
    if list(obj.spec.trunk_ids) == [trunk_id]:  # type: ignore[attr-defined]
        return obj
    spec = obj.spec.model_copy(update={"trunk_ids": [trunk_id]})
    return DeclaredObject(obj.kind, spec, _fingerprint(spec, ""), "", obj.adopt, obj.values)


class _Applier:
    def __init__(self, lk: _Api, names: _NameIndex) -> None:
        self.lk = lk
        self.names = names

    def _create(self, obj: DeclaredObject) -> Any:
        """Create one object exactly once: an object bearing its autoname is taken over; a
        create whose answer was lost is looked for by name before it is sent again."""
        kind, info = obj.kind, obj.spec.to_proto()
        id_field = _ID_FIELDS[kind]
        if obj.adopt:
            # An adopted object keeps its own name, as with the single resources' adopt_id.
            live = [i for i in self.lk.list(kind, [obj.adopt]) if getattr(i, id_field) == obj.adopt]
            if not live:
                raise LiveKitApiError(
                    f"cannot adopt {_SPECS[kind].kind} {obj.adopt}: it does not exist in this "
                    "LiveKit project. Remove it from the line's adopt to create a new one, or "
                    "check the ID.",
                    code=ServerErrorCode.NOT_FOUND,
                )
            info.name = live[0].name
            return self.lk.update(kind, obj.adopt, info)
        left = self.names.find(kind, info.name)
        if left:
            kept, *others = sorted(left, key=lambda item: getattr(item, id_field))
            for other in others:
                self.lk.delete(kind, getattr(other, id_field))
            log.warning(
                "%s '%s': taking over %s, left by an interrupted update of this stack",
                _SPECS[kind].kind,
                info.name,
                getattr(kept, id_field),
            )
            return self.lk.update(kind, getattr(kept, id_field), info)
        policy = RetryPolicy()
        give_up = time.monotonic() + self.lk.settings.deadline()
        last: LiveKitApiError | None = None
        for attempt in range(policy.attempts):
            try:
                return self.lk.create(kind, info)
            except LiveKitApiError as exc:
                if not exc.transient or exc.rate_limited:
                    raise
                last = exc
            mine = [item for item in self.lk.list(kind) if item.name == info.name]
            if mine:
                return mine[0]
            delay = policy.delay(attempt)
            if attempt + 1 >= policy.attempts or time.monotonic() + delay >= give_up:
                break
            time.sleep(delay)
        assert last is not None
        raise last

    def line(self, key: str, objects: Mapping[str, DeclaredObject], before: LineState) -> LineState:
        """Bring one line to its declaration; on failure, :class:`_LineFailed` carries what
        was done."""
        state = LineState(
            ids=dict(before.ids),
            names=dict(before.names),
            fingerprints=dict(before.fingerprints),
            digests=dict(before.digests),
        )
        try:
            for kind in KINDS:
                obj = objects.get(kind)
                if obj is None:
                    if kind in state.ids:  # the line no longer has this object
                        self.lk.delete(kind, state.ids[kind])
                        for record in (state.ids, state.names, state.fingerprints, state.digests):
                            record.pop(kind, None)
                    continue
                if kind == "dispatch":
                    obj = _with_trunk(obj, state.ids["inbound"])
                current = state.ids.get(kind)
                if current and state.fingerprints.get(kind) == obj.fingerprint:
                    continue
                if current:
                    try:
                        message = self.lk.update(kind, current, obj.spec.to_proto())
                    except LiveKitApiError as exc:
                        if exc.code != ServerErrorCode.NOT_FOUND:
                            raise
                        message = self._create(obj)  # deleted outside Pulumi: made again
                else:
                    message = self._create(obj)
                state.ids[kind] = getattr(message, _ID_FIELDS[kind])
                state.names[kind] = message.name
                fingerprint = obj.fingerprint
                if message.name != getattr(obj.spec, "name", ""):  # adopted: kept its own name
                    renamed = obj.spec.model_copy(update={"name": message.name})
                    fingerprint = _fingerprint(renamed, obj.digest)
                state.fingerprints[kind] = fingerprint
                if obj.digest:
                    state.digests[kind] = obj.digest
                else:
                    state.digests.pop(kind, None)
        except Exception as exc:
            raise _LineFailed(state, _line_failure(exc)) from None
        state.complete = True
        return state

    def remove(self, key: str, before: LineState) -> None:
        for kind in ("dispatch", "outbound", "inbound"):
            object_id = before.ids.get(kind)
            if object_id:
                self.lk.delete(kind, object_id)
                before.ids.pop(kind)


class _LineFailed(Exception):
    def __init__(self, state: LineState, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.message = message


def apply_plan(
    settings: LiveKitSettings,
    declared: Mapping[str, Mapping[str, DeclaredObject]],
    recorded: Mapping[str, LineState],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> PlanOutcome:
    """Bring LiveKit to the plan: lines added, changed and removed, ``concurrency`` lines at
    a time; a line that does not change makes no call. Never raises for a line: the outcome
    records each line's state and the failures."""
    changes = plan_changes(declared, recorded)
    lk = _Api(settings)
    applier = _Applier(lk, _NameIndex(lk))
    result: dict[str, LineState] = {k: v for k, v in recorded.items()}
    failures: dict[str, str] = {}
    lock = threading.Lock()

    def work(key: str) -> None:
        change = changes[key]
        try:
            if change == "remove":
                state = result[key]
                try:
                    applier.remove(key, state)
                except Exception as exc:
                    with lock:
                        failures[key] = _line_failure(exc)
                    return
                with lock:
                    result.pop(key, None)
                return
            done = applier.line(key, declared[key], recorded.get(key, LineState()))
            with lock:
                result[key] = done
        except _LineFailed as failed:
            with lock:
                result[key] = failed.state
                failures[key] = failed.message

    # Lines removed first, then lines changed, then lines added: a number that moves from one
    # line to another (or to a renamed line) is free before it is taken again, as the server
    # refuses two trunks taking one number.
    for phase in ("remove", "change", "add"):
        keys = sorted(k for k, change in changes.items() if change == phase)
        if keys:
            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(keys)))) as pool:
                list(pool.map(work, keys))
    ordered = {k: result[k] for k in sorted(result)}
    return PlanOutcome(ordered, failures, lk.calls)


def delete_plan(
    settings: LiveKitSettings,
    recorded: Mapping[str, LineState],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> PlanOutcome:
    """Delete every recorded object (rules before trunks); what could not be deleted stays."""
    return apply_plan(settings, {}, recorded, concurrency=concurrency)


def read_plan(
    settings: LiveKitSettings,
    recorded: Mapping[str, LineState],
    key_of_password: bytes | None,
) -> tuple[dict[str, LineState], dict[str, list[str]]]:
    """Refresh: each line's objects as LiveKit has them (one list per kind, by ID). An object
    gone is dropped (the line is then incomplete and the next `up` makes it again); one
    changed outside Pulumi gets the fingerprint of its live fields (the next `up` puts it
    back). Returns the new states and, by line, the kinds that drifted or went missing."""
    lk = _Api(settings)
    live: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        ids = sorted({s.ids[kind] for s in recorded.values() if kind in s.ids})
        found: dict[str, Any] = {}
        for start in range(0, len(ids), 500):
            for item in lk.list(kind, ids[start : start + 500]):
                found[getattr(item, _ID_FIELDS[kind])] = item
        live[kind] = found
    states: dict[str, LineState] = {}
    drift: dict[str, list[str]] = {}
    for key, state in recorded.items():
        new = LineState(
            ids=dict(state.ids),
            names=dict(state.names),
            fingerprints=dict(state.fingerprints),
            digests=dict(state.digests),
            complete=state.complete,
        )
        for kind, object_id in state.ids.items():
            item = live[kind].get(object_id)
            if item is None:
                for record in (new.ids, new.names, new.fingerprints):
                    record.pop(kind, None)
                new.complete = False
                drift.setdefault(key, []).append(f"{kind} missing")
                continue
            digest = state.digests.get(kind, "")
            password = getattr(item, PASSWORD_FIELD, "") if kind != "dispatch" else ""
            if password and key_of_password is not None:
                digest = digest_for(password, key_of_password, digest)
                new.digests[kind] = digest
            elif not password:
                new.digests.pop(kind, None)
                digest = ""
            fingerprint = _live_fingerprint(kind, item, digest)
            new.names[kind] = item.name
            if fingerprint != state.fingerprints.get(kind):
                new.fingerprints[kind] = fingerprint
                drift.setdefault(key, []).append(f"{kind} changed")
        states[key] = new
    return states, drift


def recorded_lines(outputs: Mapping[str, Any]) -> dict[str, LineState]:
    """The lines the outputs record (``objects`` and the secret ``digests``)."""
    lines = outputs.get("objects") or {}
    digests = outputs.get("digests") or {}
    if not isinstance(lines, Mapping):
        return {}
    return {
        str(k): LineState.from_output(v, (digests or {}).get(k) or {})
        for k, v in lines.items()
        if isinstance(v, Mapping)
    }


def line_outputs(states: Mapping[str, LineState]) -> dict[str, Any]:
    """``objects`` and ``digests`` outputs for ``states``."""
    return {
        "objects": {k: s.to_output() for k, s in sorted(states.items())},
        "digests": {k: dict(s.digests) for k, s in sorted(states.items()) if s.digests},
    }


def ids_of(objects: Iterable[LineState]) -> set[str]:
    return {object_id for state in objects for object_id in state.ids.values()}
