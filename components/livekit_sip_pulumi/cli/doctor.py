"""``livekit-sip doctor``: every rule of the pack over a live LiveKit project."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.text import Text

from .analysis import JSON_SCHEMA_ID, Report, Reported, analyze, load_config, rule_settings
from .common import (
    EXIT_CANNOT_RUN,
    ApiKey,
    ApiSecret,
    Progress,
    Url,
    credentials,
    err,
    fetch,
    out,
    shown,
)
from .live import KINDS, CannotRun, LiveObject, LiveProject

__all__ = ["doctor", "report_json"]

_STYLE = {"mandatory": "bold red", "remediate": "bold red", "advisory": "yellow"}


def report_json(project: LiveProject, report: Report) -> dict[str, Any]:
    """The ``--json`` document (schema ``livekit-sip-doctor/v1``, docs/cli.md)."""
    objects: list[dict[str, Any]] = []
    for obj in project.all():
        found = report.findings.get(obj.id)
        if found:
            objects.append(
                {
                    "id": obj.id,
                    "kind": obj.kind.key,
                    "name": obj.name,
                    "findings": [r.as_json() for r in found],
                }
            )
    levels = {level: report.count([level]) for level in ("mandatory", "remediate", "advisory")}
    return {
        "schema": JSON_SCHEMA_ID,
        "url": project.url,
        "counts": project.counts(),
        "objects": objects,
        "project_findings": [r.as_json() for r in report.project],
        "errors": [
            {"rule": rule_id, "id": object_id, "error": error}
            for rule_id, object_id, error in report.errors
        ],
        "summary": {
            "findings": sum(levels.values()),
            **levels,
            "objects_with_findings": len(objects),
            "rules_run": report.rules_run,
            "exit_code": report.exit_code,
        },
        "timings": {
            "list_seconds": round(project.list_seconds, 3),
            "list_calls": project.list_calls,
            "analysis_seconds": round(report.analysis_seconds, 3),
        },
    }


def _finding_text(reported: Reported) -> Text:
    rule, finding = reported.rule, reported.finding
    text = Text("  ")
    text.append(f"{rule.id}", style="bold")
    text.append(" [")
    text.append(reported.level, style=_STYLE.get(reported.level, ""))
    text.append(f", {rule.severity.value}] ")
    if finding.field:
        text.append_text(shown(f"{finding.field}: ", style="cyan"))
    text.append_text(shown(finding.message))
    text.append(f"\n    Fix: {rule.remediation}\n    See: {rule.url}", style="dim")
    return text


def _print_report(project: LiveProject, report: Report) -> None:
    console = out()
    counts = ", ".join(f"{len(project.of(k))} {k.label}s" for k in KINDS)
    console.print(shown(f"LiveKit project {project.url}: {counts}"))
    listed: list[LiveObject] = [o for o in project.all() if report.findings.get(o.id)]
    for obj in listed:
        console.print()
        console.print(shown(obj.label, style="bold"))
        for reported in report.findings[obj.id]:
            console.print(_finding_text(reported))
    if report.project:
        console.print()
        console.print(Text("the project as a whole", style="bold"))
        for reported in report.project:
            console.print(_finding_text(reported))
    console.print()
    mandatory = report.blocking
    advisory = report.count(["advisory"])
    if not mandatory and not advisory:
        console.print(
            Text(
                f"No problems found: {report.rules_run} rules over {len(project.all())} objects.",
                style="green",
            )
        )
        return
    console.print(
        Text(
            f"{mandatory} finding(s) at mandatory level, {advisory} advisory, on "
            f"{len(listed)} object(s) of {len(project.all())} ({report.rules_run} rules).",
            style="bold red" if mandatory else "yellow",
        )
    )


def doctor(
    url: Url = "",
    api_key: ApiKey = "",
    api_secret: ApiSecret = "",
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help=(
                "Rule configuration: the JSON `pulumi preview --policy-pack-config` takes "
                "(levels, agentNames, exemptResources with object IDs or names or glob "
                "patterns of them, ...)."
            ),
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the findings as JSON (docs/cli.md) on stdout, alone."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Check every inbound trunk, outbound trunk and dispatch rule of a LiveKit project
    against the pack's rules. Read-only. Exit code: 0 clean (or advisory findings only),
    1 findings at mandatory level, 2 cannot run (credentials, network, bad --config)."""
    try:
        settings = rule_settings(load_config(config))
        creds = credentials(url, api_key, api_secret)
    except CannotRun as exc:
        _fail(str(exc), as_json)
    progress = Progress(quiet)
    with progress.running():
        project = fetch(creds, progress, lambda message: _fail(message, as_json))
        enabled = sum(1 for s in settings if s.level != "disabled")
        progress.step(f"running {enabled} rules over {len(project.all())} objects ...")
        report = analyze(project.all(), settings)
        progress.step(
            f"listed in {project.list_seconds:.2f}s ({project.list_calls} list calls), "
            f"analysed in {report.analysis_seconds:.2f}s"
        )
    for rule_id, object_id, error in report.errors:
        where = f" on {object_id}" if object_id else ""
        err().print(shown(f"warning: rule {rule_id} could not check{where}: {error}"))
    if as_json:
        sys.stdout.write(json.dumps(report_json(project, report), indent=2) + "\n")
    else:
        _print_report(project, report)
    raise typer.Exit(report.exit_code)


def _fail(message: str, as_json: bool) -> NoReturn:
    err().print(shown(f"error: {message}"))
    if as_json:
        document = {"schema": JSON_SCHEMA_ID, "error": message, "exit_code": EXIT_CANNOT_RUN}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    raise typer.Exit(EXIT_CANNOT_RUN)
