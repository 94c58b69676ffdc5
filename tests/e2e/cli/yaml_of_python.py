"""A Python program of the components as the same program in Pulumi YAML, on the provider
plugin: ``python -m tests.e2e.cli.yaml_of_python <program folder>`` prints its Pulumi.yaml.

The program runs under Pulumi's mocks, which record what it declares (type, name, inputs);
each dynamic resource becomes the plugin resource of the same object (the one table,
``livekit_sip_core.PLUGIN_TYPES``), its inputs in the schema's camelCase, a reference to
another resource's ID as YAML's ``${name.sipTrunkId}``, a secret (the password) as
``fn::secret``. Nothing is written by hand per program: the YAML runs what the Python declares.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from livekit_sip_core import PLUGIN_TYPES
from livekit_sip_core.names import camel_case, schema_names
from pulumi.runtime import rpc

PLUGIN_OF = {dynamic: plugin for plugin, dynamic in PLUGIN_TYPES.items()}
ROOT = Path(__file__).resolve().parents[3]


def _id_field(plugin_type: str) -> str:
    return "sip_dispatch_rule_id" if plugin_type.endswith("DispatchRule") else "sip_trunk_id"


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.declared: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.declared.append((args.typ, args.name, dict(args.inputs)))
        state = dict(args.inputs)
        plugin = PLUGIN_OF.get(args.typ)
        if plugin:  # the ID output, as YAML refers to it
            field = _id_field(plugin)
            state[field] = f"${{{args.name}.{camel_case(field)}}}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def declared(folder: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """What ``folder/__main__.py`` declares: (type, name, inputs) per resource."""
    from localstack import program_from_dir  # scripts/, on the path in the test suite

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recorder = _Recorder()
    pulumi.runtime.set_mocks(recorder, project="yaml-of-python", stack="yaml", preview=False)
    program_from_dir(folder)()
    from pulumi.runtime.stack import wait_for_rpcs

    loop.run_until_complete(wait_for_rpcs())
    return recorder.declared


def _yaml_values(value: Any) -> Any:
    """Mock inputs as YAML values: a secret (the mocks' wrapped form) as ``fn::secret``."""
    if rpc.is_rpc_secret(value):
        return {"fn::secret": _yaml_values(rpc.unwrap_rpc_secret(value))}
    if isinstance(value, dict):
        return {k: _yaml_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_values(v) for v in value]
    return value


def yaml_program(folder: Path, project: str) -> dict[str, Any]:
    resources = {}
    for type_token, name, inputs in declared(folder):
        plugin = PLUGIN_OF.get(type_token)
        if plugin is None:
            raise SystemExit(f"{folder}: {type_token} {name} has no plugin type")
        props = {
            k: v
            for k, v in inputs.items()
            if not k.startswith("__") and v is not None and k != _id_field(plugin)
        }
        properties = _yaml_values(schema_names(props))
        resources[name] = {"type": plugin, "properties": properties}
    return {
        "name": project,
        "runtime": "yaml",
        "packages": {"livekit-sip": str(ROOT / "provider")},
        "resources": resources,
    }


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    text = yaml.safe_dump(yaml_program(folder, f"yaml-{folder.name}"), sort_keys=False)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
