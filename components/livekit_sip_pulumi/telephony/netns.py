"""A private network namespace for the media path of test calls.

LiveKit's WebRTC legs (the bridge's and the agent's participants) pick a non-loopback interface
for media. So that no packet of a test call leaves the machine, the whole call (Redis,
livekit-server, the SIP bridge, the agent worker and the caller) runs inside a namespace that
has only ``lo`` and one veth pair with addresses of the benchmark range 198.18.0.0/15::

    ip netns add lksp-calls-<owner PID>-<id>
    ip -n lksp-calls-<id> link set lo up
    ip -n lksp-calls-<id> link add lksp-srv type veth peer name lksp-caller
    ip -n lksp-calls-<id> addr add 198.18.0.1/24 dev lksp-srv      # server side: LiveKit, bridge
    ip -n lksp-calls-<id> addr add 198.18.0.2/24 dev lksp-caller   # default caller address
    ip -n lksp-calls-<id> link set lksp-srv up; ... lksp-caller up

A call "from" another address (a provider's, as in a trunk's ``allowed_addresses``) adds that
address to ``lksp-caller`` (``/32``); it exists only in the namespace. The carrier stand-in
(:mod:`.carrier`) gets its own address there too (``198.18.0.5``).

Name resolution inside: ``ip netns exec`` bind-mounts every file of ``/etc/netns/<namespace>/``
over the one of the same name in ``/etc``, for the process it starts. The namespace has its own
``hosts`` there (``localhost``, plus the provider hostnames the carrier stand-in serves,
:meth:`NetNamespace.set_hosts`, rewritten in place so that running processes see it) and a
``resolv.conf`` naming ``127.0.0.1`` as the only nameserver, where nothing listens: a hostname
not in ``hosts`` does not resolve (the query is refused inside the namespace, it never leaves
it). The folder is removed with the namespace, and by the stale-namespace cleanup below.

There is no default route: nothing in the namespace can reach another network. The process that
runs the tests stays outside; it reaches the server's API through a TCP forwarder on the host's
127.0.0.1 (:meth:`NetNamespace.forward_tcp`) and runs the caller in a thread that entered the
namespace (:meth:`NetNamespace.run`). ``remove`` deletes the namespace with everything in it.

The namespace's name carries the PID of the process that created it. A run killed with
SIGKILL cannot clean up; the next :meth:`NetNamespace.create` (of any run) removes every
``lksp-calls-<PID>-*`` namespace whose owner is dead, killing the processes still in it
(:func:`remove_stale_namespaces`).

Needs root (CAP_SYS_ADMIN) and ``ip`` from iproute2.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import re
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "CALLER_IP",
    "CARRIER_IP",
    "NETNS_ETC",
    "SERVER_IP",
    "NetNamespace",
    "NetnsError",
    "remove_stale_namespaces",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
SUBNET = "198.18.0"
SERVER_IP = f"{SUBNET}.1"
CALLER_IP = f"{SUBNET}.2"
#: The carrier stand-in's address (see :mod:`.carrier`).
CARRIER_IP = f"{SUBNET}.5"
#: Where ``ip netns exec`` finds the files it bind-mounts over ``/etc`` (iproute2's NETNS_ETC_DIR).
NETNS_ETC = "/etc/netns"
_BASE_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
#: No nameserver but one where nothing listens: names outside ``hosts`` do not resolve.
_RESOLV_CONF = "# livekit-sip-pulumi call tests: no DNS in this namespace\nnameserver 127.0.0.1\n"
SERVER_DEV = "lksp-srv"
CALLER_DEV = "lksp-caller"
CLONE_NEWNET = 0x40000000
PREFIX = "lksp-calls-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-[0-9a-f]+$")


class NetnsError(RuntimeError):
    pass


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise NetnsError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete(name: str) -> bool:
    """Kill every process still in namespace ``name`` and delete it; a failure is logged."""
    try:
        pids = [int(p) for p in _ip("netns", "pids", name).split() if p.isdigit()]
    except NetnsError as exc:
        log.warning("could not list the processes of network namespace %s: %s", name, exc)
        pids = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except OSError as exc:
            log.warning("could not kill process %d in network namespace %s: %s", pid, name, exc)
    try:
        _ip("netns", "del", name)
    except NetnsError as exc:
        log.warning("network namespace %s not removed (remove it with `ip netns del %s`): %s",
                    name, name, exc)
        return False
    return True


def _etc_dir(name: str) -> str:
    return os.path.join(NETNS_ETC, name)


def _remove_etc(name: str) -> None:
    """Remove ``/etc/netns/<name>/`` (and ``/etc/netns`` when that leaves it empty)."""
    shutil.rmtree(_etc_dir(name), ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(NETNS_ETC)  # only when empty: another run's folder keeps it


def remove_stale_namespaces() -> list[str]:
    """Remove the ``lksp-calls-<PID>-*`` namespaces whose owner process is dead (a run killed
    with SIGKILL), and the processes still in them; returns the names removed."""
    try:
        listed = _ip("netns", "list")
    except NetnsError as exc:
        log.warning("could not list network namespaces: %s", exc)
        return []
    removed: list[str] = []
    for line in listed.splitlines():
        name = line.split(" ", 1)[0]
        match = _OWNED.match(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            log.warning("removing network namespace %s: its owner (PID %s) is gone",
                        name, match.group(1))
            if _delete(name):
                removed.append(name)
    # The /etc/netns folders of dead runs, whether or not their namespace is still listed.
    with contextlib.suppress(OSError):
        for name in os.listdir(NETNS_ETC):
            match = _OWNED.match(name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                _remove_etc(name)
    return removed


class NetNamespace:
    """A named network namespace created by :meth:`create` and deleted by :meth:`remove`."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        self.path = f"/var/run/netns/{self.name}"
        self.created = False
        self.commands: list[str] = []
        self._caller_ips = {CALLER_IP}
        self._forwarders: list[_Forwarder] = []

    def _run_ip(self, *args: str) -> None:
        self.commands.append("ip " + " ".join(args))
        _ip(*args)

    def create(self) -> NetNamespace:
        if shutil.which("ip") is None:
            raise NetnsError("`ip` (iproute2) is needed for the call tests' network namespace: "
                             "apt-get install -y iproute2")
        if os.geteuid() != 0:
            raise NetnsError("the call tests create a network namespace (`ip netns add`): run "
                             "them as root (CI containers are), or with CAP_SYS_ADMIN")
        remove_stale_namespaces()
        self._run_ip("netns", "add", self.name)
        self.created = True
        try:
            self._write_etc()
            n = ("-n", self.name)
            self._run_ip(*n, "link", "set", "lo", "up")
            self._run_ip(*n, "link", "add", SERVER_DEV, "type", "veth", "peer", "name", CALLER_DEV)
            self._run_ip(*n, "addr", "add", f"{SERVER_IP}/24", "dev", SERVER_DEV)
            self._run_ip(*n, "addr", "add", f"{CALLER_IP}/24", "dev", CALLER_DEV)
            self._run_ip(*n, "link", "set", SERVER_DEV, "up")
            self._run_ip(*n, "link", "set", CALLER_DEV, "up")
        except BaseException:
            self.remove()
            raise
        return self

    @property
    def hosts_path(self) -> str:
        """The namespace's own ``/etc/hosts`` (``/etc/netns/<namespace>/hosts``)."""
        return os.path.join(_etc_dir(self.name), "hosts")

    def _write_etc(self) -> None:
        for _ in range(3):  # another run may remove an empty /etc/netns meanwhile
            try:
                os.makedirs(_etc_dir(self.name), mode=0o755, exist_ok=True)
                break
            except FileNotFoundError:
                continue
        with open(os.path.join(_etc_dir(self.name), "resolv.conf"), "w") as f:
            f.write(_RESOLV_CONF)
        self.commands.append(f"printf 'nameserver 127.0.0.1' > {_etc_dir(self.name)}/resolv.conf")
        self.set_hosts({})

    def set_hosts(self, names: dict[str, str]) -> None:
        """The namespace's ``hosts``: localhost and ``names`` (hostname -> address). Rewritten
        in place (same file): the bind mounts of the processes already running see it.
        Go's resolver (the bridge's) re-reads a changed ``hosts`` at most 5 s late."""
        lines = [_BASE_HOSTS] + [f"{address}\t{host}\n" for host, address in sorted(names.items())]
        with open(self.hosts_path, "w") as f:  # "w" truncates: the same inode
            f.write("".join(lines))

    def add_caller_ip(self, address: str) -> None:
        """Give the caller side ``address`` (inside the namespace only)."""
        if address in self._caller_ips:
            return
        self._run_ip("-n", self.name, "addr", "add", f"{address}/32", "dev", CALLER_DEV)
        self._caller_ips.add(address)

    def argv(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` execs it: same PID)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def remove(self) -> None:
        for forwarder in self._forwarders:
            forwarder.stop()
        self._forwarders.clear()
        if self.created:
            _delete(self.name)
            _remove_etc(self.name)
            self.created = False

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` in a thread that entered the namespace; sockets it opens live there."""
        box: dict[str, object] = {}

        def target() -> None:
            try:
                self._enter()
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=target, name=f"in-{self.name}", daemon=True)
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]

    def _enter(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise NetnsError(f"setns({self.path}) failed: {os.strerror(err)}")
        finally:
            os.close(fd)

    def connect(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
        """A TCP connection to ``host:port`` inside the namespace."""
        return self.run(lambda: socket.create_connection((host, port), timeout=timeout))

    def forward_tcp(self, port: int) -> int:
        """Forward a free port on the host's 127.0.0.1 to 127.0.0.1:``port`` in the
        namespace; returns the host port. Stopped by :meth:`remove`."""
        forwarder = _Forwarder(self, port)
        self._forwarders.append(forwarder)
        return forwarder.host_port

    def __enter__(self) -> NetNamespace:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.remove()


class _Forwarder:
    """Loopback TCP forwarder: host 127.0.0.1:<free> -> namespace 127.0.0.1:<port>."""

    def __init__(self, ns: NetNamespace, port: int) -> None:
        self.ns, self.port = ns, port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.host_port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="ns-forward", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = self.ns.connect(self.port)
        except OSError:
            client.close()
            return
        client.setblocking(False)
        upstream.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, upstream)
        sel.register(upstream, selectors.EVENT_READ, client)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.5):
                    src = key.fileobj
                    dst = key.data
                    assert isinstance(src, socket.socket)
                    try:
                        data = src.recv(65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        return
                    dst.setblocking(True)
                    dst.sendall(data)
                    dst.setblocking(False)
        except OSError:
            return
        finally:
            sel.close()
            client.close()
            upstream.close()

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(timeout=2)
