"""``livekit-sip``: troubleshoot a live LiveKit project with the pack's knowledge, no Pulumi.

Commands: ``doctor`` (every rule of the pack over the project's trunks and dispatch rules),
``route`` (the routing simulator over the project), ``map`` (its routing map) and ``export``
(the project as a Pulumi program that adopts every object); ``call`` and ``test-calls`` place
real SIP calls on a local replica of a Pulumi stack (:mod:`livekit_sip_pulumi.telephony`,
Linux, root: a private network namespace). Credentials as LiveKit's tools
read them: ``LIVEKIT_URL``, ``LIVEKIT_API_KEY``, ``LIVEKIT_API_SECRET`` or ``--url``,
``--api-key``, ``--api-secret``. Exit codes: 0 fine, 1 problems found, 2 cannot run.
Documented in docs/cli.md.
"""

from __future__ import annotations

import sys
import traceback
import warnings
from typing import Any

import typer
from livekit_sip_core import printable
from typer.core import TyperGroup

from . import doctor, export, map, route
from .common import cannot_run

__all__ = ["app", "main"]

#: The telephony commands (name -> function in :mod:`livekit_sip_pulumi.telephony.cli`): that
#: module needs Linux network namespaces and fails to import elsewhere, so it is imported when
#: one of them is asked for (run or --help), and never for doctor, route, map or export.
TELEPHONY_COMMANDS = {"call": "call", "test-calls": "test_calls"}


def _telephony_command(name: str) -> Any:
    """The click command ``name`` of the telephony commands, or, where they cannot be imported
    (not Linux), one that says why and exits with code 2."""
    single = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
    try:
        from ..telephony import cli as telephony
    except ImportError as exc:
        reason = str(exc)

        @single.command(
            name,
            help=f"Not available here: {reason}.",
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
            add_help_option=False,
        )
        def unavailable(ctx: typer.Context) -> None:
            cannot_run(f"livekit-sip {name}: {reason}")

    else:
        single.command(name)(getattr(telephony, TELEPHONY_COMMANDS[name]))
    command = typer.main.get_command(single)
    command.name = name
    return command


class _Commands(TyperGroup):
    """The commands, the telephony ones loaded on demand (see :data:`TELEPHONY_COMMANDS`)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *TELEPHONY_COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in TELEPHONY_COMMANDS:
            return _telephony_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="livekit-sip",
    cls=_Commands,
    help=(
        "Troubleshoot a live LiveKit SIP project: check it against the pack's rules (doctor), "
        "simulate a call (route), draw its routing (map), export it as a Pulumi program "
        "(export); place real SIP calls on a local replica of a stack (call, test-calls). "
        "Credentials: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET or "
        "--url/--api-key/--api-secret. Exit codes: 0 fine, 1 problems found, 2 cannot run."
    ),
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables could hold the API secret: never shown.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("doctor")(doctor.doctor)
app.command("route")(route.route)
app.command("map")(map.map_command)
app.command("export")(export.export)


def _print_traceback(exc: BaseException) -> None:
    """The traceback on stderr, each exception's message on one line, escaped: it may quote
    what LiveKit holds (a line break or an escape sequence of its own)."""
    for chunk in traceback.format_exception(exc):
        if chunk.startswith(("  File ", "\n")):
            # A frame (a file, a line of this package's code), or the text between two
            # exceptions of a chain: lines of their own.
            for line in chunk.rstrip("\n").split("\n"):
                print(printable(line), file=sys.stderr)
        else:
            print(printable(chunk.rstrip("\n")), file=sys.stderr)


def main() -> None:
    """The ``livekit-sip`` console script. An unexpected failure is exit code 2 ("cannot run"),
    not 1 (which means "findings"); its traceback shows no local variables."""
    # PyJWT warns on every token signed with a short secret, such as the dev server's 'secret':
    # noise on stderr around the report, and nothing the user of this command can act on here.
    warnings.filterwarnings("ignore", message=r"The HMAC key is \d+ bytes long")
    try:
        app()
    except Exception as exc:
        _print_traceback(exc)
        print(
            "error: livekit-sip failed unexpectedly (above); please report it with the command "
            "you ran",
            file=sys.stderr,
        )
        sys.exit(2)
