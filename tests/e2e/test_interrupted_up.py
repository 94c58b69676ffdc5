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
from pathlib import Path
from urllib.parse import urlparse

import pytest
from livekit_sip_pulumi import SipOutboundTrunk
from livekit_sip_pulumi.providers import autoname
from localstack import LocalStack

pytestmark = pytest.mark.e2e

OUTBOUND = "pulumi-python:dynamic/livekit:SipOutboundTrunk"


class SlowCreateProxy:
    """TCP proxy on 127.0.0.1 in front of the server: requests pass at once, the answers to
    Create* calls are held back for ``delay`` seconds (other calls answer normally)."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
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
        try:
            while data := src.recv(65536):
                if request and b"/Create" in data:
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


def interrupt_create(state: Path, livekit, name: str | None = None):
    """Run `pulumi up` of interrupted_up.py through a proxy that holds back the create's answer,
    kill it once LiveKit has created the trunk, and return that orphan."""
    port = urlparse(livekit.url).port
    assert port is not None
    proxy = SlowCreateProxy(port, delay=60)
    runner = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("interrupted_up.py")),
            str(state),
            f"http://127.0.0.1:{proxy.port}",
            livekit.api_key,
            livekit.api_secret,
            *([name] if name else []),
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not livekit.outbound_trunks():
            assert runner.poll() is None, runner.stdout.read().decode() if runner.stdout else ""
            assert time.monotonic() < deadline, "the create never reached LiveKit"
            time.sleep(0.2)
        kill_tree(runner.pid)
        runner.wait(timeout=30)
    finally:
        proxy.close()
        if runner.poll() is None:
            kill_tree(runner.pid)
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
