"""Run the real `pulumi` binary as a user does: in a project folder, from a shell whose
virtualenv is NOT activated.

The environment is built from scratch: the toolchain's bin directory and the caller's PATH
without any virtualenv on it, a PULUMI_HOME and a local file backend of the test session, a
passphrase for secrets, no update check and no plugin downloads. Nothing from the test's own
interpreter leaks in (no VIRTUAL_ENV, PYTHONPATH or PULUMI_PYTHON_CMD): a project finds its
Python through its Pulumi.yaml, a policy pack through its PulumiPolicy.yaml.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "cli-tests-file-backend-passphrase"


def path_without_virtualenvs() -> str:
    """The caller's PATH minus the bin directory of any virtualenv (this interpreter's too)."""
    own_venv_bin = str(Path(sys.prefix) / "bin") if sys.prefix != sys.base_prefix else None
    keep = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry or entry == own_venv_bin or (Path(entry).parent / "pyvenv.cfg").exists():
            continue
        keep.append(entry)
    return os.pathsep.join(keep)


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"$ pulumi {' '.join(self.args)}  -> exit {self.returncode}\n{self.output}"


@dataclass
class PulumiCli:
    """The `pulumi` CLI with a clean environment; one PULUMI_HOME and file backend."""

    bin_dir: Path
    home: Path
    backend: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {
            "HOME": os.environ.get("HOME", "/root"),
            "PATH": f"{self.bin_dir}{os.pathsep}{path_without_virtualenvs()}",
            "LANG": "C.UTF-8",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
        for name in ("TMPDIR", "XDG_CACHE_HOME", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(self.extra_env)
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 300) -> CliResult:
        """`pulumi ARGS` in ``cwd``. The CLI runs in a process group of its own, killed by its
        ID if it outlives ``timeout`` (with the plugins it started)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend.mkdir(parents=True, exist_ok=True)
        env = self.env()
        pulumi = shutil.which("pulumi", path=env["PATH"])
        assert pulumi is not None, f"no pulumi on {env['PATH']}"
        proc = subprocess.Popen(
            [pulumi, *args, "--color", "never"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError(
                f"pulumi {' '.join(args)} did not finish in {timeout:.0f}s:\n{out}{err}"
            ) from None
        return CliResult(list(args), proc.returncode, out, err)

    def ok(self, *args: str, cwd: Path, timeout: float = 300) -> CliResult:
        """`run`, asserting exit code 0."""
        result = self.run(*args, cwd=cwd, timeout=timeout)
        assert result.returncode == 0, str(result)
        return result


@dataclass
class CliStack:
    """A stack of one project folder, with a name no other test uses; `remove` deletes it and
    the Pulumi.<stack>.yaml it wrote into the folder."""

    cli: PulumiCli
    folder: Path
    name: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")

    def init(self) -> CliStack:
        self.cli.ok("stack", "init", self.name, cwd=self.folder)
        return self

    def config(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        args = ["config", "set", "--stack", self.name, key, value]
        if secret:
            args.insert(2, "--secret")
        if path:  # as the examples' READMEs say: a number stays a string
            args[2:2] = ["--path", "--type", "string"]
        self.cli.ok(*args, cwd=self.folder)

    def run(self, command: str, *args: str, timeout: float = 300) -> CliResult:
        return self.cli.run(command, "--stack", self.name, *args, cwd=self.folder, timeout=timeout)

    def ok(self, command: str, *args: str, timeout: float = 300) -> CliResult:
        return self.cli.ok(command, "--stack", self.name, *args, cwd=self.folder, timeout=timeout)

    def remove(self) -> None:
        self.cli.run("stack", "rm", "--yes", "--force", self.name, cwd=self.folder)
        (self.folder / f"Pulumi.{self.name}.yaml").unlink(missing_ok=True)
