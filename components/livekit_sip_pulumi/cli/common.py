"""What every command shares: the credential options, the consoles, progress, exit codes.

Everything LiveKit holds (names, metadata, headers, attributes, room names, the server's error
messages) is untrusted: it reaches a console only through :func:`shown` (or
:func:`livekit_sip_core.printable` for plain text), one line with its control characters
escaped, and the consoles read no Rich markup or emoji codes in it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from livekit_sip_core import printable
from pydantic import SecretStr
from rich.console import Console
from rich.text import Text

from .live import ENV_KEY, ENV_SECRET, ENV_URL, CannotRun, Credentials, Kind, LiveProject
from .live import fetch_project as _fetch

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "ApiKey",
    "ApiSecret",
    "Progress",
    "Url",
    "cannot_run",
    "credentials",
    "err",
    "fetch",
    "out",
    "shown",
]

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2

Url = Annotated[
    str,
    typer.Option(
        "--url", envvar=ENV_URL, help="LiveKit project URL.", show_default=False, metavar="URL"
    ),
]
ApiKey = Annotated[
    str,
    typer.Option("--api-key", envvar=ENV_KEY, help="LiveKit API key.", show_default=False),
]
ApiSecret = Annotated[
    str,
    typer.Option(
        "--api-secret",
        envvar=ENV_SECRET,
        help="LiveKit API secret (prefer the environment variable; never printed).",
        show_default=False,
    ),
]


def out() -> Console:
    """stdout: the command's result (alone, with --json)."""
    return Console(highlight=False, markup=False, emoji=False, soft_wrap=True)


def err() -> Console:
    """stderr: progress, logs, errors."""
    return Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def shown(value: object, style: str = "") -> Text:
    """``value`` (text LiveKit holds, or a message quoting it) for a console: on one line, its
    control characters escaped (:func:`livekit_sip_core.printable`: ``\\x1b``, ``\\n``), Rich
    markup such as ``[bold red]`` printed as it is."""
    return Text(printable(str(value)), style=style)


def credentials(url: str, api_key: str, api_secret: str) -> Credentials:
    return Credentials(url=url.strip(), api_key=api_key.strip(), api_secret=SecretStr(api_secret))


def cannot_run(message: str) -> NoReturn:
    err().print(shown(f"error: {message}"))
    raise typer.Exit(EXIT_CANNOT_RUN)


class Progress:
    """A spinner on a terminal, plain lines otherwise (logs, CI, the bench): on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.console = err()
        self.quiet = quiet
        self._status: Any = None
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        if self.quiet:
            return
        text = printable(text)
        if self.console.is_terminal:
            if self._status is None:
                self._status = self.console.status(text)
                self._status.start()
            else:
                self._status.update(text)
        else:
            self.console.print(f"[{time.perf_counter() - self.started:6.2f}s] {text}")

    def done(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    @contextmanager
    def running(self) -> Iterator[Progress]:
        try:
            yield self
        finally:
            self.done()


def fetch(
    creds: Credentials, progress: Progress, fail: Callable[[str], NoReturn] = cannot_run
) -> LiveProject:
    """The live project, with progress per kind; when it cannot be listed, ``fail`` (exit
    code 2) with the reason."""
    progress.step(f"listing the SIP objects of {creds.url} ...")

    def listed(kind: Kind, count: int) -> None:
        progress.step(f"listed {count} {kind.label}s")

    try:
        return _fetch(creds, listed)
    except CannotRun as exc:
        progress.done()
        fail(str(exc))
    finally:
        progress.done()
