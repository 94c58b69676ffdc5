"""Run a Pulumi program against a local file backend with the Automation API.

Used by the demo (scripts/demo.py), the tests and the benchmarks. The program runs in this
Python process (an inline program), so only the `pulumi` CLI, the dynamic-provider shim
(`pulumi-resource-pulumi-python`) and, for policy packs, `pulumi-analyzer-policy-python` are
needed next to it: no separate Python language host.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit_sip_pulumi.inline import isolate_run_channels
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
POLICY_PACK = ROOT / "policies"
PASSPHRASE = "local-file-backend-passphrase"


def _toolchain_setting(name: str) -> str:
    """A variable of scripts/toolchain-env.sh, as the build scripts see it in this environment."""
    out = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/toolchain-env.sh" && printf %s "${name}"'],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def toolchain_bin() -> Path:
    """The directory scripts/build-toolchain.sh fills (same default as toolchain-env.sh)."""
    return Path(_toolchain_setting("LKSP_BIN"))


def pulumi_bin() -> Path:
    """Where the pulumi CLI of the release under test, its Python language host and its shims
    are built: ``toolchain_bin()`` for the pinned release, a folder of its own for the one
    ``LKSP_PULUMI_VERSION`` names (toolchain-env.sh)."""
    return Path(_toolchain_setting("LKSP_PULUMI_BIN"))


def requested_pulumi_version() -> str | None:
    """The release ``LKSP_PULUMI_VERSION`` asks for, or None for the pinned one."""
    return os.environ.get("LKSP_PULUMI_VERSION") or None


def livekit_releases() -> tuple[str, str]:
    """(newest, oldest) livekit-server release the toolchain builds (toolchain-env.sh)."""
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{ROOT}/scripts/toolchain-env.sh" && '
            'printf "%s %s" "$LIVEKIT_SERVER_NEWEST" "$LIVEKIT_SERVER_OLDEST"',
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    newest, oldest = out.stdout.split()
    return newest, oldest


def livekit_server_dir(version: str | None = None) -> Path:
    """Where scripts/build-toolchain.sh puts livekit-server ``version`` and its sip-oracle
    (default: LIVEKIT_SERVER_VERSION, else the newest release)."""
    env = {**os.environ}
    if version is not None:
        env["LIVEKIT_SERVER_VERSION"] = version
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{ROOT}/scripts/toolchain-env.sh" && printf %s "$LKSP_LIVEKIT_DIR"',
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return Path(out.stdout)


def pulumi_command() -> auto.PulumiCommand:
    """The pulumi CLI built by scripts/build-toolchain.sh, or the one on PATH."""
    bin_dir = pulumi_bin()
    if (bin_dir / "pulumi").exists():
        return auto.PulumiCommand(root=str(bin_dir.parent), skip_version_check=True)
    version = requested_pulumi_version()
    if version is not None:
        raise RuntimeError(
            f"pulumi {version} (LKSP_PULUMI_VERSION) is not built in {bin_dir}: run "
            f"`LKSP_PULUMI_VERSION={version} scripts/build-toolchain.sh pulumi language-host`"
        )
    found = shutil.which("pulumi")
    if found is None:
        raise RuntimeError(
            "pulumi CLI not found: run `make toolchain` (builds it) or install it with Pulumi's "
            "installer"
        )
    return auto.PulumiCommand(root=str(Path(found).parent.parent), skip_version_check=True)


def _install_policy_shim(bin_dir: Path, pulumi_home: Path) -> None:
    """Put the policy-pack shim in PULUMI_HOME's plugin cache, where the engine looks first
    (found on PATH instead, it works too but warns on every run)."""
    shim = bin_dir.parent / "plugins" / "pulumi-analyzer-policy-python"
    if not shim.exists():
        return
    target = pulumi_home / "plugins" / "analyzer-policy-python-v3.217.1"
    target.mkdir(parents=True, exist_ok=True)
    if not (target / shim.name).exists():
        shutil.copy2(shim, target / shim.name)


def program_from_dir(program_dir: Path) -> Callable[[], None]:
    """An inline program that runs ``program_dir/__main__.py`` as `pulumi up` would."""
    main = program_dir / "__main__.py"
    if not main.exists():
        raise FileNotFoundError(main)

    def program() -> None:
        sys.path.insert(0, str(program_dir))
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            sys.path.remove(str(program_dir))

    return program


@dataclass
class PolicyEventRecord:
    policy: str
    pack: str
    enforcement: str
    resource_urn: str
    message: str

    @property
    def resource_name(self) -> str:
        return self.resource_urn.rsplit("::", 1)[-1]


@dataclass
class RunResult:
    """What one preview or up did: its summary or its error, and the policy events."""

    ok: bool
    stdout: str
    policy_events: list[PolicyEventRecord] = field(default_factory=list)
    change_summary: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def violations(self, policy: str | None = None) -> list[PolicyEventRecord]:
        return [e for e in self.policy_events if policy is None or e.policy == policy]


class LocalStack:
    """One stack of an inline program in a local file backend under ``state_dir``."""

    def __init__(
        self,
        project: str,
        program: Callable[[], None],
        state_dir: Path,
        *,
        stack: str = "dev",
        config: Mapping[str, str] | None = None,
        secret_config: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        echo: bool = False,
    ) -> None:
        self.echo = echo
        # Many runs in one process: a run must not inherit a failed run's connection.
        isolate_run_channels()
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        bin_dir = pulumi_bin()
        env_vars = {
            "PULUMI_BACKEND_URL": f"file://{state_dir}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(state_dir / ".pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
            "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
            + os.environ.get("PATH", ""),
            **(env or {}),
        }
        _install_policy_shim(bin_dir, Path(env_vars["PULUMI_HOME"]))
        work_dir = state_dir / "work"
        work_dir.mkdir(exist_ok=True)
        self._env = env_vars
        self._work_dir = work_dir
        self.stack = auto.create_or_select_stack(
            stack_name=stack,
            project_name=project,
            program=program,
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(work_dir),
                env_vars=env_vars,
                pulumi_command=pulumi_command(),
                project_settings=auto.ProjectSettings(name=project, runtime="python"),
                secrets_provider="passphrase",
            ),
        )
        for key, value in (config or {}).items():
            self.stack.set_config(key, auto.ConfigValue(value))
        for key, value in (secret_config or {}).items():
            self.stack.set_config(key, auto.ConfigValue(value, secret=True))

    # -- operations ------------------------------------------------------------------------------

    def _policy_args(
        self, policy_packs: list[Path] | None, policy_config: Path | None
    ) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if policy_packs:
            args["policy_packs"] = [str(p) for p in policy_packs]
            if policy_config is not None:
                args["policy_pack_configs"] = [str(policy_config)]
        return args

    def _collector(self) -> tuple[list[str], Callable[[str], None]]:
        lines: list[str] = []

        def collect(line: str) -> None:
            lines.append(line)
            if self.echo:
                print(line, end="" if line.endswith("\n") else "\n", flush=True)

        return lines, collect

    def _run(self, op: str, **kwargs: Any) -> RunResult:
        events: list[PolicyEventRecord] = []
        out, collect = self._collector()

        def on_event(event: auto.events.EngineEvent) -> None:
            pe = event.policy_event
            if pe is not None:
                events.append(
                    PolicyEventRecord(
                        policy=pe.policy_name,
                        pack=pe.policy_pack_name,
                        enforcement=pe.enforcement_level,
                        resource_urn=pe.resource_urn or "",
                        message=pe.message,
                    )
                )

        try:
            result = getattr(self.stack, op)(
                on_event=on_event, on_output=collect, color="never", **kwargs
            )
        except auto.errors.CommandError as exc:
            return RunResult(ok=False, stdout="\n".join(out), policy_events=events, error=str(exc))
        outputs: dict[str, Any] = {}
        if op == "preview":
            summary = {str(k): v for k, v in result.change_summary.items()}
        else:
            summary = dict(result.summary.resource_changes or {})
        if op == "up":
            outputs = {k: v.value for k, v in result.outputs.items()}
        return RunResult(
            ok=True,
            stdout="\n".join(out),
            policy_events=events,
            change_summary=summary,
            outputs=outputs,
        )

    def preview(
        self,
        policy_packs: list[Path] | None = None,
        policy_config: Path | None = None,
        **options: Any,
    ) -> RunResult:
        """`pulumi preview`; ``options`` go to the Automation API (e.g.
        ``expect_no_changes=True``)."""
        return self._run("preview", **self._policy_args(policy_packs, policy_config), **options)

    def up(
        self,
        policy_packs: list[Path] | None = None,
        policy_config: Path | None = None,
        **options: Any,
    ) -> RunResult:
        """`pulumi up`; ``options`` go to the Automation API (e.g. ``replace=[urn]``)."""
        return self._run("up", **self._policy_args(policy_packs, policy_config), **options)

    def refresh(self, **options: Any) -> RunResult:
        """`pulumi refresh`; ``options`` go to the Automation API."""
        return self._run("refresh", **options)

    def destroy(self) -> RunResult:
        return self._run("destroy")

    def outputs(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.stack.outputs().items()}

    def export_text(self) -> str:
        """What `pulumi stack export` prints (secrets stay encrypted, unlike the Automation
        API's export_stack, which decrypts them)."""
        pulumi = pulumi_bin() / "pulumi"
        out = subprocess.run(
            [
                str(pulumi) if pulumi.exists() else "pulumi",
                "stack",
                "export",
                "--stack",
                self.stack.name,
            ],
            cwd=self._work_dir,
            env={**os.environ, **self._env},
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def export_decrypted(self) -> dict[str, Any]:
        """The deployment with secrets decrypted (`pulumi stack export --show-secrets`)."""
        return dict(self.stack.export_stack().deployment)

    def state_files_text(self) -> str:
        """Every file of the backend, concatenated: the raw state as it sits on disk."""
        chunks = []
        for path in sorted((self.state_dir / ".pulumi").rglob("*")):
            if path.is_file():
                chunks.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(chunks)

    def remove(self) -> None:
        self.stack.workspace.remove_stack(self.stack.name, force=True)
