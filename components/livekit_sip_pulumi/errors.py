"""Errors raised by the components. One base class, so callers can catch them all."""

from __future__ import annotations

__all__ = [
    "CredentialsError",
    "LiveKitApiError",
    "LiveKitSipError",
    "SpecError",
]

TROUBLESHOOTING_URL = "https://docs.livekit.io/reference/telephony/troubleshooting/"


class LiveKitSipError(Exception):
    """Base class of every error this package raises on purpose."""


class SpecError(LiveKitSipError):
    """A resource's inputs are not a valid LiveKit SIP object.

    ``problems`` holds ``(field, message)`` pairs; ``field`` uses the protocol's names with
    dots for nesting (``rule.dispatch_rule_individual.pin``).
    """

    def __init__(self, kind: str, problems: list[tuple[str, str]]) -> None:
        self.kind = kind
        self.problems = problems
        lines = "\n".join(f"  - {field}: {message}" for field, message in problems)
        super().__init__(f"invalid {kind}:\n{lines}")


class CredentialsError(LiveKitSipError):
    """No usable LiveKit URL, API key or API secret."""


class LiveKitApiError(LiveKitSipError):
    """A LiveKit API call failed. ``code`` is the Twirp code (``not_found``, ...); ``transient``
    says whether the same call may succeed later (5xx, 429, timeouts, unreachable server)."""

    def __init__(
        self, message: str, *, code: str, status: int | None = None, transient: bool = False
    ) -> None:
        self.code = code
        self.status = status
        self.transient = transient
        super().__init__(message)
