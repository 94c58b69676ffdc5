"""``livekit-sip export``: the live project as a Pulumi program that adopts every object.

Each object becomes a ``SipInboundTrunk`` / ``SipOutboundTrunk`` / ``SipDispatchRule`` with
``adopt_id`` set to its ID and every field that differs from the default, written from the
components' own conversion of the protocol message (``Sip*Spec.outputs_from_proto``): the first
``pulumi up`` adopts the objects as they are (IDs kept), and a ``pulumi preview`` after it shows
no changes.

Passwords are never written into the program: a trunk with a password reads it from the stack's
config (``config.require_secret``), set with ``pulumi config set --secret``. Leaving it unset
fails the preview with Pulumi's "missing required configuration" message rather than blanking
the password in LiveKit.

LiveKit lets several objects of a kind share a name; a stack refuses that (``inputs.py``). Such
objects are declared without ``name``, with a comment saying so: adopted without a declared
name, each keeps the name LiveKit holds. Resource names are unique (``dup``, ``dup-2``, ...).

For programs in other languages, the folder also holds ``import.json``, Pulumi's bulk import
file (``pulumi import --file import.json``): one entry per object, the provider plugin's type
token (``livekit_sip_core.PLUGIN_TYPES``), the same resource name as in ``__main__.py`` and the
object's ID. The engine reads each object through the plugin and writes its declaration in the
project's language. LiveKit's names reach the file only as slugs (letters, digits and ``-``,
starting with a letter), so any name is a valid resource name in every language.
"""

from __future__ import annotations

import json
import keyword
import pprint
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from livekit_sip_core import PASSWORD_FIELD, PLUGIN_TYPES, printable
from livekit_sip_core.names import camel_case, password_config_key

from ..errors import SpecError
from ..specs import validate_spec
from .common import ApiKey, ApiSecret, Progress, Url, cannot_run, credentials, err, fetch, shown
from .live import DISPATCH, INBOUND, OUTBOUND, LiveObject, LiveProject

__all__ = ["IMPORT_FILE", "ExportedObject", "export", "import_file", "plan_export", "write_program"]

#: The bulk import file ``livekit-sip export`` writes beside the program.
IMPORT_FILE = "import.json"


@dataclass
class ExportedObject:
    obj: LiveObject
    resource_name: str
    variable: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: config key of the password, when the object has one
    password_key: str | None = None
    #: (field, message) the components would refuse at preview
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: IDs of the other objects of its kind that LiveKit holds under the same name: ``name`` is
    #: then left out of the declaration (a stack gives each object of a kind its own name), and
    #: the adopted object keeps the name LiveKit holds
    name_shared_with: list[str] = field(default_factory=list)

    def shared_name_note(self) -> str:
        """Why ``name`` is not declared (one line), or ''."""
        if not self.name_shared_with:
            return ""
        kind = self.obj.kind.label
        others = ", ".join(self.name_shared_with)
        return (
            f"name not declared: LiveKit holds the name {self.obj.name!r} on this {kind} and on "
            f"{others}, and a stack gives each {kind} its own name; adopted without one, it keeps "
            "the name LiveKit holds. Give the objects names of their own (in LiveKit, or with "
            "name=... here) to manage the names in this program."
        )


# Values LiveKit holds (names, metadata, messages quoting them) go into comments, the docstring
# and README.md through livekit_sip_core.printable: on one line, where a line break would start
# a statement or a Markdown block of the object's choosing.


def _comment(text: str) -> str:
    return f"# {printable(text)}"


def _wrapped_comment(text: str, width: int = 96) -> list[str]:
    """``text`` as comment lines of at most ``width`` characters (words kept whole)."""
    lines: list[str] = []
    for word in printable(text).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append("# " + word)
    return lines


def _docstring_text(text: str) -> str:
    """``text`` inside the program's triple-quoted docstring: one line, quotes and
    backslashes escaped (it cannot close the docstring)."""
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def _markdown(text: str) -> str:
    """``text`` as literal Markdown on one line (no link, HTML, code or emphasis of its own)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", printable(text))


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text)


def _slug(text: str) -> str:
    """A resource name from ``text``: lowercase letters, digits and ``-``, starting with a
    letter (a name that starts with a digit is no identifier in the generated programs)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    if slug[:1].isdigit():
        slug = f"sip-{slug}"
    return slug or "object"


def _variable(resource_name: str, taken: set[str]) -> str:
    base = re.sub(r"[^0-9a-zA-Z_]", "_", resource_name).strip("_").lower() or "obj"
    if base[0].isdigit() or keyword.iskeyword(base) or base in {"pulumi", "config", "keep"}:
        base = f"obj_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def plan_export(project: LiveProject) -> list[ExportedObject]:
    """What the program declares for each object (no file written)."""
    names: set[str] = set()
    variables: set[str] = set()
    planned: list[ExportedObject] = []
    for kind in (INBOUND, OUTBOUND, DISPATCH):
        defaults = kind.spec_class.model_construct().outputs()
        holders: dict[str, list[str]] = {}
        for obj in project.of(kind):
            if obj.name:
                holders.setdefault(obj.name, []).append(obj.id)
        for obj in project.of(kind):
            base = _slug(obj.name) if obj.name else _slug(obj.id)
            resource_name, n = base, 2
            while resource_name in names:
                resource_name, n = f"{base}-{n}", n + 1
            names.add(resource_name)
            # obj.props: the components' outputs of the message, its ID, a password redacted.
            values = obj.props
            kwargs = {
                k: v
                for k, v in values.items()
                if v != defaults.get(k) and k not in (PASSWORD_FIELD, kind.id_field)
            }
            entry = ExportedObject(obj, resource_name, _variable(resource_name, variables), kwargs)
            entry.name_shared_with = [i for i in holders.get(obj.name, ()) if i != obj.id]
            if entry.name_shared_with:
                # The components refuse two objects of a kind with one name in a stack; without
                # `name`, an adopted object keeps its own (the provider's check and diff).
                kwargs.pop("name", None)
            if values.get(PASSWORD_FIELD):
                entry.password_key = password_config_key(resource_name)
            checked = dict(kwargs)
            if entry.password_key:
                checked[PASSWORD_FIELD] = "set-from-config"
            try:
                validate_spec(kind.spec_class, checked)
            except SpecError as exc:
                entry.problems = list(exc.problems)
            planned.append(entry)
    return planned


def _literal(value: Any, indent: int) -> str:
    text = pprint.pformat(value, width=96 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def _trunk_ids(ids: Sequence[str], variables: Mapping[str, str]) -> str:
    items = [f"{variables[i]}.sip_trunk_id" if i in variables else repr(i) for i in ids]
    return "[" + ", ".join(items) + "]"


def render_program(project: LiveProject, planned: list[ExportedObject]) -> str:
    trunk_vars = {e.obj.id: e.variable for e in planned if e.obj.kind is INBOUND}
    classes = sorted({e.obj.kind.component for e in planned})
    lines = [
        f'"""The SIP objects of the LiveKit project {_docstring_text(project.url)}, exported by '
        "`livekit-sip export`",
        f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: each object is adopted "
        "(adopt_id) with the fields LiveKit holds.",
        "",
        "Fields left out are at their defaults: an adopted object is set to what the program",
        "declares. See README.md in this folder.",
        '"""',
        "",
        "import pulumi",
    ]
    if classes:
        lines.append(f"from livekit_sip_pulumi import {', '.join(classes)}")
    lines += [
        "",
        "config = pulumi.Config()",
        "# Adopted objects stay in LiveKit when they leave the program or the stack is destroyed;",
        "# drop retain_on_delete once the stack owns them.",
        "keep = pulumi.ResourceOptions(retain_on_delete=True)",
    ]
    for entry in planned:
        obj = entry.obj
        lines += ["", _comment(obj.label)]
        if entry.name_shared_with:
            lines += _wrapped_comment(entry.shared_name_note())
        for problem_field, message in entry.problems:
            lines.append(
                _comment(f"TODO: {problem_field}: {message}")[:400]
                + " (the components refuse this at preview: fix it here and in LiveKit)"
            )
        if entry.password_key:
            lines += [
                "# TODO: the password is not exported. Set it before the first preview:",
                f"#   pulumi config set --secret {entry.password_key}",
            ]
        lines.append(f"{entry.variable} = {obj.kind.component}(")
        lines.append(f"    {entry.resource_name!r},")
        for key, value in entry.kwargs.items():
            if key == "trunk_ids":
                lines.append(f"    trunk_ids={_trunk_ids(value, trunk_vars)},")
            else:
                lines.append(f"    {key}={_literal(value, 4)},")
        if entry.password_key:
            lines.append(f"    {PASSWORD_FIELD}=config.require_secret({entry.password_key!r}),")
        lines.append(f"    adopt_id={obj.id!r},")
        lines.append("    opts=keep,")
        lines.append(")")
    if planned:
        lines.append("")
    for entry in planned:
        attribute = entry.obj.kind.id_field
        lines.append(f"pulumi.export({entry.resource_name!r}, {entry.variable}.{attribute})")
    return "\n".join(lines) + "\n"


def import_file(planned: Sequence[ExportedObject]) -> dict[str, Any]:
    """Pulumi's bulk import file (``pulumi import --file``): each object by the plugin's type
    token, its resource name and its ID."""
    plugin_type = {dynamic: plugin for plugin, dynamic in PLUGIN_TYPES.items()}
    return {
        "resources": [
            {"type": plugin_type[e.obj.kind.type_token], "name": e.resource_name, "id": e.obj.id}
            for e in planned
        ]
    }


def password_instructions(entry: ExportedObject) -> str:
    """What to do about an imported trunk's password (one line, no value): it is not in the
    code ``pulumi import`` writes, whose preview refuses the trunk until it is declared."""
    key = entry.password_key
    field = camel_case(PASSWORD_FIELD)
    return (
        f"{field} of {entry.resource_name} is not imported (never written out): "
        f"`pulumi config set --secret {key}` and declare {field} from it (YAML: "
        f"`{field}: ${{{key}}}` and `{key}: {{type: string, secret: true}}` under config:); "
        "until then the preview refuses the trunk"
    )


def _pulumi_yaml(project_name: str, url: str, virtualenv: str) -> str:
    return (
        f"name: {project_name}\n"  # letters, digits, "-", "_" and "." (checked)
        "description: "
        + _yaml_string(
            f"The SIP objects of the LiveKit project {url}, adopted with livekit-sip-pulumi."
        )
        + "\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {_yaml_string(virtualenv)}\n"
    )


_REQUIREMENTS = """\
# What this program needs. livekit-sip-pulumi is not on PyPI: install it from a checkout of its
# repository along with this file:
#   venv/bin/pip install -r requirements.txt /path/to/livekit-sip-pulumi
pulumi>=3.221,<4
"""


def _readme(project: LiveProject, planned: list[ExportedObject]) -> str:
    passwords = [e for e in planned if e.password_key]
    problems = [e for e in planned if e.problems]
    lines = [
        "# LiveKit SIP objects under Pulumi",
        "",
        f"Exported by `livekit-sip export` from {_markdown(project.url)}: "
        f"{len(project.of(INBOUND))} inbound trunks, {len(project.of(OUTBOUND))} outbound "
        f"trunks, {len(project.of(DISPATCH))} dispatch rules. Every object is declared with "
        "`adopt_id`: the first `pulumi up` takes it over as it is and keeps its ID; nothing is "
        "created or deleted.",
        "",
        "```sh",
        "python3 -m venv venv",
        "venv/bin/pip install -r requirements.txt /path/to/livekit-sip-pulumi",
        "pulumi stack init production",
        "pulumi config set livekit:url <https://your-project.livekit.cloud>",
        "pulumi config set livekit:apiKey <key>",
        "pulumi config set --secret livekit:apiSecret <secret>",
    ]
    lines += [f"pulumi config set --secret {e.password_key}   # prompts" for e in passwords]
    lines += [
        "pulumi preview    # every object: create (adopt), with its ID",
        "pulumi up",
        "pulumi preview    # no changes",
        "```",
        "",
        "## Passwords",
        "",
        "Trunk passwords are never written into the program. Each trunk with a password reads "
        "it from a secret of the stack's config (`config.require_secret(...)`), which you set "
        "once with `pulumi config set --secret` (the value LiveKit holds, from your SIP "
        "provider). Adoption writes the declared fields to the object, so an unset password "
        "fails the preview (Pulumi names the missing key) instead of blanking the password.",
    ]
    if passwords:
        lines += [""] + [f"- `{e.password_key}`: {_markdown(e.obj.label)}" for e in passwords]
    shared = [e for e in planned if e.name_shared_with]
    if shared:
        lines += [
            "",
            "## Objects that share a name",
            "",
            "LiveKit lets several objects of a kind have one name; a stack gives each its own. "
            "These objects are declared without `name` (a comment in `__main__.py` marks each): "
            "adopted so, each keeps the name LiveKit holds. Rename them apart, in LiveKit or "
            "with `name=...` in the program, to manage their names here.",
            "",
        ]
        lines += [
            f"- {_markdown(e.obj.label)}: also {_markdown(', '.join(e.name_shared_with))}"
            for e in shared
        ]
    if problems:
        lines += [
            "",
            "## To fix before the first preview",
            "",
            "LiveKit holds values the components refuse (a `# TODO` comment marks each in "
            "`__main__.py`); fix them here (and in LiveKit, or let adoption write them):",
            "",
        ]
        for entry in problems:
            for problem_field, message in entry.problems:
                lines.append(
                    f"- {_markdown(entry.obj.label)}: `{problem_field}`: {_markdown(message)}"
                )
    lines += [
        "",
        "## Other languages: `pulumi import`",
        "",
        f"`{IMPORT_FILE}` is Pulumi's bulk import file for the `livekit-sip` provider plugin "
        "(types `livekit-sip:index:...`, the resource names above, the objects' IDs). In a "
        "project of any language whose `Pulumi.yaml` names the plugin (`packages:`, see "
        "livekit-sip-pulumi's README, \"Other languages\"):",
        "",
        "```sh",
        f"pulumi import --file {IMPORT_FILE} --protect=false --out imported-code --yes",
        "pulumi preview --expect-no-changes   # once the code is in the program",
        "```",
        "",
        "The engine reads each object through the plugin and writes its declaration; the "
        "objects keep their IDs and fields.",
    ]
    if passwords:
        lines += ["", "Passwords are not imported (LiveKit's value is never written out):", ""]
        lines += [f"- {_markdown(password_instructions(e))}" for e in passwords]
    lines += [
        "",
        "`retain_on_delete` keeps the objects in LiveKit if they leave the program or the "
        "stack is destroyed; drop it once the stack owns them. Run `livekit-sip doctor` or "
        "`pulumi preview --policy-pack <livekit-sip-pulumi>/policies` to check them.",
    ]
    return "\n".join(lines) + "\n"


def write_program(
    project: LiveProject, folder: Path, project_name: str, virtualenv: str
) -> list[ExportedObject]:
    planned = plan_export(project)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__main__.py").write_text(render_program(project, planned), encoding="utf-8")
    (folder / "Pulumi.yaml").write_text(
        _pulumi_yaml(project_name, project.url, virtualenv), encoding="utf-8"
    )
    (folder / "requirements.txt").write_text(_REQUIREMENTS, encoding="utf-8")
    (folder / "README.md").write_text(_readme(project, planned), encoding="utf-8")
    (folder / IMPORT_FILE).write_text(
        json.dumps(import_file(planned), indent=2) + "\n", encoding="utf-8"
    )
    return planned


def export(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="The folder to write the program into.", file_okay=False
        ),
    ],
    project_name: Annotated[
        str, typer.Option("--project-name", help="name: in Pulumi.yaml.")
    ] = "livekit-sip",
    virtualenv: Annotated[
        str, typer.Option("--virtualenv", help="virtualenv: in Pulumi.yaml (the project's Python).")
    ] = "venv",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the program files in a non-empty folder.")
    ] = False,
    url: Url = "",
    api_key: ApiKey = "",
    api_secret: ApiSecret = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Write the live project as a Pulumi program (folder: __main__.py with the components
    and adopt_id on each object, Pulumi.yaml, requirements.txt, README.md) and Pulumi's bulk
    import file for the other languages (import.json, `pulumi import --file`). Passwords are
    read from the stack's config, never written. Exit code 2 when it cannot run."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", project_name):
        cannot_run(f"--project-name '{project_name}': letters, digits, '-', '_' and '.' only")
    if output.exists() and any(output.iterdir()) and not force:
        cannot_run(f"--output {output} is not empty: choose a new folder or pass --force")
    project = fetch(credentials(url, api_key, api_secret), Progress(quiet))
    planned = write_program(project, output, project_name, virtualenv)
    console = err()
    console.print(
        shown(f"wrote {output}/ ({len(planned)} objects to adopt; {IMPORT_FILE} for pulumi import)")
    )
    for entry in planned:
        label = entry.obj.label
        if entry.password_key:
            console.print(shown(f"  {label}: pulumi config set --secret {entry.password_key}"))
            console.print(shown(f"    {IMPORT_FILE}: {password_instructions(entry)}"))
        if entry.name_shared_with:
            others = ", ".join(entry.name_shared_with)
            console.print(
                shown(f"  {label}: name not declared (shared with {others}); it keeps it")
            )
        for problem_field, message in entry.problems:
            console.print(shown(f"  TODO {label}: {problem_field}: {message}"))
