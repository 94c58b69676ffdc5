"""LiveKit credentials, one call helper, and the mapping of LiveKit errors to clear messages.

Credentials come from the stack config (``livekit:url``, ``livekit:apiKey``,
``livekit:apiSecret``) or, when a key is not set there, from LiveKit's own environment variables
(``LIVEKIT_URL``, ``LIVEKIT_API_KEY``, ``LIVEKIT_API_SECRET``). They live only in the provider
process: never in the pickled provider, in state, in messages or in exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from livekit import api
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import TROUBLESHOOTING_URL, CredentialsError, LiveKitApiError

__all__ = [
    "CONFIG_KEYS",
    "LiveKitSettings",
    "RetryPolicy",
    "call_livekit",
    "settings_from_config",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Stack config key -> settings field.
CONFIG_KEYS = {
    "livekit:url": "url",
    "livekit:apiKey": "api_key",
    "livekit:apiSecret": "api_secret",
}

_SET_CREDENTIALS = (
    "set them with `pulumi config set livekit:url <https://your-project.livekit.cloud>`, "
    "`pulumi config set livekit:apiKey <key>` and `pulumi config set --secret livekit:apiSecret "
    "<secret>`, or export LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET"
)


class LiveKitSettings(BaseSettings):
    """Where and as whom to call LiveKit. Reads ``LIVEKIT_*`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="LIVEKIT_", extra="ignore")

    url: str = ""
    api_key: str = ""
    api_secret: SecretStr = SecretStr("")

    def require_complete(self) -> LiveKitSettings:
        missing = [
            name
            for name, value in (
                ("livekit:url", self.url),
                ("livekit:apiKey", self.api_key),
                ("livekit:apiSecret", self.api_secret.get_secret_value()),
            )
            if not value
        ]
        if missing:
            raise CredentialsError(
                f"LiveKit credentials are missing ({', '.join(missing)}): {_SET_CREDENTIALS}."
            )
        return self


def settings_from_config(get: Callable[[str], Any]) -> LiveKitSettings:
    """Settings from stack config (``get("livekit:url")``...), falling back to the environment."""
    overrides: dict[str, Any] = {}
    for key, field in CONFIG_KEYS.items():
        value = get(key)
        if value not in (None, ""):
            overrides[field] = str(value)
    return LiveKitSettings(**overrides)


class RetryPolicy:
    """Bounded exponential backoff for transient failures (5xx, timeouts, refused connections)."""

    def __init__(self, attempts: int = 4, base_delay: float = 0.25, max_delay: float = 4.0) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    def delay(self, attempt: int) -> float:
        backoff: float = min(self.max_delay, self.base_delay * (2**attempt))
        return backoff * (0.5 + random.random() / 2)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, api.ServerError):
        return exc.status >= 500 or exc.code in ("unavailable", "internal", "deadline_exceeded")
    return isinstance(exc, (aiohttp.ClientConnectionError, asyncio.TimeoutError))


def _map_error(exc: BaseException, what: str, settings: LiveKitSettings) -> LiveKitApiError:
    """A LiveKitApiError with a message that says what to do. Never includes credentials."""
    if isinstance(exc, api.ServerError):
        code = exc.code or "unknown"
        reason = exc.message or ""
        if exc.status == 401 or code == "unauthenticated":
            return LiveKitApiError(
                f"{what}: LiveKit rejected the API key or secret (401) at {settings.url}. Check "
                f"that livekit:apiKey and livekit:apiSecret belong to this project; "
                f"{_SET_CREDENTIALS}.",
                code="unauthenticated",
                status=exc.status,
            )
        if exc.status == 403 or code == "permission_denied":
            return LiveKitApiError(
                f"{what}: the API key is not allowed to manage SIP (403): SIP needs the 'admin' "
                f"grant on the key. {reason}".rstrip(),
                code="permission_denied",
                status=exc.status,
            )
        if code == "not_found":
            return LiveKitApiError(
                f"{what}: LiveKit says the object does not exist ({reason}). Check the ID: trunk "
                f"IDs start with 'ST_' and dispatch rule IDs with 'SDR_' (a provider's trunk SID "
                f"is not a LiveKit ID). See {TROUBLESHOOTING_URL}",
                code=code,
                status=exc.status,
            )
        if code == "invalid_argument":
            hint = ""
            if "Conflicting" in reason or "already exists" in reason:
                hint = (
                    " Another object in this LiveKit project claims the same numbers or the same "
                    "trunk/number/PIN combination: change one of them, or set allowed_numbers to "
                    "tell them apart."
                )
            return LiveKitApiError(
                f"{what}: LiveKit rejected the request: {reason}.{hint} See {TROUBLESHOOTING_URL}",
                code=code,
                status=exc.status,
            )
        return LiveKitApiError(
            f"{what}: LiveKit answered {exc.status} {code}: {reason}".rstrip(": "),
            code=code,
            status=exc.status,
        )
    if isinstance(exc, (aiohttp.ClientConnectionError, asyncio.TimeoutError)):
        return LiveKitApiError(
            f"{what}: cannot reach LiveKit at {settings.url} ({type(exc).__name__}). Check "
            "livekit:url (or LIVEKIT_URL) and that the server is up.",
            code="unavailable",
        )
    return LiveKitApiError(f"{what}: {type(exc).__name__}", code="unknown")


def call_livekit(
    settings: LiveKitSettings,
    what: str,
    operation: Callable[[api.LiveKitAPI], Awaitable[T]],
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 15.0,
) -> T:
    """Run ``operation`` against LiveKit from synchronous provider code.

    Opens a client for the call and closes it after; retries transient failures with bounded
    backoff; 4xx answers are not retried. Raises :class:`LiveKitApiError`.
    """
    settings.require_complete()
    policy = retry or RetryPolicy()

    async def run() -> T:
        last: BaseException | None = None
        for attempt in range(policy.attempts):
            try:
                async with api.LiveKitAPI(
                    settings.url,
                    settings.api_key,
                    settings.api_secret.get_secret_value(),
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    failover=False,
                ) as lk:
                    return await operation(lk)
            except Exception as exc:  # mapped below, never re-raised raw
                if not _is_transient(exc):
                    raise _map_error(exc, what, settings) from None
                last = exc
                if attempt + 1 < policy.attempts:
                    delay = policy.delay(attempt)
                    log.warning(
                        "%s: transient failure (%s), retrying in %.2fs",
                        what,
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
        assert last is not None
        raise _map_error(last, what, settings) from None

    return asyncio.run(run())
