"""What the benchmarks share: running a stack through the CLI or the Automation API, a /proc
sampler for peak memory per process, the counting proxy, and the state's bytes by key.

Everything runs on loopback against the livekit-server of ``scripts/with-services.sh`` (its
URL and key pair in the environment). Figures only: nothing here asserts.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PASSPHRASE = "local-file-backend-passphrase"
PROJECT = "lksp-bench"

sys.path.insert(0, str(ROOT / "scripts"))

from localstack import toolchain_bin  # noqa: E402

# -- environment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveKit:
    url: str
    api_key: str
    api_secret: str

    @classmethod
    def from_env(cls) -> LiveKit:
        missing = [
            v
            for v in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
            if v not in os.environ
        ]
        if missing:
            raise SystemExit(
                f"{', '.join(missing)} not set: run the benchmarks with scripts/with-services.sh "
                "(`make bench` does)"
            )
        return cls(
            os.environ["LIVEKIT_URL"],
            os.environ["LIVEKIT_API_KEY"],
            os.environ["LIVEKIT_API_SECRET"],
        )


def language_host_dir() -> Path:
    """Where ``pulumi-language-python`` (and its ``-exec`` script) are: the toolchain's bin, or
    ``LKSP_LANGUAGE_HOST_DIR``."""
    override = os.environ.get("LKSP_LANGUAGE_HOST_DIR")
    candidates = [Path(override)] if override else []
    candidates.append(toolchain_bin())
    for directory in candidates:
        if (directory / "pulumi-language-python").exists():
            return directory
    found = shutil.which("pulumi-language-python")
    if found:
        return Path(found).parent
    raise SystemExit(
        "pulumi-language-python not found (looked in "
        f"{', '.join(str(c) for c in candidates)} and on PATH): run `make toolchain`, or set "
        "LKSP_LANGUAGE_HOST_DIR to a folder holding it and pulumi-language-python-exec"
    )


def pulumi_binary() -> str:
    built = toolchain_bin() / "pulumi"
    if built.exists():
        return str(built)
    found = shutil.which("pulumi")
    if found is None:
        raise SystemExit("pulumi CLI not found: run `make toolchain`")
    return found


def base_env(state_dir: Path, *, cli: bool) -> dict[str, str]:
    """Environment of a pulumi run with a file backend under ``state_dir``."""
    path = [str(toolchain_bin())]
    if cli:
        path.append(str(language_host_dir()))
    path += [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    return {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{state_dir}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_HOME": str(state_dir / ".pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        # bench.noop_provider must be importable in the provider process.
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "PATH": os.pathsep.join(path),
    }


# -- peak memory per process ------------------------------------------------------------------


def _kind_of(cmdline: list[str]) -> str:
    joined = " ".join(cmdline)
    exe = Path(cmdline[0]).name if cmdline else ""
    if exe == "pulumi":
        return "engine"
    if exe == "pulumi-language-python":
        return "language host"
    if "pulumi.dynamic" in joined:
        return "provider"
    if "pulumi.policy" in joined:
        return "policy pack"
    if "pulumi-language-python-exec" in joined or "bench.auto_worker" in joined:
        return "program"
    if "counting_proxy" in joined:
        return "proxy"
    return "other"


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (fields 14 and 15 of /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children_cpu_seconds() -> float:
    """CPU seconds of this process's waited-for descendants (engines reap their plugins, so a
    finished `pulumi` run counts with everything it started)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class ProcessSampler:
    """Samples the peak RSS (VmHWM) of every descendant of ``root`` every ``interval`` s.

    A process's VmHWM is the kernel's own high-water mark, so the figure is exact up to the
    last sample before the process exits (processes shorter than ``interval`` may be missed).
    """

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root = root
        self.interval = interval
        self.peak: dict[int, tuple[str, int]] = {}
        # CPU seconds per process at its last sample (the last interval before exit is lost).
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        children = _children_map()
        todo = list(children.get(self.root, ()))
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, ()))
            hwm = _hwm_kib(pid)
            if not hwm:
                continue
            known, peak = self.peak.get(pid, ("", 0))
            kind = known
            if kind in ("", "other"):
                # A process sampled between fork and exec still shows its parent's command
                # line (and memory): look again until it is one of ours.
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                kind = _kind_of([a.decode(errors="replace") for a in raw.split(b"\0") if a])
                if kind != known:
                    peak = 0
                    self.cpu.pop(pid, None)
            self.peak[pid] = (kind, max(hwm, peak))
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_seconds(pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Per kind of process: how many there were, the largest peak RSS in MiB and their CPU
        seconds (as last sampled)."""
        out: dict[str, dict[str, float]] = {}
        for pid, (kind, kib) in self.peak.items():
            entry = out.setdefault(kind, {"processes": 0, "peak_mib": 0.0, "cpu_s": 0.0})
            entry["processes"] += 1
            entry["peak_mib"] = max(entry["peak_mib"], kib / 1024)
            entry["cpu_s"] += self.cpu.get(pid, 0.0)
        return out


# -- counting proxy ---------------------------------------------------------------------------


class CountingProxyProcess:
    """bench/counting_proxy.py in a process of its own, started and stopped by its PID."""

    def __init__(self, upstream: str) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="lksp-proxy-"))
        port_file = self._dir / "port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.counting_proxy", upstream, str(port_file)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the counting proxy did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text()}"

    def counts(self) -> dict[str, dict[str, float]]:
        with urllib.request.urlopen(f"{self.url}/__bench/counts", timeout=10) as response:
            return dict(json.load(response))

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/__bench/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


# -- state ------------------------------------------------------------------------------------


def state_file(state_dir: Path, stack: str) -> Path:
    return state_dir / ".pulumi" / "stacks" / PROJECT / f"{stack}.json"


def state_breakdown(path: Path) -> dict[str, Any]:
    """Bytes of the state file, and per resource of the program (custom resources other than
    providers) the bytes of each part, measured as compact JSON."""
    raw = path.read_bytes()
    deployment = json.loads(raw)["checkpoint"]["latest"]
    parts: dict[str, int] = {}
    count = 0
    for res in deployment.get("resources") or []:
        if not res.get("custom") or res["type"].startswith("pulumi:providers:"):
            continue
        count += 1
        for key, value in res.items():
            if key in ("inputs", "outputs"):
                value = dict(value)
                provider = value.pop("__provider", None)
                if provider is not None:
                    parts["__provider"] = parts.get("__provider", 0) + _size(provider) + 15
                parts[key] = parts.get(key, 0) + _size(value)
            else:
                parts[key] = parts.get(key, 0) + _size(value) + len(key) + 4
    return {"file_bytes": len(raw), "resources": count, "parts": parts}


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


# -- one stack, two ways ----------------------------------------------------------------------


@dataclass
class RunFigures:
    up_s: float = 0.0
    destroy_s: float = 0.0
    #: CPU seconds of everything `up` ran (engine, language host, program, providers).
    up_cpu_s: float = 0.0
    rss: dict[str, dict[str, float]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, dict[str, float]] = field(default_factory=dict)


def stack_config(
    kind: str, size: int, livekit_url: str | None, lk: LiveKit | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The bench program's stack config and secret config: its kind and size, and for LiveKit
    objects where to reach the server (``livekit_url``: the server or the counting proxy)."""
    config = {"bench:kind": kind, "bench:size": str(size)}
    secret: dict[str, str] = {}
    if not kind.startswith("noop"):
        assert lk is not None and livekit_url is not None
        config.update({"livekit:url": livekit_url, "livekit:apiKey": lk.api_key})
        secret["livekit:apiSecret"] = lk.api_secret
    return config, secret


class CliStack:
    """A generated project folder (``Pulumi.yaml`` + ``__main__.py``) run with the CLI:
    `pulumi up` as a user types it, the program in the Python language host."""

    def __init__(
        self,
        state_dir: Path,
        stack: str,
        config: Mapping[str, str],
        secret_config: Mapping[str, str],
    ) -> None:
        self.state_dir = state_dir
        self.stack = stack
        self.project = state_dir / "project"
        self.project.mkdir(parents=True, exist_ok=True)
        venv = Path(sys.executable).parent.parent
        (self.project / "Pulumi.yaml").write_text(
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
        )
        (self.project / "__main__.py").write_text("from bench.programs import main\n\nmain()\n")
        self.env = base_env(state_dir, cli=True)
        self._cli("stack", "init", stack, "--secrets-provider", "passphrase")
        pairs = [a for k, v in config.items() for a in ("--plaintext", f"{k}={v}")]
        pairs += [a for k, v in secret_config.items() for a in ("--secret", f"{k}={v}")]
        if pairs:
            self._cli("config", "set-all", "--stack", stack, *pairs)

    def _cli(self, *args: str) -> float:
        """Runs the CLI; returns wall seconds (CPU seconds of the whole run: ``last_cpu_s``)."""
        cpu = children_cpu_seconds()
        start = time.perf_counter()
        done = subprocess.run(
            [pulumi_binary(), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        self.last_cpu_s = children_cpu_seconds() - cpu
        if done.returncode != 0:
            raise SystemExit(
                f"pulumi {' '.join(args[:2])} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return elapsed

    def up(self, parallel: int | None = None) -> float:
        extra = ["--parallel", str(parallel)] if parallel else []
        return self._cli(
            "up", "--yes", "--skip-preview", "--color", "never", "--stack", self.stack, *extra
        )

    def preview(self, policy_packs: list[Path]) -> float:
        extra = [a for p in policy_packs for a in ("--policy-pack", str(p))]
        return self._cli("preview", "--color", "never", "--stack", self.stack, *extra)

    def destroy(self) -> float:
        return self._cli(
            "destroy", "--yes", "--skip-preview", "--color", "never", "--stack", self.stack
        )


def run_cli(
    kind: str,
    size: int,
    *,
    lk: LiveKit | None,
    proxy: CountingProxyProcess | None,
    parallel: int | None = None,
    skip_destroy: bool = False,
) -> RunFigures:
    """`pulumi up` then `pulumi destroy` of ``kind`` at ``size`` through the CLI. With
    ``skip_destroy`` the state is dropped instead (the caller deletes the LiveKit objects)."""
    state_dir = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
    figures = RunFigures()
    try:
        config, secret = stack_config(
            kind, size, proxy.url if proxy else (lk.url if lk else None), lk
        )
        stack = CliStack(state_dir, "bench", config, secret)
        if proxy:
            proxy.reset()
        with ProcessSampler(os.getpid()) as sampler:
            figures.up_s = stack.up(parallel)
        figures.up_cpu_s = stack.last_cpu_s
        figures.rss = sampler.by_kind()
        if proxy:
            figures.calls = proxy.counts()
        figures.state = state_breakdown(state_file(state_dir, "bench"))
        if not skip_destroy:
            figures.destroy_s = stack.destroy()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    return figures


def run_automation(
    kind: str, size: int, *, lk: LiveKit | None, proxy: CountingProxyProcess | None
) -> RunFigures:
    """The same through the Automation API: an inline program in a worker process
    (bench/auto_worker.py, so its memory is its own) driving `pulumi up` / `destroy`."""
    state_dir = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
    figures = RunFigures()
    try:
        config, secret = stack_config(
            kind, size, proxy.url if proxy else (lk.url if lk else None), lk
        )
        if proxy:
            proxy.reset()
        request = {
            "kind": kind,
            "size": size,
            "state_dir": str(state_dir),
            "config": config,
            "secret_config": secret,
        }
        with ProcessSampler(os.getpid()) as sampler:
            done = subprocess.run(
                [sys.executable, "-m", "bench.auto_worker", json.dumps(request)],
                cwd=ROOT,
                env=base_env(state_dir, cli=False),
                capture_output=True,
                text=True,
            )
        if done.returncode != 0:
            raise SystemExit(
                f"automation run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        figures.up_s, figures.destroy_s = result["up_s"], result["destroy_s"]
        figures.up_cpu_s = result["up_cpu_s"]
        figures.rss = sampler.by_kind()
        figures.state = result["state"]
        if proxy:
            figures.calls = proxy.counts()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    return figures
