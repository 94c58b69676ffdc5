"""The local replica: Redis, livekit-server, LiveKit's SIP bridge and agent workers, in a
private network namespace (see :mod:`.netns`).

Inside the namespace: Redis on 127.0.0.1:6379; livekit-server with its API on 127.0.0.1:7880,
media on 198.18.0.1 (``node_ip``, ``use_external_ip: false``, loopback candidates on, no TURN,
no STUN); the bridge with SIP on 198.18.0.1:5060 (UDP), RTP on 198.18.0.1:20000-20199. Outside:
the API is forwarded to a free port on the host's 127.0.0.1 (:attr:`Replica.url`), which is what
Pulumi and the LiveKit clients of the tests use. Every process is started by this module and
stopped by its PID (each in a session of its own, its group is signalled too).
Started from the main thread, each is also killed by the kernel when the process that started
it is gone (:mod:`.tied`): a run killed with SIGKILL leaves no service or worker running, only
its namespace, which the next run removes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit_sip_core import NEWEST_SERVER

from .carrier import CarrierStandIn
from .netns import SERVER_IP, NetNamespace, NetnsError

__all__ = [
    "Replica",
    "ReplicaError",
    "Worker",
    "find_binary",
    "find_livekit_server",
    "service_env",
    "sigterm_as_exit",
    "toolchain_bin",
]

API_PORT = 7880
REDIS_PORT = 6379
SIP_PORT = 5060
BRIDGE_HEALTH_PORT = 8080
API_KEY = "replica-key"


_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
# Variables of the user's environment that would reconfigure a process of the replica:
# livekit-server reads LIVEKIT_CONFIG/LIVEKIT_KEYS/... over --config, the bridge SIP_CONFIG_*,
# the SDKs LIVEKIT_URL/...; a proxy would take the API traffic out of the namespace.
_SERVICE_PREFIXES = ("LIVEKIT_", "SIP_CONFIG_")


def service_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every process the replica starts (Redis, livekit-server, the bridge,
    agent workers): the user's, without the variables that would reconfigure it (LiveKit's,
    the bridge's config, proxies), plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.upper().startswith(_SERVICE_PREFIXES) and k.lower() not in _PROXY_VARS
    }
    env.update(extra or {})
    return env


class ReplicaError(RuntimeError):
    pass


def _exit_143() -> None:
    raise SystemExit(128 + signal.SIGTERM)


@contextlib.contextmanager
def sigterm_as_exit(on_term: Callable[[], object] = _exit_143) -> Iterator[None]:
    """Within the block, SIGTERM calls ``on_term`` (default: raise ``SystemExit(143)``) in the
    main thread, so that ``finally`` blocks and fixture finalizers stop the replica's processes
    (each runs in a session of its own: the runner's SIGTERM never reaches them) and remove its
    namespace. A second SIGTERM during that cleanup is ignored. Elsewhere than in the main
    thread, a no-op (Python delivers signals there only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: object) -> None:
        nonlocal fired
        if not fired:
            fired = True
            on_term()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _cache() -> Path:
    return Path(
        os.environ.get("LKSP_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "livekit-sip-pulumi"
    )


def toolchain_bin() -> Path:
    """``$LKSP_CACHE/bin`` (default ``~/.cache/livekit-sip-pulumi/bin``), where
    ``make toolchain`` puts livekit-sip."""
    return _cache() / "bin"


def find_livekit_server(hint: str) -> tuple[str, str]:
    """(path, release) of the livekit-server to run: ``make toolchain``'s build of
    LIVEKIT_SERVER_VERSION (default: the newest supported release), in
    ``$LKSP_CACHE/livekit-server/<version>/``, else one on PATH (its ``--version`` says which
    release it is; '' when it does not)."""
    version = os.environ.get("LIVEKIT_SERVER_VERSION") or NEWEST_SERVER
    built = _cache() / "livekit-server" / version / "livekit-server"
    if built.exists():
        return str(built), version
    found = shutil.which("livekit-server")
    if found is None:
        raise ReplicaError(f"livekit-server not found in {built.parent} or on PATH: {hint}")
    answer = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"version (\d+\.\d+\.\d+)", answer.stdout + answer.stderr)
    return found, f"v{match.group(1)}" if match else ""


def find_binary(name: str, hint: str) -> str:
    built = toolchain_bin() / name
    if built.exists():
        return str(built)
    found = shutil.which(name)
    if found is None:
        raise ReplicaError(f"{name} not found in {toolchain_bin()} or on PATH: {hint}")
    return found


_TIED = Path(__file__).with_name("tied.py")


def _tied(argv: list[str]) -> list[str]:
    """``argv`` run so that the kernel kills it (SIGKILL) when this process is gone, even
    killed with SIGKILL itself (see tied.py). From the main thread only: the parent-death
    signal follows the thread that started the process, and another thread may end first."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return argv
    return [sys.executable, str(_TIED), str(os.getpid()), *argv]


def _stop_process(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the group is ours
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


class LogFollower:
    """A growing log read from a saved offset: :meth:`new_lines` returns the complete lines
    written since the previous call (a log is never read twice)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        self.offset += end
        return data[:end].decode("utf-8", "replace").splitlines()


class ServerLog:
    """What livekit-server's log says of agents, followed incrementally: the agent_names
    registered now and, by room, why no agent job was sent."""

    def __init__(self, path: Path) -> None:
        self._follower = LogFollower(path)
        self._live: list[str] = []
        self._failures: dict[str, list[str]] = {}

    def update(self) -> ServerLog:
        for line in self._follower.new_lines():
            for event, name in _REGISTERED.findall(line):
                if event == "worker registered":
                    if name not in self._live:
                        self._live.append(name)
                elif name in self._live:
                    self._live.remove(name)
            match = _NO_WORKER.search(line)
            room = _ROOM.search(line)
            if match and room:
                agent = re.search(r'"agentName": "([^"]*)"', line)
                error = re.search(r'"error": "([^"]*)"', line)
                text = f"{match.group(1)} for agent_name '{agent.group(1) if agent else ''}'"
                text += f" ({error.group(1)})" if error else ""
                found = self._failures.setdefault(room.group(1), [])
                if text not in found:
                    found.append(text)
        return self

    def live_agent_names(self) -> list[str]:
        return list(self.update()._live)

    def dispatch_failures(self, room: str) -> list[str]:
        return list(self.update()._failures.get(room, []))


@dataclass
class Worker:
    """An agent worker process started in the namespace."""

    command: str
    process: subprocess.Popen[Any]
    log_path: Path
    agent_names: list[str] = field(default_factory=list)
    registered_after: float = 0.0
    _follower: LogFollower | None = field(default=None, repr=False)
    _full: bool = False

    def at_full_capacity(self) -> bool:
        """Whether the worker logged 'worker is at full capacity' (read from a saved offset)."""
        if self._follower is None:
            self._follower = LogFollower(self.log_path)
        self._full = self._full or any("worker is at full capacity" in line
                                       for line in self._follower.new_lines())
        return self._full

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        _stop_process(self.process, grace=10.0)


@dataclass
class Replica:
    """The running services; build with :meth:`start`, end with :meth:`stop`."""

    ns: NetNamespace
    run_dir: Path
    api_key: str
    api_secret: str = field(repr=False)
    url: str = ""  # the API on the host's loopback (forwarded into the namespace)
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    started_in: float = 0.0
    #: False when :meth:`start` made ``run_dir`` (no folder given): :meth:`stop` removes it,
    #: with the logs and the throwaway stack's state in it.
    keep_run_dir: bool = True
    #: The livekit-server release running ("v1.13.11"; '' when it cannot tell).
    server_version: str = ""
    server_log: ServerLog = field(init=False, repr=False)
    #: The carrier stand-in (:meth:`start_carrier`), stopped with the replica.
    carrier: CarrierStandIn | None = field(default=None, repr=False)

    ns_url = f"ws://127.0.0.1:{API_PORT}"
    sip_address = (SERVER_IP, SIP_PORT)

    def __post_init__(self) -> None:
        self.server_log = ServerLog(self.run_dir / "livekit.log")

    # -- start ----------------------------------------------------------------------------------

    @classmethod
    def start(cls, run_dir: Path | None = None, *, log_level: str = "info") -> Replica:
        t0 = time.monotonic()
        hint = "run `make toolchain` in a checkout of livekit-sip-pulumi"
        livekit, server_version = find_livekit_server(hint + " (scripts/build-toolchain.sh)")
        binaries = {
            "redis": find_binary("redis-server", "apt-get install -y redis-server"),
            "livekit": livekit,
            "bridge": find_binary("livekit-sip", hint + " (scripts/build-sip-bridge.sh)"),
        }
        keep = run_dir is not None
        run = Path(run_dir or tempfile.mkdtemp(prefix="lksp-replica-"))
        run.mkdir(parents=True, exist_ok=True)
        try:
            ns = NetNamespace().create()
        except NetnsError as exc:
            if not keep:
                shutil.rmtree(run, ignore_errors=True)
            raise ReplicaError(str(exc)) from None
        replica = cls(ns, run, API_KEY, secrets.token_hex(24), "", keep_run_dir=keep,
                      server_version=server_version)
        try:
            replica._start_services(binaries, log_level)
            replica.url = f"http://127.0.0.1:{ns.forward_tcp(API_PORT)}"
            replica.started_in = time.monotonic() - t0
        except BaseException:
            replica.stop()
            raise
        return replica

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str] | None = None,
               log: Path | None = None) -> subprocess.Popen[Any]:
        log_path = log or self.run_dir / f"{name}.log"
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(
                _tied(self.ns.argv(argv)), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=service_env(env), start_new_session=True,
                cwd=self.run_dir,
            )
        self.processes[f"{name}:{proc.pid}"] = proc
        return proc

    def _wait(self, what: str, proc: subprocess.Popen[Any], check: Any, timeout: float,
              log: Path) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise ReplicaError(f"{what} exited ({proc.returncode}); its log {log}:\n"
                                   + _tail(log))
            with contextlib.suppress(Exception):
                if self.ns.run(check):
                    return
            time.sleep(0.1)
        raise ReplicaError(f"{what} not ready after {timeout:.0f} s; its log {log}:\n" + _tail(log))

    def _start_services(self, binaries: Mapping[str, str], log_level: str) -> None:
        run = self.run_dir
        redis = self._spawn("redis", [
            binaries["redis"], "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
            "--appendonly", "no", "--daemonize", "no",
        ])
        self._wait("redis-server", redis, lambda: _tcp_open(REDIS_PORT), 15, run / "redis.log")
        (run / "livekit.yaml").write_text(json.dumps({
            "port": API_PORT,
            "bind_addresses": ["127.0.0.1"],
            "keys": {self.api_key: self.api_secret},
            "redis": {"address": f"127.0.0.1:{REDIS_PORT}"},
            "rtc": {
                "tcp_port": API_PORT + 1,
                "udp_port": API_PORT + 2,
                "node_ip": SERVER_IP,
                "use_external_ip": False,
                "enable_loopback_candidate": True,
                "stun_servers": [],
                "ips": {"includes": [f"{SERVER_IP}/32", "127.0.0.1/32"]},
            },
            "turn": {"enabled": False},
            # A job goes to a worker whose reported load (the machine's CPU) is below the
            # target load (default 0.7): a busy CI machine must not make the replica's agents
            # unreachable.
            "agents": {"target_load": 2.0},
            "logging": {"level": log_level},
        }, indent=1))
        livekit = self._spawn("livekit",
                              [binaries["livekit"], "--config", str(run / "livekit.yaml")])
        self._wait("livekit-server", livekit, lambda: _http_ok(f"http://127.0.0.1:{API_PORT}/"),
                   30, run / "livekit.log")
        (run / "sip.yaml").write_text(json.dumps({
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "ws_url": self.ns_url,
            "redis": {"address": f"127.0.0.1:{REDIS_PORT}"},
            "sip_port": SIP_PORT,
            "listen_ip": SERVER_IP,
            "use_external_ip": False,
            "nat_1_to_1_ip": SERVER_IP,
            "rtp_port": "20000-20199",
            "health_port": BRIDGE_HEALTH_PORT,
            # The bridge reports itself unhealthy (503 on its health port, outbound calls
            # refused) above this share of the machine's CPU (default 0.9); a shared CI machine
            # gets there, and a test replica has no other node to move calls to.
            "max_cpu_utilization": 1.0,
            "logging": {"level": log_level},
        }, indent=1))
        bridge = self._spawn("bridge", [binaries["bridge"], "--config", str(run / "sip.yaml")])
        self._wait("livekit-sip (the SIP bridge)", bridge,
                   lambda: _http_ok(f"http://127.0.0.1:{BRIDGE_HEALTH_PORT}/"), 30,
                   run / "bridge.log")

    # -- workers --------------------------------------------------------------------------------

    def worker_env(self) -> dict[str, str]:
        """The environment of an agent worker: LiveKit's variables pointing at the replica,
        and every outside service of livekit-agents disabled."""
        return service_env({
            "LIVEKIT_URL": self.ns_url,
            "LIVEKIT_API_KEY": self.api_key,
            "LIVEKIT_API_SECRET": self.api_secret,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "LIVEKIT_REMOTE_EOT_URL": "",
            "OTEL_SDK_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
            # Tells the worker it runs in the telephony tests (e.g. to ignore the CI machine's
            # CPU load, see examples/telephony-ci/agent.py).
            "LKSP_TELEPHONY_TEST": "1",
        })

    def start_worker(self, command: str | Sequence[str], *, cwd: Path | None = None,
                     timeout: float = 60.0, env: Mapping[str, str] | None = None) -> Worker:
        """Start an agent worker (e.g. ``python agent.py start``) in the namespace and wait
        until livekit-server logs its registration; the worker's ``agent_name`` is read from
        that log line."""
        argv = command.split() if isinstance(command, str) else list(command)
        text = command if isinstance(command, str) else " ".join(command)
        log = self.run_dir / f"worker-{len(self.workers) + 1}.log"
        server_log = self.run_dir / "livekit.log"
        offset = server_log.stat().st_size if server_log.exists() else 0
        t0 = time.monotonic()
        full_env = {**self.worker_env(), **(env or {})}
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                _tied(self.ns.argv(argv)), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=full_env, start_new_session=True,
                cwd=str(cwd or Path.cwd()),
            )
        worker = Worker(text, proc, log)
        self.workers.append(worker)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            names = registered_agent_names(server_log, offset)
            if names:
                worker.agent_names = names
                worker.registered_after = time.monotonic() - t0
                return worker
            if proc.poll() is not None:
                raise ReplicaError(
                    f"the agent worker `{text}` exited ({proc.returncode}) before it registered "
                    f"with LiveKit; its output ({log}):\n{worker.log_tail()}"
                )
            time.sleep(0.1)
        worker.stop()
        raise ReplicaError(
            f"the agent worker `{text}` did not register with LiveKit within {timeout:.0f} s "
            f"(LIVEKIT_URL={self.ns_url}); its output ({log}):\n{worker.log_tail()}"
        )

    def dispatch_failures(self, room: str) -> list[str]:
        """Why livekit-server sent no agent job for ``room`` (its log lines, deduplicated)."""
        return self.server_log.dispatch_failures(room)

    def registered_agent_names(self) -> list[str]:
        """agent_name of every worker registered now (from livekit-server's log)."""
        return self.server_log.live_agent_names()

    # -- the carrier stand-in ---------------------------------------------------------------

    def start_carrier(self) -> CarrierStandIn:
        """The carrier stand-in (:mod:`.carrier`) on its own address in the namespace, serving
        nothing until told (:meth:`CarrierStandIn.serve`); started once, stopped by
        :meth:`stop`."""
        if self.carrier is None:
            self.carrier = CarrierStandIn(self.ns).start()
        return self.carrier

    # -- stop -----------------------------------------------------------------------------------

    def stop(self) -> None:
        if self.carrier is not None:
            with contextlib.suppress(Exception):
                self.carrier.stop()
        for worker in reversed(self.workers):
            with contextlib.suppress(Exception):
                worker.stop()
        for name in reversed(list(self.processes)):
            with contextlib.suppress(Exception):
                _stop_process(self.processes[name])
        self.processes.clear()
        self.ns.remove()
        if not self.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, name: str, lines: int = 40) -> str:
        return _tail(self.run_dir / f"{name}.log", lines)


_REGISTERED = re.compile(r'(worker registered|last worker deregistered).*?"agentName":\s*"([^"]*)"')


# (JT_PARTICIPANT / JT_PUBLISHER jobs are logged as "not dispatching" for every room: noise.)
_NO_WORKER = re.compile(r"(no worker available to handle job)")
_ROOM = re.compile(r'"room": "([^"]*)"')


def registered_agent_names(server_log: Path, offset: int = 0, live: bool = False) -> list[str]:
    """agent_names of the workers livekit-server logged as registered after ``offset``
    (``live``: minus those whose last worker deregistered)."""
    try:
        with open(server_log, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    names: list[str] = []
    for event, name in _REGISTERED.findall(text):
        if event == "worker registered":
            if name not in names:
                names.append(name)
        elif live and name in names:
            names.remove(name)
    return names


def _tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _tcp_open(port: int) -> bool:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _http_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=2) as response:
        return bool(response.status == 200)


if sys.platform != "linux":  # pragma: no cover
    raise ImportError("the local replica needs Linux network namespaces")
