"""The protocol of each supported livekit-server release against the Python livekit-protocol
the project installs: every difference is documented (``ServerRelease.protocol_lacks`` /
``protocol_adds`` in livekit_sip_core.servers), and nothing else differs.

The server's side is read from the descriptors compiled into tools/sip-oracle, which is built
against the protocol version each release pins (``sip-oracle -describe``). The files compared
are the ones our specs model: ``livekit_sip.proto``, ``livekit_room.proto`` (RoomConfiguration)
and ``livekit_agent_dispatch.proto`` (RoomAgentDispatch).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from livekit.protocol import agent_dispatch, room, sip
from livekit_sip_core import server_release

from ..conftest import LIVEKIT_RELEASES
from .test_routing_differential import build_oracle

pytestmark = pytest.mark.e2e

FILES = {
    "livekit_sip.proto": sip,
    "livekit_room.proto": room,
    "livekit_agent_dispatch.proto": agent_dispatch,
}


def python_names() -> set[str]:
    """Messages, enums, and their fields or values, of the installed livekit-protocol."""
    names: set[str] = set()

    def enum(e: Any) -> None:
        names.add(e.full_name)
        names.update(f"{e.full_name}.{v.name}" for v in e.values)

    def message(m: Any) -> None:
        names.add(m.full_name)
        names.update(f"{m.full_name}.{f.name}" for f in m.fields)
        for nested in m.nested_types:
            if not nested.GetOptions().map_entry:
                message(nested)
        for e in m.enum_types:
            enum(e)

    for module in FILES.values():
        for m in module.DESCRIPTOR.message_types_by_name.values():
            message(m)
        for e in module.DESCRIPTOR.enum_types_by_name.values():
            enum(e)
    return names


def server_names(oracle: Path) -> set[str]:
    """The same names from the protocol the release's sip-oracle was built with."""
    request = json.dumps({"op": "describe", "names": list(FILES)}) + "\n"
    done = subprocess.run(
        [str(oracle), "-describe"], input=request, capture_output=True, text=True, check=True
    )
    described = json.loads(done.stdout)["response"]
    names: set[str] = set()
    for name, item in described.items():
        assert not item.get("missing"), f"{name} is not in the protocol of {oracle}"
        names.add(name)
        names.update(f"{name}.{k}" for k in item.get("fields") or item.get("values") or {})
    return names


def outermost(names: set[str]) -> set[str]:
    """Drop the members of a message or enum that is itself in ``names``."""
    return {n for n in names if n.rsplit(".", 1)[0] not in names}


@pytest.mark.parametrize("version", LIVEKIT_RELEASES)
def test_every_protocol_difference_is_documented(toolchain: Path, version: str) -> None:
    release = server_release(version)
    ours, theirs = python_names(), server_names(build_oracle(version))
    assert outermost(ours - theirs) == release.protocol_lacks
    assert outermost(theirs - ours) == release.protocol_adds


def test_the_newest_release_and_livekit_protocol_agree() -> None:
    # What both have is exposed (the descriptor test holds every field exposed or omitted).
    newest = server_release(LIVEKIT_RELEASES[0])
    assert newest.protocol_lacks == newest.protocol_adds == frozenset()
