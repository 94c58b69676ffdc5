"""Record the state a release's program writes, for the upgrade test of later releases.

The test is tests/e2e/test_upgrade_state.py; tests/e2e/upgrade/README.md says what a recorded
state holds. Run from the root of a checkout of the release, with its virtualenv
(`make venv`) and the toolchain built (`make toolchain`, or at least
`scripts/build-toolchain.sh pulumi language-host livekit`):

    .venv/bin/python tests/e2e/upgrade/record_state.py tests/e2e/upgrade/v0.1.0

The folder must hold the program (``__main__.py``). The script starts its own Redis and
livekit-server on free loopback ports, makes an inbound trunk by hand (the object the program
adopts), runs `pulumi up` through the Automation API on a local file backend with a fixed
test passphrase and test-only passwords, checks that a second preview changes nothing, then
writes ``state.json``, ``Pulumi.<stack>.yaml``, ``livekit-objects.json`` and ``recorded.json``
beside the program (see state_fixture.py), destroys the stack and stops the servers.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(HERE))

from localstack import LocalStack, program_from_dir, toolchain_bin  # noqa: E402
from state_fixture import (  # noqa: E402
    MANIFEST,
    OBJECTS,
    PROGRAM,
    STATE,
    LiveKitTarget,
    definitions,
)

PROJECT = "livekit-sip-upgrade"
STACK = "recorded"
PASSPHRASE = "upgrade-fixture-test-passphrase"
PASSWORD_KEYS = [
    "inboundPassword",
    "outboundPassword",
    "telnyxPassword",
    "linePassword",
    "twilioPassword",
]
LIBRARY = ("components", "policies", "pyproject.toml")
"""What a release's code is: the library and the pack."""
ADOPTED_NUMBER = "+15105550140"
"""The number of the inbound trunk made by hand, which the program adopts."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _livekit_server_version() -> str:
    server = toolchain_bin() / "livekit-server"
    found = str(server) if server.exists() else shutil.which("livekit-server") or "livekit-server"
    return _run(found, "--version").split()[-1]


def _start_services(run_dir: Path) -> tuple[LiveKitTarget, dict[str, str]]:
    env = {
        "LKSP_RUN": str(run_dir),
        "LKSP_REDIS_PORT": str(_free_port()),
        "LKSP_LIVEKIT_PORT": str(_free_port()),
    }
    env = {**os.environ, **env}
    started = subprocess.run(
        [str(ROOT / "scripts" / "services.sh"), "start"], env=env, capture_output=True, text=True
    )
    if started.returncode != 0:
        raise SystemExit(f"could not start redis + livekit-server:\n{started.stderr}")
    values: dict[str, str] = {}
    for line in (run_dir / "env").read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = value
    target = LiveKitTarget(
        values["LIVEKIT_URL"], values["LIVEKIT_API_KEY"], values["LIVEKIT_API_SECRET"]
    )
    return target, env


def _config_without_credentials(config_file: Path) -> str:
    """The stack's config file without the recording server's LiveKit settings."""
    document = yaml.safe_load(config_file.read_text())
    document["config"] = {
        key: value
        for key, value in document.get("config", {}).items()
        if not key.startswith("livekit:")
    }
    if "encryptionsalt" not in document:
        raise SystemExit(f"{config_file} has no encryptionsalt: not a passphrase stack")
    return yaml.safe_dump(document, sort_keys=True)


def record(folder: Path, allow_dirty: bool) -> None:
    from livekit import api

    if not (folder / PROGRAM).exists():
        raise SystemExit(f"{folder / PROGRAM} not found: the folder holds the program to record")
    dirty = _run("git", "status", "--porcelain", "--", *LIBRARY)
    if dirty and not allow_dirty:
        raise SystemExit(
            "the library has uncommitted changes: record with a release's code as committed\n"
            + dirty
        )
    version = metadata.version("livekit-sip-pulumi")
    passwords = {key: f"test-only-{key}-{secrets.token_hex(6)}" for key in PASSWORD_KEYS}

    with tempfile.TemporaryDirectory(prefix="lksp-record-") as tmp:
        run_dir = Path(tmp) / "services"
        run_dir.mkdir()
        target, env = _start_services(run_dir)
        try:
            if any(target.list_objects().values()):
                raise SystemExit("the recording server is not empty")
            adopted = target.call(
                lambda lk: lk.sip.create_inbound_trunk(
                    api.CreateSIPInboundTrunkRequest(
                        trunk=api.SIPInboundTrunkInfo(
                            name="legacy-line", numbers=[ADOPTED_NUMBER], metadata="made by hand"
                        )
                    )
                )
            )
            stack = LocalStack(
                PROJECT,
                program_from_dir(folder),
                Path(tmp) / "state",
                stack=STACK,
                config={
                    "livekit:url": target.url,
                    "livekit:apiKey": target.api_key,
                    "adoptedTrunkId": adopted.sip_trunk_id,
                },
                secret_config={"livekit:apiSecret": target.api_secret, **passwords},
                env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
                echo=True,
            )
            up = stack.up()
            if not up.ok:
                raise SystemExit(f"pulumi up failed:\n{up.error}")
            again = stack.preview()
            if not again.ok or set(again.change_summary) != {"same"}:
                raise SystemExit(f"the second preview is not empty: {again.change_summary}")

            state = json.loads(stack.export_text())
            objects = definitions(target.list_objects(), passwords)
            config_text = _config_without_credentials(
                Path(tmp) / "state" / "work" / f"Pulumi.{STACK}.yaml"
            )
            texts = [json.dumps(state), json.dumps(objects), config_text]
            for value in passwords.values():
                if any(value in text for text in texts):
                    raise SystemExit("a password is in plain text in what would be recorded")

            (folder / STATE).write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
            (folder / OBJECTS).write_text(json.dumps(objects, indent=2, sort_keys=True) + "\n")
            (folder / f"Pulumi.{STACK}.yaml").write_text(config_text)
            manifest = {
                "version": version,
                "commit": _run("git", "rev-parse", "HEAD"),
                "library_commit": _run("git", "log", "-1", "--format=%H", "--", *LIBRARY),
                "pulumi": _run(str(toolchain_bin() / "pulumi"), "version")
                if (toolchain_bin() / "pulumi").exists()
                else _run("pulumi", "version"),
                "livekit_server": _livekit_server_version(),
                "livekit_protocol": metadata.version("livekit-protocol"),
                "project": PROJECT,
                "stack": STACK,
                "passphrase": PASSPHRASE,
                "password_keys": PASSWORD_KEYS,
                "resource_changes": up.change_summary,
            }
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

            destroyed = stack.destroy()
            if not destroyed.ok:
                print(f"warning: destroy failed: {destroyed.error}", file=sys.stderr)
            print(f"recorded {version} ({up.change_summary}) in {folder}")
        finally:
            subprocess.run(
                [str(ROOT / "scripts" / "services.sh"), "stop"], env=env, capture_output=True
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the recorded state's folder (holds __main__.py)")
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="record even if components/ or policies/ have uncommitted changes",
    )
    args = parser.parse_args()
    record(args.folder.resolve(), args.allow_dirty)


if __name__ == "__main__":
    main()
