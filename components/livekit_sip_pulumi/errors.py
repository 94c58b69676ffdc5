"""Errors raised by the components. One base class, so callers can catch them all.

Nothing here imports the Pulumi SDK (the engine, :mod:`.engine`, raises these errors and runs
without it). :class:`InputError`, a ``pulumi.RunError``, is defined in :mod:`.inputs`, where the
program's inputs are checked, and importable from here as well."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from livekit.api.twirp_client import ServerErrorCode

if TYPE_CHECKING:
    from .inputs import InputError

__all__ = [
    "CredentialsError",
    "InputError",
    "LiveKitApiError",
    "LiveKitSipError",
    "Problem",
    "SpecError",
]


class LiveKitSipError(Exception):
    """Base class of every error this package raises on purpose."""


class Problem(NamedTuple):
    """One thing wrong with an input: where (``field``), what and how to fix it (``message``),
    and a stable error type (``code``, e.g. ``e164_number``, ``pin_digits``, ``bool_type``)
    that tests and callers can match on."""

    field: str
    message: str
    code: str = "invalid"


def _problems(problems: Iterable[Sequence[str]]) -> list[Problem]:
    return [p if isinstance(p, Problem) else Problem(*p) for p in problems]


class SpecError(LiveKitSipError):
    """A resource's inputs are not a valid LiveKit SIP object.

    ``problems`` holds ``(field, message)`` pairs; ``field`` uses the protocol's names with
    dots for nesting (``rule.dispatch_rule_individual.pin``). ``details`` holds the same as
    :class:`Problem` with the error type of each.
    """

    def __init__(self, kind: str, problems: Iterable[Sequence[str]]) -> None:
        self.kind = kind
        self.details = _problems(problems)
        self.problems = [(p.field, p.message) for p in self.details]
        lines = "\n".join(f"  - {field}: {message}" for field, message in self.problems)
        super().__init__(f"invalid {kind}:\n{lines}")

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.details]


class CredentialsError(LiveKitSipError):
    """No usable LiveKit URL, API key or API secret. ``missing``: the config keys not set
    (``livekit:url``, ...); else ``key`` is the one set wrong, ``value`` its value (never the
    secret's) and ``problem`` what is wrong with it: for callers that word it their way."""

    def __init__(
        self,
        message: str,
        *,
        missing: tuple[str, ...] = (),
        key: str = "",
        value: str = "",
        problem: str = "",
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.key = key
        self.value = value
        self.problem = problem


class LiveKitApiError(LiveKitSipError):
    """A LiveKit API call failed. ``code`` is the Twirp code (``ServerErrorCode.NOT_FOUND``,
    ...); ``transient`` says whether the same call may succeed later (5xx, 429, timeouts,
    unreachable server); ``attempts`` is how many requests were sent (0 when not known);
    ``retry_after`` the seconds the server asked to wait before the next one (``Retry-After``),
    when it asked."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        transient: bool = False,
        attempts: int = 0,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.transient = transient
        self.attempts = attempts
        self.retry_after = retry_after
        super().__init__(message)

    @property
    def rate_limited(self) -> bool:
        """LiveKit refused the request for its rate limit (429): it was not carried out."""
        return self.status == 429 or self.code == ServerErrorCode.RESOURCE_EXHAUSTED


def __getattr__(name: str) -> Any:
    # InputError subclasses pulumi.RunError: it is imported when asked for, so that importing
    # this module does not import the Pulumi SDK.
    if name == "InputError":
        from .inputs import InputError

        return InputError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
