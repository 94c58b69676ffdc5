"""The engine without a door: its imports, its diff (which fields changed, and how), its sealed
password references; and the dynamic door's translation of the engine's results."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from livekit_sip_pulumi import engine
from livekit_sip_pulumi.client import LiveKitSettings
from livekit_sip_pulumi.engine import (
    CheckRequest,
    DiffKind,
    DiffRequest,
    DiffResult,
    SipDispatchRuleEngine,
    SipEngine,
    SipInboundTrunkEngine,
    SipOutboundTrunkEngine,
)
from livekit_sip_pulumi.providers import (
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
    SipProviderBase,
)
from livekit_sip_pulumi.specs import validate_spec
from pulumi.output import Unknown
from pydantic import SecretStr

from .test_specs import DISPATCH_OK, OUTBOUND_OK, with_

ENGINE_SOURCE = Path(engine.__file__)
API_SECRET = "engine-unit-api-secret-0123456789abcdef"
INBOUND_OK: dict[str, Any] = {"name": "line", "numbers": ["+15105550100"], "krisp_enabled": True}


# --- imports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["engine", "numberplan"])
def test_the_engine_imports_nothing_of_pulumi(module: str) -> None:
    """Imported on its own (the package's ``__init__``, which declares the Pulumi resources,
    left out), the engine and everything it imports load no module of the Pulumi SDK: neither
    door's framework, ``pulumi.dynamic`` nor ``pulumi.provider``."""
    probe = """
import importlib.util, json, sys, types
found = importlib.util.find_spec("livekit_sip_pulumi")
package = types.ModuleType("livekit_sip_pulumi")
package.__path__ = list(found.submodule_search_locations)
sys.modules["livekit_sip_pulumi"] = package
import livekit_sip_pulumi.engine as engine
import livekit_sip_pulumi.MODULE
print(json.dumps({
    "pulumi": sorted(m for m in sys.modules if m == "pulumi" or m.startswith("pulumi.")),
    "ours": sorted(m for m in sys.modules if m.startswith("livekit_sip_pulumi.")),
    "engine": engine.__file__,
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe.replace("MODULE", module)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = json.loads(done.stdout)
    assert Path(loaded["engine"]) == ENGINE_SOURCE
    assert loaded["pulumi"] == []
    assert "livekit_sip_pulumi.engine" in loaded["ours"]
    assert not {"livekit_sip_pulumi.providers", "livekit_sip_pulumi.resources"} & set(
        loaded["ours"]
    )


def test_the_probe_would_see_pulumi_dynamic() -> None:
    """The probe above can fail: the dynamic door, imported the same way, loads it."""
    probe = """
import importlib.util, sys, types
found = importlib.util.find_spec("livekit_sip_pulumi")
package = types.ModuleType("livekit_sip_pulumi")
package.__path__ = list(found.submodule_search_locations)
sys.modules["livekit_sip_pulumi"] = package
import livekit_sip_pulumi.providers
print("pulumi.dynamic" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "True"


def test_the_engine_source_has_no_pulumi_import() -> None:
    """Not even inside a function (the subprocess test sees only what runs at import)."""
    tree = ast.parse(ENGINE_SOURCE.read_text())
    nodes = list(ast.walk(tree))
    imported = [a.name for n in nodes if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in nodes if isinstance(n, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.split(".")[0] == "pulumi"]


#: What providers.py defined before the engine (0.2.0) that other code may import from it.
PROVIDERS_NAMES_OF_0_2_0 = [
    *("ADOPT_ID", "ADOPT_ONLY_IF_MATCHING", "AUTONAME", "autoname", "digest_key"),
    *("password_digest", "SipDispatchRuleProvider", "SipInboundTrunkProvider"),
    *("SipOutboundTrunkProvider", "SipProviderBase", "SipObjectApi", "INBOUND_API"),
    *("OUTBOUND_API", "DISPATCH_API", "MAX_FAILURES", "MAX_ECHOED_ENTRIES", "MAX_ECHOED_CHARS"),
    *("_is_current_digest", "_digest_salt", "_password_matches", "_seal", "_is_foreign_seal"),
    *("_unseal", "_unsealed", "_LiveNames", "_spec_inputs", "_normalize", "_reportable_field"),
    "_APIS_BY_PREFIX",
]


@pytest.mark.parametrize("name", PROVIDERS_NAMES_OF_0_2_0)
def test_the_names_providers_had_are_still_importable_from_it(name: str) -> None:
    from livekit_sip_pulumi import providers

    assert getattr(providers, name) is not None


# --- diff -------------------------------------------------------------------------------------


def configured(engine_class: type[SipEngine]) -> SipEngine:
    settings = LiveKitSettings(
        url="http://127.0.0.1:9", api_key="key", api_secret=SecretStr(API_SECRET)
    )
    return engine_class(settings)


def recorded(kind: SipEngine, values: dict[str, Any], object_id: str) -> dict[str, Any]:
    """The outputs the state records for ``values`` (as ``SipEngine.outputs`` builds them),
    the password as its keyed digest."""
    outs = dict(values)
    outs.update(validate_spec(kind.spec_class, values).outputs())
    outs[kind.object_api.id_field] = object_id
    if "auth_password" in values:
        key = engine.digest_key(API_SECRET)
        assert key is not None
        outs["auth_password"] = engine.password_digest(values["auth_password"], key)
    outs["__provider"] = "blob-of-an-earlier-release"
    return outs


KINDS = [
    (SipInboundTrunkEngine, INBOUND_OK, "ST_in1"),
    (SipOutboundTrunkEngine, OUTBOUND_OK, "ST_out1"),
    (SipDispatchRuleEngine, DISPATCH_OK, "SDR_1"),
]

# One field changed per kind, and how the engine must report it.
ONE_FIELD_CHANGED = [
    (SipInboundTrunkEngine, INBOUND_OK, "ST_in1", "numbers", ["+15105550199"], DiffKind.UPDATE),
    (SipInboundTrunkEngine, INBOUND_OK, "ST_in1", "metadata", "sales", DiffKind.ADD),
    (SipInboundTrunkEngine, INBOUND_OK, "ST_in1", "krisp_enabled", False, DiffKind.UPDATE),
    (SipOutboundTrunkEngine, OUTBOUND_OK, "ST_out1", "address", "sip-eu.telnyx.com", None),
    (SipOutboundTrunkEngine, OUTBOUND_OK, "ST_out1", "auth_password", "an-0ther-pass", None),
    (SipOutboundTrunkEngine, OUTBOUND_OK, "ST_out1", "destination_country", ..., DiffKind.DELETE),
    (SipDispatchRuleEngine, DISPATCH_OK, "SDR_1", "trunk_ids", ["ST_other"], DiffKind.UPDATE),
    (
        SipDispatchRuleEngine,
        DISPATCH_OK,
        "SDR_1",
        "room_config",
        {"agents": [{"agent_name": "other-agent"}]},
        DiffKind.UPDATE,
    ),
    (SipDispatchRuleEngine, DISPATCH_OK, "SDR_1", "hide_phone_number", True, DiffKind.UPDATE),
    (SipDispatchRuleEngine, DISPATCH_OK, "SDR_1", "room_config", ..., DiffKind.DELETE),
]


@pytest.mark.parametrize(("engine_class", "base", "object_id"), KINDS)
def test_diff_of_the_declaration_recorded_is_empty(
    engine_class: type[SipEngine], base: dict[str, Any], object_id: str
) -> None:
    kind = configured(engine_class)
    news = dict(base, __provider="blob-of-this-release")
    result = kind.diff(DiffRequest(object_id, recorded(kind, base, object_id), news))
    assert result == DiffResult()
    assert result.changes is False


@pytest.mark.parametrize(
    ("engine_class", "base", "object_id", "field", "value", "how"), ONE_FIELD_CHANGED
)
def test_diff_names_the_one_field_that_changed(
    engine_class: type[SipEngine],
    base: dict[str, Any],
    object_id: str,
    field: str,
    value: Any,
    how: DiffKind | None,
) -> None:
    kind = configured(engine_class)
    olds = recorded(kind, base, object_id)
    result = kind.diff(DiffRequest(object_id, olds, with_(base, **{field: value})))
    assert result.changes is True
    assert result.changed == [field]
    assert result.detailed == {field: how or DiffKind.UPDATE}
    assert result.replaces == []  # IDs never change: dispatch rules keep pointing at trunks


def test_diff_names_every_field_that_changed_sorted() -> None:
    kind = configured(SipOutboundTrunkEngine)
    olds = recorded(kind, OUTBOUND_OK, "ST_out1")
    news = with_(OUTBOUND_OK, numbers=["+15105550177"], address="sip-eu.telnyx.com", metadata="m")
    result = kind.diff(DiffRequest("ST_out1", olds, news))
    assert result.changed == ["address", "metadata", "numbers"]
    assert result.detailed["metadata"] is DiffKind.ADD


def test_diff_an_unknown_field_is_changed() -> None:
    kind = configured(SipDispatchRuleEngine)
    olds = recorded(kind, DISPATCH_OK, "SDR_1")
    news = with_(DISPATCH_OK, trunk_ids=[Unknown()])
    result = kind.diff(DiffRequest("SDR_1", olds, news, frozenset({"trunk_ids"})))
    assert result.changed == ["trunk_ids"] and result.detailed == {"trunk_ids": DiffKind.UPDATE}


def test_diff_ignores_adopt_id_and_the_doors_own_inputs() -> None:
    kind = configured(SipOutboundTrunkEngine)
    olds = recorded(kind, OUTBOUND_OK, "ST_out1")
    news = with_(OUTBOUND_OK, adopt_id="ST_other", __provider="new", __autoname="x-1234567")
    assert kind.diff(DiffRequest("ST_out1", olds, news)).changed == []


def test_diff_without_the_api_secret_cannot_rule_out_a_password_change() -> None:
    kind = SipOutboundTrunkEngine(LiveKitSettings(api_secret=SecretStr("")))
    olds = recorded(configured(SipOutboundTrunkEngine), OUTBOUND_OK, "ST_out1")
    assert kind.diff(DiffRequest("ST_out1", olds, dict(OUTBOUND_OK))).changed == ["auth_password"]


def test_diff_of_a_refresh_leaves_out_a_password_sealed_by_an_earlier_run() -> None:
    kind = configured(SipOutboundTrunkEngine)
    olds = recorded(kind, OUTBOUND_OK, "ST_out1")
    news = with_(OUTBOUND_OK, auth_password="sealed:" + "0" * 32, address="sip-eu.telnyx.com")
    assert kind.diff(DiffRequest("ST_out1", olds, news)).changed == ["address"]


def test_diff_of_a_sealed_password_compares_the_password() -> None:
    kind = configured(SipOutboundTrunkEngine)
    olds = recorded(kind, OUTBOUND_OK, "ST_out1")
    same = kind.check(CheckRequest(olds, dict(OUTBOUND_OK))).inputs
    other = kind.check(CheckRequest(olds, with_(OUTBOUND_OK, auth_password="other-pw"))).inputs
    assert same["auth_password"].startswith("sealed:")
    assert kind.diff(DiffRequest("ST_out1", olds, same)).changed == []
    assert kind.diff(DiffRequest("ST_out1", olds, other)).changed == ["auth_password"]


def test_diff_of_a_field_that_needs_a_new_object_replaces_it() -> None:
    """No field of the three objects does today; the result carries it when one does."""

    class Renumbering(SipInboundTrunkEngine):
        replace_fields: ClassVar[frozenset[str]] = frozenset({"numbers"})

    kind = configured(Renumbering)
    olds = recorded(kind, INBOUND_OK, "ST_in1")
    news = with_(INBOUND_OK, numbers=["+15105550199"], metadata="m")
    result = kind.diff(DiffRequest("ST_in1", olds, news))
    assert result.changed == ["metadata", "numbers"] and result.replaces == ["numbers"]


def test_diff_of_an_invalid_declaration_still_names_fields() -> None:
    kind = configured(SipInboundTrunkEngine)
    olds = recorded(kind, INBOUND_OK, "ST_in1")
    result = kind.diff(DiffRequest("ST_in1", olds, with_(INBOUND_OK, numbers=["5105550100"])))
    assert result.changes and result.changed == ["numbers"]


# --- sealed password references ---------------------------------------------------------------


def test_a_sealed_reference_resolves_only_in_the_process_that_sealed_it() -> None:
    first = engine.seal("pw-1")
    assert first.startswith("sealed:") and "pw-1" not in first
    assert engine.seal("pw-1") != first  # nothing to check a guess against
    assert engine.unseal(first) == "pw-1" and not engine.is_foreign_seal(first)
    assert engine.seal("") == "" and engine.seal(first) == first
    assert engine.is_foreign_seal("sealed:" + "0" * 32)
    with pytest.raises(engine.LiveKitSipError, match="another provider process"):
        engine.unseal("sealed:" + "0" * 32)


# --- the dynamic door -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_class", "engine_class"),
    [
        (SipInboundTrunkProvider, SipInboundTrunkEngine),
        (SipOutboundTrunkProvider, SipOutboundTrunkEngine),
        (SipDispatchRuleProvider, SipDispatchRuleEngine),
    ],
)
def test_each_dynamic_provider_runs_its_engine(
    provider_class: type[SipProviderBase], engine_class: type[SipEngine]
) -> None:
    provider = provider_class()
    assert type(provider.engine) is engine_class
    assert provider.spec_class is engine_class.spec_class
    assert provider.object_api is engine_class.object_api


def test_the_dynamic_diff_always_says_whether_anything_changed() -> None:
    provider = SipOutboundTrunkProvider()
    olds = recorded(configured(SipOutboundTrunkEngine), OUTBOUND_OK, "ST_out1")
    olds["auth_password"] = OUTBOUND_OK["auth_password"]  # a state written before digests
    same = provider.diff("ST_out1", olds, dict(OUTBOUND_OK))
    assert same.changes is False and same.replaces == []
    changed = provider.diff("ST_out1", olds, with_(OUTBOUND_OK, metadata="m"))
    assert changed.changes is True and changed.replaces == []
    assert changed.delete_before_replace is False


def test_the_dynamic_door_passes_its_unknowns_to_the_engine() -> None:
    news = with_(DISPATCH_OK, trunk_ids=[Unknown()], adopt_id=Unknown())
    assert SipDispatchRuleProvider().check({}, news).failures == []


def test_a_provider_declared_with_only_a_spec_and_an_api_gets_an_engine() -> None:
    class LegacyShapedProvider(SipProviderBase):
        spec_class = SipInboundTrunkEngine.spec_class
        object_api = SipInboundTrunkEngine.object_api

    kind = LegacyShapedProvider().engine
    assert isinstance(kind, SipEngine) and kind.spec_class is SipInboundTrunkEngine.spec_class
    assert LegacyShapedProvider().check({}, dict(INBOUND_OK)).failures == []
