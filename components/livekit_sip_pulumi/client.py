"""LiveKit credentials, one call helper, and the mapping of LiveKit errors to clear messages.

Credentials come from the stack config (``livekit:url``, ``livekit:apiKey``,
``livekit:apiSecret``) or, when a key is not set there, from LiveKit's own environment variables
(``LIVEKIT_URL``, ``LIVEKIT_API_KEY``, ``LIVEKIT_API_SECRET``). They live only in the provider
process: never in the pickled provider, in state, in messages or in exceptions.

Every call has a deadline: ``livekit:timeoutSeconds`` (or ``LIVEKIT_TIMEOUT_SECONDS``, default
30) bounds one LiveKit call including its retries, and each attempt is cut off by
``asyncio.wait_for`` (livekit-api passes ``timeout=None`` to every request, which overrides the
aiohttp session's own timeout, so the session timeout alone would never fire).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
import email.utils
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import aiohttp
from google.protobuf.message import DecodeError
from livekit import api
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_core import DISPATCH_RULE_ID_PREFIX, TRUNK_ID_PREFIX
from livekit_sip_core.links import TROUBLESHOOTING as TROUBLESHOOTING_URL
from livekit_sip_core.problems import quote
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import CredentialsError, LiveKitApiError

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_TIMEOUT_SECONDS",
    "Attempts",
    "LiveKitSettings",
    "RetryPolicy",
    "call_livekit",
    "settings_from_config",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Bound on one LiveKit call, retries included, unless livekit:timeoutSeconds says otherwise.
DEFAULT_TIMEOUT_SECONDS = 30.0

# Stack config key -> settings field.
CONFIG_KEYS = {
    "livekit:url": "url",
    "livekit:apiKey": "api_key",
    "livekit:apiSecret": "api_secret",
    "livekit:timeoutSeconds": "timeout_seconds",
}

_SET_CREDENTIALS = (
    "set them with `pulumi config set livekit:url <https://your-project.livekit.cloud>`, "
    "`pulumi config set livekit:apiKey <key>` and `pulumi config set --secret livekit:apiSecret "
    "<secret>`, or export LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET"
)
_URL_SCHEMES = ("http", "https", "ws", "wss")


class LiveKitSettings(BaseSettings):
    """Where and as whom to call LiveKit, and how long to wait. Reads ``LIVEKIT_*`` from the
    environment (``LIVEKIT_URL``, ``LIVEKIT_API_KEY``, ``LIVEKIT_API_SECRET``,
    ``LIVEKIT_TIMEOUT_SECONDS``)."""

    model_config = SettingsConfigDict(env_prefix="LIVEKIT_", extra="ignore")

    url: str = ""
    api_key: str = ""
    api_secret: SecretStr = SecretStr("")
    # Kept as text so that a bad value is reported with the config key, at the first call.
    timeout_seconds: str = ""

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
                f"LiveKit credentials are missing ({', '.join(missing)}): {_SET_CREDENTIALS}.",
                missing=tuple(missing),
            )
        problem = url_problem(self.url)
        if problem:
            raise CredentialsError(
                f"livekit:url (or LIVEKIT_URL) '{self.url}' {problem}. Set it to the project's "
                "URL, e.g. `pulumi config set livekit:url https://my-project.livekit.cloud` "
                "(scheme http, https, ws or wss; host and port only).",
                key="livekit:url",
                value=self.url,
                problem=problem,
            )
        self.deadline()
        return self

    def deadline(self) -> float:
        """Seconds one LiveKit call may take, retries included."""
        raw = self.timeout_seconds.strip()
        if not raw:
            return DEFAULT_TIMEOUT_SECONDS
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= 3600:
            problem = "is not a number of seconds between 0 and 3600"
            raise CredentialsError(
                f"livekit:timeoutSeconds (or LIVEKIT_TIMEOUT_SECONDS) '{raw}' {problem}: "
                "`pulumi config set livekit:timeoutSeconds 30`.",
                key="livekit:timeoutSeconds",
                value=raw,
                problem=problem,
            )
        return value


def url_problem(url: str) -> str:
    """Why ``url`` is not a LiveKit server URL, or "" when it is one."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in _URL_SCHEMES:
        return f"has scheme '{parsed.scheme}', not http, https, ws or wss"
    if not parsed.hostname:
        return "has no host"
    try:
        parsed.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "has an invalid port"
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        return (
            f"has a path ('{parsed.path}{'?' if parsed.query else ''}{parsed.query}'): LiveKit's "
            "API lives at the root of the server, drop everything after the host and port"
        )
    return ""


def settings_from_config(get: Callable[[str], Any]) -> LiveKitSettings:
    """Settings from stack config (``get("livekit:url")``...), falling back to the environment."""
    overrides: dict[str, Any] = {}
    for key, field in CONFIG_KEYS.items():
        value = get(key)
        if value not in (None, ""):
            overrides[field] = str(value)
    return LiveKitSettings(**overrides)


class RetryPolicy:
    """Bounded exponential backoff for transient failures (5xx, timeouts, refused connections)
    and for 429. A 429 is sent again no earlier than its ``Retry-After`` says; when that is
    later than the call's deadline, the call fails at once and says so."""

    def __init__(
        self,
        attempts: int = 4,
        base_delay: float = 0.25,
        max_delay: float = 4.0,
        attempt_timeout: float = 10.0,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.attempt_timeout = attempt_timeout

    def delay(self, attempt: int) -> float:
        backoff: float = min(self.max_delay, self.base_delay * (2**attempt))
        return backoff * (0.5 + random.random() / 2)


class _AttemptTimeout(Exception):
    """One attempt ran past its deadline (the server accepted the connection, never answered)."""


def _is_rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, api.ServerError) and (
        exc.status == 429 or exc.code == ServerErrorCode.RESOURCE_EXHAUSTED
    )


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, api.ServerError):
        return exc.status >= 500 or exc.code in (
            ServerErrorCode.UNAVAILABLE,
            ServerErrorCode.INTERNAL,
            ServerErrorCode.DEADLINE_EXCEEDED,
        )
    return isinstance(exc, (aiohttp.ClientConnectionError, asyncio.TimeoutError, _AttemptTimeout))


def _never_sent(exc: BaseException) -> bool:
    """The request cannot have reached the server: retrying it cannot duplicate anything."""
    return isinstance(exc, aiohttp.ClientConnectorError) or _is_rate_limited(exc)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class Attempts:
    """How many requests one operation sent, since when: a call's own, or shared by the calls
    of one operation (the sends of a create) so that its final message counts them all."""

    count: int = 0
    started: float = 0.0

    def summary(self) -> str:
        took = time.monotonic() - self.started if self.started else 0.0
        tries = "1 attempt" if self.count == 1 else f"{self.count} attempts"
        return f"{tries} over {took:.1f} s"


@dataclass
class _Answer:
    """What the last HTTP answer of a call said besides its body (from aiohttp's trace)."""

    status: int = 0
    content_type: str = ""
    retry_after: str | None = None


class _NotLiveKit(Exception):
    """HTTP 200 with a body that is not a LiveKit (Twirp protobuf) answer."""

    def __init__(self, content_type: str) -> None:
        super().__init__(content_type)
        self.content_type = content_type


def _is_protobuf(content_type: str) -> bool:
    # livekit-server answers application/protobuf; "x-protobuf" is the older spelling.
    return "protobuf" in content_type.lower()


# How the server names the object being created when it conflicts with another one
# (livekit/protocol sip/sip.go, printID: "<new>" for an object without an ID yet): when that
# object is the one conflicted with, it conflicts with itself.
_SELF_CONFLICT = 'already exists in dispatch rule "<new>"'


def _map_error(
    exc: BaseException,
    what: str,
    settings: LiveKitSettings,
    attempts: Attempts | None = None,
    *,
    retry_after: float | None = None,
) -> LiveKitApiError:
    """A LiveKitApiError with a message that says what to do. Never includes credentials.

    The message of a failure that is retried (429, 5xx, timeouts, refused connections) always
    says how many attempts were made over how long. ``retry_after``: the server asked to wait
    that long, longer than the deadline left (the call failed without waiting)."""
    count = attempts.count if attempts else 0
    tried = f"; gave up after {attempts.summary()}" if attempts and attempts.count else ""
    if isinstance(exc, _NotLiveKit):
        return LiveKitApiError(
            f"{what}: {settings.url} answered HTTP 200 with a body that is not LiveKit's "
            f"(Content-Type {quote(exc.content_type) if exc.content_type else 'none'}): the "
            "URL does not answer like a LiveKit server. Check livekit:url (or LIVEKIT_URL): it "
            "must be the LiveKit project's URL (https://<project>.livekit.cloud, or your "
            "server's), not a web page or a proxy that answers for it.",
            code=ServerErrorCode.BAD_ROUTE,
            status=200,
            attempts=count,
        )
    if isinstance(exc, api.ServerError):
        code = exc.code or ServerErrorCode.UNKNOWN
        reason = exc.message or ""
        if exc.status == 401 or code == ServerErrorCode.UNAUTHENTICATED:
            return LiveKitApiError(
                f"{what}: LiveKit rejected the API key or secret (401) at {settings.url}. Check "
                f"that livekit:apiKey and livekit:apiSecret belong to this project; "
                f"{_SET_CREDENTIALS}.",
                code=ServerErrorCode.UNAUTHENTICATED,
                status=exc.status,
            )
        if exc.status == 403 or code == ServerErrorCode.PERMISSION_DENIED:
            return LiveKitApiError(
                f"{what}: the API key is not allowed to manage SIP (403): SIP needs the 'admin' "
                f"grant on the key. {reason}".rstrip(),
                code=ServerErrorCode.PERMISSION_DENIED,
                status=exc.status,
            )
        if exc.status == 404 and code in (ServerErrorCode.UNKNOWN, ServerErrorCode.BAD_ROUTE):
            return LiveKitApiError(
                f"{what}: {settings.url} answered 404 for LiveKit's API: it is not a LiveKit "
                "server, or livekit:url points at the wrong place (it must be the project URL, "
                "without a path).",
                code=code,
                status=exc.status,
            )
        if code == ServerErrorCode.NOT_FOUND:
            return LiveKitApiError(
                f"{what}: LiveKit says the object does not exist ({reason}). Check the ID: trunk "
                f"IDs start with '{TRUNK_ID_PREFIX}' and dispatch rule IDs with "
                f"'{DISPATCH_RULE_ID_PREFIX}' (a provider's trunk SID "
                f"is not a LiveKit ID). See {TROUBLESHOOTING_URL}",
                code=code,
                status=exc.status,
            )
        if code == ServerErrorCode.INVALID_ARGUMENT:
            hint = ""
            if _SELF_CONFLICT in reason:
                hint = (
                    " The object conflicts with itself: one of its lists (trunk_ids, numbers, "
                    "inbound_numbers) names the same entry twice; list each entry once."
                )
            elif "Conflicting" in reason or "already exists" in reason:
                hint = (
                    " The object LiveKit names claims the same numbers or the same "
                    "trunk/number/PIN combination: change one of them, or set allowed_numbers to "
                    "tell them apart (when it names this very object, one of its lists names an "
                    "entry twice)."
                )
            return LiveKitApiError(
                f"{what}: LiveKit rejected the request: {reason}.{hint} See {TROUBLESHOOTING_URL}",
                code=code,
                status=exc.status,
            )
        if _is_rate_limited(exc):
            if retry_after is not None:
                return LiveKitApiError(
                    f"{what}: LiveKit is rate-limiting this API key (429 {code}) and asked to "
                    f"wait {retry_after:.0f} s before the next request (Retry-After), longer "
                    f"than the deadline of {settings.deadline():g} s (livekit:timeoutSeconds), "
                    f"so it was not sent again{tried}. Retry the command after that time, and "
                    "run fewer operations at once (`pulumi up --parallel 2`).",
                    code=code,
                    status=exc.status,
                    transient=True,
                    attempts=count,
                    retry_after=retry_after,
                )
            return LiveKitApiError(
                f"{what}: LiveKit is rate-limiting this API key (429 {code}){tried}. Run fewer "
                "operations at once (`pulumi up --parallel 2`), retry later, or raise "
                "livekit:timeoutSeconds to wait longer.",
                code=code,
                status=exc.status,
                transient=True,
                attempts=count,
            )
        detail = f"{exc.status} {code}" + (f" ({reason})" if reason else "")
        if exc.status >= 500:
            return LiveKitApiError(
                f"{what}: LiveKit answered {detail}{tried}. The server is failing or "
                f"overloaded: retry the command later; if it persists, "
                f"check the server at {settings.url}.",
                code=code,
                status=exc.status,
                transient=True,
                attempts=count,
            )
        return LiveKitApiError(
            f"{what}: LiveKit answered {detail}", code=code, status=exc.status, attempts=count
        )
    if isinstance(exc, (asyncio.TimeoutError, _AttemptTimeout)):
        return LiveKitApiError(
            f"{what}: LiveKit at {settings.url} did not answer within "
            f"{settings.deadline():g} s{tried}. Check that the server is up and reachable; if it "
            "is only slow, raise the deadline with `pulumi config set livekit:timeoutSeconds "
            "<seconds>` (or LIVEKIT_TIMEOUT_SECONDS).",
            code=ServerErrorCode.DEADLINE_EXCEEDED,
            transient=True,
            attempts=count,
        )
    if isinstance(exc, aiohttp.ClientConnectionError):
        return LiveKitApiError(
            f"{what}: cannot reach LiveKit at {settings.url} ({type(exc).__name__}){tried}. "
            "Check livekit:url (or LIVEKIT_URL) and that the server is up.",
            code=ServerErrorCode.UNAVAILABLE,
            transient=True,
            attempts=count,
        )
    return LiveKitApiError(
        f"{what}: {type(exc).__name__}", code=ServerErrorCode.UNKNOWN, attempts=count
    )


def call_livekit(
    settings: LiveKitSettings,
    what: str,
    operation: Callable[[api.LiveKitAPI], Awaitable[T]],
    *,
    retry: RetryPolicy | None = None,
    idempotent: bool = True,
    attempts: Attempts | None = None,
) -> T:
    """Run ``operation`` against LiveKit from synchronous provider code.

    Uses the process's client for these credentials (one event loop in a background thread,
    one aiohttp session, shared by the engine's parallel calls). Each attempt has a deadline,
    and the whole call (retries included) is bounded by ``settings.deadline()``. Transient
    failures (5xx, resets, timeouts) are retried with bounded backoff when ``idempotent``; a
    call that is not (a create) is retried only when the request cannot have reached the server
    (refused connection, 429). A 429 is sent again no earlier than its Retry-After asks; when
    that is past the deadline, the call fails at once. Other 4xx answers are not retried, nor
    is an answer that is not LiveKit's (HTTP 200 with another body). ``attempts``, when given,
    counts this call's requests on top of earlier calls' (the sends of one create).
    Raises :class:`LiveKitApiError` (``transient`` tells whether a later retry may succeed).
    """
    settings.require_complete()
    policy = retry or RetryPolicy()
    budget = settings.deadline()

    async def run() -> T:
        answer = _Answer()
        _LAST_ANSWER.set(answer)  # this task's own context: calls in parallel do not mix
        now = time.monotonic()
        tally = attempts if attempts is not None else Attempts()
        if not tally.started:
            tally.started = now
        deadline = now + budget
        last: BaseException | None = None
        lk = _CLIENTS.client(settings)  # outlives the call: one per process and credentials
        for attempt in range(policy.attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            answer.status, answer.content_type, answer.retry_after = 0, "", None
            tally.count += 1
            try:
                result = await asyncio.wait_for(
                    operation(lk), timeout=min(policy.attempt_timeout, remaining)
                )
            except asyncio.TimeoutError:
                last = _AttemptTimeout()
            except DecodeError:
                last = _NotLiveKit(answer.content_type)
            except Exception as exc:  # mapped below, never re-raised raw
                last = exc
            else:
                if answer.status == 200 and not _is_protobuf(answer.content_type):
                    # A body that happened to decode (an empty one does) is not an answer.
                    raise _map_error(_NotLiveKit(answer.content_type), what, settings, tally)
                return result
            limited = _is_rate_limited(last)
            if not (limited or _is_transient(last)):
                raise _map_error(last, what, settings, tally) from None
            if not idempotent and not _never_sent(last):
                # The request may have been carried out: the caller decides what to do.
                raise _map_error(last, what, settings, tally) from None
            delay = policy.delay(attempt)
            if limited:
                asked = _retry_after(answer.retry_after)
                if asked is not None:
                    if time.monotonic() + asked >= deadline:
                        raise _map_error(last, what, settings, tally, retry_after=asked)
                    delay = max(delay, asked)
            if attempt + 1 >= policy.attempts:
                break
            if time.monotonic() + delay >= deadline:
                break
            log.warning(
                "%s: %s, retrying in %.2fs (attempt %d of %d)",
                what,
                _describe(last),
                delay,
                attempt + 2,
                policy.attempts,
            )
            await asyncio.sleep(delay)
        if last is None:  # the deadline passed before the first attempt
            last = _AttemptTimeout()
        raise _map_error(last, what, settings, tally) from None

    return _CLIENTS.run(run, budget)


# What the last HTTP answer of a call said besides its body, per call: aiohttp's trace
# callbacks run in the task that made the request, so a context variable set by the call's
# task is the call's own.
_LAST_ANSWER: contextvars.ContextVar[_Answer] = contextvars.ContextVar("last_answer")


async def _record_answer(_s: Any, _c: Any, params: aiohttp.TraceRequestEndParams) -> None:
    answer = _LAST_ANSWER.get(None)
    if answer is not None:
        headers = params.response.headers
        answer.status = params.response.status
        answer.content_type = headers.get("Content-Type", "")
        answer.retry_after = headers.get("Retry-After")


class _Clients:
    """One LiveKit client per provider process and credentials.

    The engine calls a provider's methods from a pool of threads; each call submits its
    coroutine to one event loop running in a daemon thread, where one aiohttp session per
    credentials keeps connections open between calls. Recreated after a fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._apis: dict[tuple[str, str, str], api.LiveKitAPI] = {}
        self._sessions: list[aiohttp.ClientSession] = []

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="livekit-client", daemon=True
                ).start()
                self._loop, self._pid, self._apis, self._sessions = loop, os.getpid(), {}, []
                atexit.register(self.close)
            return self._loop

    def close(self) -> None:
        """Close the sessions and stop the loop (at exit: no "unclosed session" warnings)."""
        with self._lock:
            loop, sessions = self._loop, self._sessions
            self._loop, self._apis, self._sessions = None, {}, []
        if loop is None or self._pid != os.getpid():
            return

        async def close_all() -> None:
            for session in sessions:
                await session.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout=2)
        loop.call_soon_threadsafe(loop.stop)

    def client(self, settings: LiveKitSettings) -> api.LiveKitAPI:
        """The client for ``settings``; called on the loop's thread only (no lock needed)."""
        secret = settings.api_secret.get_secret_value()
        key = (settings.url, settings.api_key, hashlib.sha256(secret.encode()).hexdigest())
        found = self._apis.get(key)
        if found is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_end.append(_record_answer)
            session = aiohttp.ClientSession(trace_configs=[trace])
            self._sessions.append(session)
            found = api.LiveKitAPI(
                settings.url, settings.api_key, secret, session=session, failover=False
            )
            self._apis[key] = found
        return found

    def run(self, make: Callable[[], Coroutine[Any, Any, T]], budget: float) -> T:
        future = asyncio.run_coroutine_threadsafe(make(), self._running_loop())
        try:
            # The call bounds itself (budget); the margin only guards against a stuck loop.
            return future.result(timeout=budget + 30)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise LiveKitApiError(
                f"the LiveKit client did not finish within {budget:g} s",
                code=ServerErrorCode.DEADLINE_EXCEEDED,
                transient=True,
            ) from None


_CLIENTS = _Clients()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, api.ServerError):
        return f"LiveKit answered {exc.status} {exc.code}"
    if isinstance(exc, _AttemptTimeout):
        return "no answer in time"
    return type(exc).__name__
