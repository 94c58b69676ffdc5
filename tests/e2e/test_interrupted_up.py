"""An update killed after LiveKit created an object, before the state recorded it.

The fault is injected with a loopback proxy that forwards requests to the real server at once
but holds back its answers: the create happens, the engine never hears of it, and the whole
process group is then killed. Re-running `pulumi up` must converge on that one object.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
from livekit import api
from livekit_sip_pulumi import SipOutboundTrunk
from livekit_sip_pulumi.providers import autoname
from localstack import LocalStack

from .interrupted_up import LINE_HELD, PASSWORD, PROJECT, line_program

pytestmark = pytest.mark.e2e

OUTBOUND = "pulumi-python:dynamic/livekit:SipOutboundTrunk"


class SlowCreateProxy:
    """TCP proxy on 127.0.0.1 in front of the server: requests pass at once, the answers to
    Create* calls are held back for ``delay`` seconds (other calls answer normally). With
    ``markers``, only the answers to the creates whose request holds one of them."""

    def __init__(self, target_port: int, delay: float, markers: tuple[bytes, ...] = ()) -> None:
        self.target_port = target_port
        self.delay = delay
        self.markers = markers
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            is_create = threading.Event()
            threading.Thread(
                target=self._pipe, args=(client, upstream, is_create, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, is_create, False), daemon=True
            ).start()

    def _pipe(
        self, src: socket.socket, dst: socket.socket, is_create: threading.Event, request: bool
    ) -> None:
        sent = b""
        try:
            while data := src.recv(65536):
                sent += data if request else b""
                if b"/Create" in sent and (
                    not self.markers or any(marker in sent for marker in self.markers)
                ):
                    is_create.set()
                if not request and is_create.is_set():
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``'s process group and every descendant: the engine starts each provider in
    a process group of its own, which a kill of the update's group alone would orphan."""
    below = descendants(pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    for child in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def interrupt_up(
    state: Path,
    livekit,
    arguments: list[str],
    created: Callable[[], bool],
    markers: tuple[bytes, ...] = (),
) -> None:
    """Run `pulumi up` of interrupted_up.py through a proxy that holds back the answers to
    creates (those holding one of ``markers``), and kill it once ``created()``: LiveKit has
    made the objects, the state does not record them."""
    port = urlparse(livekit.url).port
    assert port is not None
    proxy = SlowCreateProxy(port, delay=60, markers=markers)
    runner = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("interrupted_up.py")),
            str(state),
            f"http://127.0.0.1:{proxy.port}",
            livekit.api_key,
            livekit.api_secret,
            *arguments,
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not created():
            assert runner.poll() is None, runner.stdout.read().decode() if runner.stdout else ""
            assert time.monotonic() < deadline, "the creates never reached LiveKit"
            time.sleep(0.2)
        kill_tree(runner.pid)
        runner.wait(timeout=30)
    finally:
        proxy.close()
        if runner.poll() is None:
            kill_tree(runner.pid)


def interrupt_create(state: Path, livekit, name: str | None = None):
    """Kill `pulumi up` of the one-trunk program once LiveKit has created the trunk, and
    return that orphan."""
    interrupt_up(state, livekit, [name] if name else [], lambda: bool(livekit.outbound_trunks()))
    [orphan] = livekit.outbound_trunks()
    return orphan


def rerun_stack(state: Path, livekit, name: str | None = None, adopt_id: str | None = None):
    """The same program and state as interrupted_up.py, against the server directly."""
    stack = LocalStack(
        "interrupted",
        lambda: SipOutboundTrunk(
            "carrier",
            name=name,
            address="sip.telnyx.com",
            numbers=["+15105550100"],
            auth_username="acme",
            auth_password="interrupted-pw-not-in-state",
            adopt_id=adopt_id,
        ),
        state,
        config=livekit.config(),
        secret_config=livekit.secret_config(),
    )
    return stack


def test_rerun_after_interrupted_create_converges(tmp_path: Path, clean_livekit) -> None:
    state = tmp_path / "state"
    orphan = interrupt_create(state, clean_livekit)
    # The autoname is deterministic: the orphan bears the name the re-run computes.
    assert orphan.name == autoname("interrupted", "dev", OUTBOUND, "carrier")

    # Re-run against the server directly: the same program, the same state.
    stack = rerun_stack(state, clean_livekit)
    # A killed update leaves its lock behind: `pulumi cancel` is the documented way out.
    stack.stack.cancel()
    rerun = stack.up()
    assert rerun.ok, rerun.error
    assert "pending operations" in rerun.stdout
    trunks = clean_livekit.outbound_trunks()
    assert [t.sip_trunk_id for t in trunks] == [orphan.sip_trunk_id]
    outputs = stack.export_decrypted()
    [recorded] = [r for r in outputs["resources"] if r["type"].endswith(":SipOutboundTrunk")]
    assert recorded["id"] == orphan.sip_trunk_id
    assert stack.destroy().ok
    assert clean_livekit.outbound_trunks() == []


def test_interrupted_create_with_explicit_name_is_adopted_not_taken(
    tmp_path: Path, clean_livekit
) -> None:
    """An explicit name may be shared with another stack: the orphan is never taken silently;
    the re-run says which object it is and how to adopt it, and adopting converges."""
    state = tmp_path / "state"
    orphan = interrupt_create(state, clean_livekit, name="carrier-trunk")
    assert orphan.name == "carrier-trunk"

    stack = rerun_stack(state, clean_livekit, name="carrier-trunk")
    stack.stack.cancel()
    refused = stack.up()
    assert not refused.ok
    assert f"{orphan.sip_trunk_id} already exists in this LiveKit project" in refused.error
    assert f'set adopt_id="{orphan.sip_trunk_id}"' in refused.error
    assert [t.sip_trunk_id for t in clean_livekit.outbound_trunks()] == [orphan.sip_trunk_id]

    adopting = rerun_stack(state, clean_livekit, name="carrier-trunk", adopt_id=orphan.sip_trunk_id)
    adopted = adopting.up()
    assert adopted.ok, adopted.error
    assert [t.sip_trunk_id for t in clean_livekit.outbound_trunks()] == [orphan.sip_trunk_id]
    [recorded] = [
        r
        for r in adopting.export_decrypted()["resources"]
        if r["type"].endswith(":SipOutboundTrunk")
    ]
    assert recorded["id"] == orphan.sip_trunk_id
    assert adopting.destroy().ok
    assert clean_livekit.outbound_trunks() == []


# -- an edited program after a killed `up` -------------------------------------------------------


def line_stack(state: Path, livekit, stack: str = "dev", version: str = "v2") -> LocalStack:
    """interrupted_up.py's phone line program, against the server directly."""
    line = LocalStack(
        PROJECT,
        line_program,
        state,
        stack=stack,
        config={**livekit.config(), "version": version},
        secret_config=livekit.secret_config(),
    )
    return line


def everything(livekit) -> dict[str, bytes]:
    """Every SIP object of the project, serialized: to prove what changed."""
    found = {
        o.sip_trunk_id: o.SerializeToString(deterministic=True)
        for o in livekit.inbound_trunks() + livekit.outbound_trunks()
    }
    for rule in livekit.dispatch_rules():
        found[rule.sip_dispatch_rule_id] = rule.SerializeToString(deterministic=True)
    return found


def test_edited_program_after_interrupted_up_takes_over_its_objects(
    tmp_path: Path, clean_livekit
) -> None:
    """Kill `up` after some creates, edit the program, `pulumi cancel`, `up`: the objects the
    killed run left are this stack's (they bear its autonames) whatever their fields, so they
    are taken over and updated, not duplicated; and `destroy` leaves nothing. Another stack of
    the program, and an object made by hand with the edited settings, are left alone."""
    livekit = clean_livekit
    # Another stack of the same program, in the same LiveKit project, deployed beforehand.
    prod = line_stack(tmp_path / "prod", livekit, stack="prod")
    assert prod.up().ok
    prod_objects = everything(livekit)
    assert len(prod_objects) == 4

    state = tmp_path / "dev"

    def left_behind() -> bool:
        mine = [o for o in livekit.inbound_trunks() if o.sip_trunk_id not in prod_objects]
        return (
            len(mine) == 2
            and len(livekit.outbound_trunks()) == 2
            and len(livekit.dispatch_rules()) == 2
        )

    interrupt_up(state, livekit, ["--line"], left_behind, LINE_HELD)
    dev = line_stack(state, livekit, version="v1")
    recorded = [r["urn"].rsplit("::", 1)[1] for r in dev.export_decrypted()["resources"]]
    assert "main" in recorded and not {"line", "line-dispatch", "carrier"} & set(recorded)
    left = {k: v for k, v in everything(livekit).items() if k not in prod_objects}
    assert len(left) == 4

    # Someone makes, by hand, an outbound trunk with the settings the edit declares.
    hand_made = livekit.call(
        lambda lk: lk.sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(
                trunk=api.SIPOutboundTrunkInfo(
                    name="carrier", address="sip.telnyx.com", numbers=["+15105550100"],
                    auth_username="acme", auth_password=PASSWORD, metadata="line v2",
                )
            )
        )
    ).sip_trunk_id

    # The edit: other metadata everywhere, one more number on "line" (whose create would be
    # refused as conflicting with its own trunk, which holds the first number).
    dev = line_stack(state, livekit, version="v2")
    dev.stack.cancel()
    rerun = dev.up()
    assert rerun.ok, rerun.error
    ids = {
        r["urn"].rsplit("::", 1)[1]: r["id"]
        for r in dev.export_decrypted()["resources"]
        if r["type"].startswith("pulumi-python:dynamic/livekit:")
    }
    assert sorted(ids.values()) == sorted(left)  # every object taken over, none created
    now = everything(livekit)
    assert sorted(now) == sorted([*prod_objects, *left, hand_made])  # no duplicate
    assert {k: now[k] for k in prod_objects} == prod_objects  # prod's untouched
    for trunk in livekit.inbound_trunks() + livekit.outbound_trunks():
        if trunk.sip_trunk_id in ids.values():
            assert trunk.metadata == "line v2"  # the edit is applied
    [line] = [t for t in livekit.inbound_trunks() if t.sip_trunk_id == ids["line"]]
    assert list(line.numbers) == ["+15105550100", "+15105550101"]
    [rule] = [r for r in livekit.dispatch_rules() if r.sip_dispatch_rule_id == ids["line-dispatch"]]
    assert rule.metadata == "line v2" and list(rule.trunk_ids) == [ids["main"]]
    assert dev.up().change_summary == {"same": 5}  # converged

    assert dev.destroy().ok
    assert sorted(everything(livekit)) == sorted([*prod_objects, hand_made])
    assert prod.destroy().ok
    assert [t.sip_trunk_id for t in livekit.outbound_trunks()] == [hand_made]
