"""Stack states recorded by earlier releases, and how to put one back on a fresh server.

A recorded state is a folder named after the release that wrote it (``v0.1.0/``):

- ``__main__.py``: the program that release deployed (an upgrade keeps the user's program);
- ``state.json``: `pulumi stack export` of the stack after `up` (secrets as ciphertext);
- ``Pulumi.<stack>.yaml``: the stack's config file, with the passphrase provider's
  ``encryptionsalt`` and the test-only passwords as secure values (the LiveKit credentials of
  the recording server are left out: the test sets its own);
- ``livekit-objects.json``: the SIP objects as LiveKit held them after `up` (`List...` answers
  as protocol JSON), each password replaced by the name of the config key that holds it;
- ``recorded.json``: what the state was recorded with, and the passphrase (a test-only value).

LiveKit generates object IDs, so a fresh server cannot be given the recorded ones. The objects
are created again from ``livekit-objects.json`` through LiveKit's public API, and every
recorded ID in the state and the config is replaced by the new object's ID before
`pulumi stack import`; the provider resource's recorded LiveKit settings are pointed at the new
server (:func:`retarget`). The API's messages are versioned and kept compatible by LiveKit; a copy
of the recording server's Redis would instead depend on how livekit-server stores objects
internally, and would have to replace the Redis of a server other tests share.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf import json_format
from livekit import api

HERE = Path(__file__).resolve().parent
MANIFEST = "recorded.json"
STATE = "state.json"
OBJECTS = "livekit-objects.json"
PROGRAM = "__main__.py"

# How the engine marks a secret in a state file (pulumi sdk/go/common/resource/sig).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

PASSWORD_REF = "$config:"
"""A password in ``livekit-objects.json``: ``$config:<key>``, the stack config key holding it."""

T = TypeVar("T")

INBOUND, OUTBOUND, DISPATCH = "inbound_trunks", "outbound_trunks", "dispatch_rules"


@dataclass(frozen=True)
class LiveKitTarget:
    """A LiveKit server to list and create SIP objects on (an independent client)."""

    url: str
    api_key: str
    api_secret: str

    def call(self, operation: Callable[[api.LiveKitAPI], Awaitable[T]]) -> T:
        async def run() -> T:
            async with api.LiveKitAPI(self.url, self.api_key, self.api_secret) as lk:
                return await operation(lk)

        return asyncio.run(run())

    def list_objects(self) -> dict[str, list[Any]]:
        """Every SIP object on the server, by kind, as protocol messages."""
        return {
            INBOUND: list(
                self.call(
                    lambda lk: lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
                ).items
            ),
            OUTBOUND: list(
                self.call(
                    lambda lk: lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
                ).items
            ),
            DISPATCH: list(
                self.call(
                    lambda lk: lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())
                ).items
            ),
        }


def object_id(kind: str, message: Any) -> str:
    return str(message.sip_dispatch_rule_id if kind == DISPATCH else message.sip_trunk_id)


def definitions(objects: dict[str, list[Any]], passwords: dict[str, str]) -> dict[str, Any]:
    """The objects as protocol JSON, with each password replaced by ``$config:<key>``.

    Raises ValueError for a password that is not one of ``passwords`` (config key -> value):
    the file must never hold a password."""
    by_value = {value: key for key, value in passwords.items()}
    out: dict[str, Any] = {}
    for kind, items in objects.items():
        listed = []
        for message in items:
            plain = json_format.MessageToDict(message, preserving_proto_field_name=True)
            password = plain.get("auth_password")
            if password:
                if password not in by_value:
                    raise ValueError(
                        f"{kind} {object_id(kind, message)} has a password that is not one of "
                        f"the config keys {sorted(passwords)}"
                    )
                plain["auth_password"] = PASSWORD_REF + by_value[password]
            listed.append(plain)
        out[kind] = sorted(listed, key=lambda item: item.get("name", ""))
    return out


Create = Callable[[api.LiveKitAPI, Any], Awaitable[Any]]

# In the order they are created: a dispatch rule names its trunks' new IDs.
_CREATE: dict[str, tuple[type[Any], Create]] = {
    INBOUND: (
        api.SIPInboundTrunkInfo,
        lambda lk, m: lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(trunk=m)),
    ),
    OUTBOUND: (
        api.SIPOutboundTrunkInfo,
        lambda lk, m: lk.sip.create_outbound_trunk(api.CreateSIPOutboundTrunkRequest(trunk=m)),
    ),
    DISPATCH: (
        api.SIPDispatchRuleInfo,
        lambda lk, m: lk.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(dispatch_rule=m)
        ),
    ),
}


async def _send(create: Create, info: Any, lk: api.LiveKitAPI) -> Any:
    return await create(lk, info)


def recreate(
    target: LiveKitTarget, recorded: dict[str, Any], passwords: dict[str, str]
) -> dict[str, str]:
    """Create the recorded objects on ``target``: trunks first, then the dispatch rules with
    their trunk IDs mapped. Returns recorded ID -> new ID."""
    ids: dict[str, str] = {}
    for kind, (info_class, create) in _CREATE.items():
        for plain in recorded.get(kind, []):
            plain = dict(plain)
            password = plain.get("auth_password", "")
            if password.startswith(PASSWORD_REF):
                plain["auth_password"] = passwords[password.removeprefix(PASSWORD_REF)]
            if kind == DISPATCH:
                plain["trunk_ids"] = [ids[trunk] for trunk in plain.get("trunk_ids", [])]
            recorded_id = plain.pop("sip_dispatch_rule_id" if kind == DISPATCH else "sip_trunk_id")
            # Fields a later protocol dropped are left out rather than failing the restore.
            info = json_format.ParseDict(plain, info_class(), ignore_unknown_fields=True)
            made = target.call(functools.partial(_send, create, info))
            ids[recorded_id] = object_id(kind, made)
    return ids


def rewrite_ids(value: Any, ids: dict[str, str]) -> Any:
    """``value`` (a state, or any JSON) with every string equal to a recorded ID replaced by
    the new ID: resource IDs, ``sip_trunk_id`` outputs, ``trunk_ids``, ``adopt_id``, the
    components' and the stack's outputs."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [rewrite_ids(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: rewrite_ids(item, ids) for key, item in value.items()}
    return value


def retarget(state: dict[str, Any], target: LiveKitTarget) -> dict[str, Any]:
    """``state`` with its provider resources configured for ``target``.

    Since configure() (pulumi 3.139) the engine records the whole stack config in the inputs
    and outputs of the dynamic provider's resource, and refresh and destroy use what it
    recorded: the recording server's ``livekit:url`` and keys. The secret goes in as plaintext
    for `pulumi stack import` to encrypt."""
    values = {
        "livekit:url": target.url,
        "livekit:apiKey": target.api_key,
        "livekit:apiSecret": {
            SECRET_SIG_KEY: SECRET_SIG,
            "plaintext": json.dumps(target.api_secret),
        },
    }
    resources = []
    for resource in state["deployment"]["resources"]:
        if resource["type"].startswith("pulumi:providers:"):
            resource = dict(resource)
            for part in ("inputs", "outputs"):
                if part in resource:
                    props = dict(resource[part])
                    props.update({k: v for k, v in values.items() if k in props})
                    resource[part] = props
        resources.append(resource)
    return {**state, "deployment": {**state["deployment"], "resources": resources}}


def is_ciphertext(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get(SECRET_SIG_KEY) == SECRET_SIG
        and isinstance(value.get("ciphertext"), str)
        and "plaintext" not in value
    )


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in a JSON document, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


@dataclass(frozen=True)
class RecordedState:
    """One recorded state folder."""

    directory: Path

    @property
    def release(self) -> str:
        return str(self.manifest["version"])

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(json.loads((self.directory / MANIFEST).read_text()))

    @property
    def project(self) -> str:
        return str(self.manifest["project"])

    @property
    def stack(self) -> str:
        return str(self.manifest["stack"])

    @property
    def passphrase(self) -> str:
        return str(self.manifest["passphrase"])

    @property
    def password_keys(self) -> list[str]:
        return list(self.manifest["password_keys"])

    @property
    def config_file(self) -> Path:
        return self.directory / f"Pulumi.{self.stack}.yaml"

    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.directory / STATE).read_text()))

    def objects(self) -> dict[str, Any]:
        return dict(json.loads((self.directory / OBJECTS).read_text()))

    def files(self) -> list[Path]:
        return sorted(path for path in self.directory.iterdir() if path.is_file())

    def resources(self) -> list[dict[str, Any]]:
        return list(self.state()["deployment"]["resources"])


def recorded_states() -> list[RecordedState]:
    """Every recorded state beside this module, oldest release first."""
    found = [RecordedState(path.parent) for path in HERE.glob(f"v*/{MANIFEST}")]
    return sorted(found, key=lambda r: tuple(int(p) for p in r.release.split(".")))
