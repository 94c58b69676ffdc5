"""The doctor's pure part: the --config reading and the analysis over live objects, without a
server (the e2e tests in tests/e2e/cli/ run the command against a real one)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from livekit import api
from livekit_sip_pulumi.cli.analysis import analyze, rule_settings
from livekit_sip_pulumi.cli.live import (
    DISPATCH,
    INBOUND,
    OUTBOUND,
    REDACTED,
    CannotRun,
    LiveObject,
    props_of,
)


def live(kind, message) -> LiveObject:
    return LiveObject(kind, message, props_of(kind, message))


def project() -> list[LiveObject]:
    trunk = api.SIPInboundTrunkInfo(sip_trunk_id="ST_a", name="line", numbers=["+15105550100"])
    rule = api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id="SDR_a",
        name="no-agent",
        trunk_ids=["ST_a"],
        rule=api.SIPDispatchRule(
            dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="c-")
        ),
    )
    outbound = api.SIPOutboundTrunkInfo(
        sip_trunk_id="ST_out",
        name="out",
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="u",
        auth_password="the-password",
    )
    return [live(INBOUND, trunk), live(OUTBOUND, outbound), live(DISPATCH, rule)]


def rules_of(report, object_id: str) -> list[str]:
    return [r.rule.id for r in report.findings.get(object_id, [])]


def test_defaults_levels_and_knobs() -> None:
    settings = {s.rule.id: s for s in rule_settings({})}
    assert settings["LKSDR002"].level == "mandatory"
    assert settings["LKSDR002"].config == {"exemptResources": [], "agentNames": []}
    raw = {"all": "advisory", "LKSDR002": {"enforcementLevel": "mandatory", "agentNames": ["a"]}}
    settings = {s.rule.id: s for s in rule_settings(raw)}
    assert settings["LKSDR002"].level == "mandatory"
    assert settings["LKSDR002"].config["agentNames"] == ["a"]
    assert {s.level for k, s in settings.items() if k != "LKSDR002"} == {"advisory"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"LKSNOPE1": "advisory"}, "'LKSNOPE1' is not a rule of the pack"),
        ({"all": "strict"}, 'all is "strict", not an enforcement level'),
        ({"LKSDR002": {"enforcementLevel": "x"}}, 'LKSDR002.enforcementLevel is "x"'),
        ({"LKSDR002": {"agentNames": [1]}}, "LKSDR002.agentNames must be a list of strings"),
        ({"LKSSTK007": {"telnyxReferEnabled": "yes"}}, "must be a JSON boolean"),
        ({"LKSSTK007": {"other": True}}, "LKSSTK007.other is not a setting of LKSSTK007"),
    ],
)
def test_bad_config_names_the_key(raw, message) -> None:
    with pytest.raises(CannotRun, match=None) as caught:
        rule_settings(raw)
    assert message in str(caught.value)


def test_analysis_of_live_objects() -> None:
    objects = project()
    assert objects[1].props["auth_password"] == REDACTED
    report = analyze(objects, rule_settings({}))
    assert rules_of(report, "SDR_a") == ["LKSDR002"]
    assert rules_of(report, "ST_out") == ["LKSSTK007"]
    assert report.exit_code == 1
    assert "the-password" not in repr(report.findings)


def test_exemptions_by_id_or_name_and_disabled_rules() -> None:
    objects = project()
    by_name = analyze(objects, rule_settings({"LKSDR002": {"exemptResources": ["no-agent"]}}))
    assert rules_of(by_name, "SDR_a") == []
    by_id = analyze(objects, rule_settings({"LKSSTK007": {"exemptResources": ["ST_out"]}}))
    assert rules_of(by_id, "ST_out") == []
    disabled = analyze(objects, rule_settings({"LKSDR002": "disabled"}))
    assert rules_of(disabled, "SDR_a") == [] and disabled.exit_code == 0
    # A dispatch rule naming a trunk the project does not hold: literal IDs are references.
    objects[2].props["trunk_ids"] = ["ST_missing"]  # type: ignore[index]
    assert "LKSSTK001" in rules_of(analyze(objects, rule_settings({})), "SDR_a")


def test_exemptions_take_the_packs_glob_patterns() -> None:
    """``exemptResources`` as in the pack: glob patterns, here of object names or IDs."""
    objects = project()
    for obj in objects:
        obj.message.name = f"support-{obj.message.name}"
    objects = [live(o.kind, o.message) for o in objects]
    config = {"exemptResources": ["support-*"]}
    exempted = analyze(objects, rule_settings({"LKSDR002": config, "LKSSTK007": config}))
    assert rules_of(exempted, "SDR_a") == [] and rules_of(exempted, "ST_out") == []
    assert exempted.exit_code == 0
    by_id = analyze(objects, rule_settings({"LKSSTK007": {"exemptResources": ["ST_o?t"]}}))
    assert rules_of(by_id, "ST_out") == []
    other = analyze(objects, rule_settings({"LKSDR002": {"exemptResources": ["sales-*"]}}))
    assert rules_of(other, "SDR_a") == ["LKSDR002"]


def test_doctor_needs_no_pulumi_policy() -> None:
    """pulumi_policy made unimportable: the CLI and its analysis still run."""
    probe = (
        "import sys; sys.modules['pulumi_policy'] = None\n"
        "from livekit_sip_pulumi.cli import app\n"
        "from livekit_sip_pulumi.cli.analysis import rule_settings\n"
        "print(len(rule_settings({})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 29


def test_listing_pages_through_a_server_that_honours_the_limit(monkeypatch) -> None:
    """livekit-server v1.13 answers every object at once (the e2e tests); a server that honours
    Pagination.limit is paged with after_id. A stand-in for such a server's answers (named as
    such: the real server cannot be made to page) checks the loop."""
    from livekit_sip_pulumi.cli import live as live_module

    held = [api.SIPInboundTrunkInfo(sip_trunk_id=f"ST_{i:02d}", name=f"t{i}") for i in range(5)]
    requests: list[tuple[int, str]] = []

    class PagingServerStandIn:
        class sip:
            @staticmethod
            def list_inbound_trunk(request):
                requests.append((request.page.limit, request.page.after_id))
                after = request.page.after_id
                items = [t for t in held if t.sip_trunk_id > after][: request.page.limit]
                return api.ListSIPInboundTrunkResponse(items=items)

    monkeypatch.setattr(live_module, "PAGE_SIZE", 2)
    monkeypatch.setattr(
        live_module,
        "call_livekit",
        lambda settings, what, operation: operation(PagingServerStandIn),
    )
    items, calls = live_module._list_all(None, INBOUND)  # type: ignore[arg-type]
    assert [t.sip_trunk_id for t in items] == [t.sip_trunk_id for t in held]
    assert requests == [(2, ""), (2, "ST_01"), (2, "ST_03")]
    assert calls == 3


def test_a_failing_rule_is_reported_and_the_others_run() -> None:
    from livekit_sip_policies.rule import Enforcement, ResourceRule, Severity
    from livekit_sip_pulumi.cli.analysis import RuleSetting

    class Broken(ResourceRule):
        id = "LKSIN999"
        title = "fails"
        description = remediation = url = ""
        severity = Severity.LOW
        enforcement = Enforcement.ADVISORY
        resource_types = (INBOUND.type_token,)

        def check(self, props, config):
            raise ValueError("unexpected value")

    settings = [RuleSetting(Broken(), "advisory", {}), *rule_settings({})]
    report = analyze(project(), settings)
    assert report.errors == [("LKSIN999", "ST_a", "ValueError: unexpected value")]
    assert rules_of(report, "SDR_a") == ["LKSDR002"]


def test_a_short_dev_secret_adds_no_warning_to_the_output() -> None:
    """`livekit-server --dev` signs with 'secret': PyJWT's key-length warning stays off stderr;
    an unreachable server is exit 2 with the variable to fix."""
    import socket
    from pathlib import Path

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "LIVEKIT_URL": f"http://127.0.0.1:{port}",
        "LIVEKIT_API_KEY": "devkey",
        "LIVEKIT_API_SECRET": "secret",
        "LIVEKIT_TIMEOUT_SECONDS": "2",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("livekit-sip")), "doctor"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "check LIVEKIT_URL" in done.stderr
    assert "HMAC key" not in done.stderr and "Warning" not in done.stderr, done.stderr


def _cli_without_telephony(*args: str) -> subprocess.CompletedProcess[str]:
    """``livekit-sip ARGS`` where the telephony modules cannot be imported, as off Linux
    (services.py raises ImportError there; here the import is blocked the same way)."""
    probe = (
        "import sys\n"
        "for m in ('services', 'uac'):\n"
        "    sys.modules['livekit_sip_pulumi.telephony.' + m] = None\n"
        "from livekit_sip_pulumi.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    return subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env
    )


def test_the_troubleshooting_commands_start_where_telephony_cannot() -> None:
    """doctor, route, map and export run off Linux; call and test-calls say they cannot."""
    listing = _cli_without_telephony("--help")
    assert listing.returncode == 0, listing.stderr
    assert "doctor" in listing.stdout and "test-calls" in listing.stdout
    doctor_help = _cli_without_telephony("doctor", "--help")
    assert doctor_help.returncode == 0, doctor_help.stderr
    assert "--config" in doctor_help.stdout
    # It runs: no credentials is its own "cannot run", not an import failure.
    doctor = _cli_without_telephony("doctor")
    assert doctor.returncode == 2
    assert "LiveKit credentials are missing" in doctor.stderr
    assert "Traceback" not in doctor.stderr
    call = _cli_without_telephony("call", "--to", "+15105550100", "--from", "+15105550111")
    assert call.returncode == 2
    assert "livekit-sip call:" in call.stderr and "Traceback" not in call.stderr


def test_credentials_are_checked_by_the_client_and_worded_for_the_cli(monkeypatch) -> None:
    """The client's own checks (LiveKitSettings.require_complete), named as the CLI's
    environment variables and options, never as Pulumi config keys."""
    from livekit_sip_pulumi.cli.live import Credentials
    from pydantic import SecretStr

    def problem(url: str, key: str = "k", secret: str = "s3cret-value") -> str:
        with pytest.raises(CannotRun) as caught:
            Credentials(url, key, SecretStr(secret)).settings()
        message = str(caught.value)
        assert "livekit:" not in message and "pulumi config" not in message, message
        assert "s3cret-value" not in message
        return message

    monkeypatch.delenv("LIVEKIT_TIMEOUT_SECONDS", raising=False)
    assert "LIVEKIT_API_KEY (or --api-key)" in problem("http://127.0.0.1:7880", key="")
    assert "LIVEKIT_URL (or --url) '127.0.0.1:7880' has scheme" in problem("127.0.0.1:7880")
    monkeypatch.setenv("LIVEKIT_TIMEOUT_SECONDS", "soon")
    assert "LIVEKIT_TIMEOUT_SECONDS 'soon' is not a number of seconds" in problem(
        "http://127.0.0.1:7880"
    )
    monkeypatch.setenv("LIVEKIT_TIMEOUT_SECONDS", "5")
    settings = Credentials("http://127.0.0.1:7880", "k", SecretStr("s")).settings()
    assert settings.deadline() == 5.0


def test_export_leaves_out_a_name_objects_of_a_kind_share() -> None:
    """Two inbound trunks named 'dup' (and a dispatch rule of that name, another kind): the two
    trunks get resource names of their own and no `name` (each keeps the one LiveKit holds),
    a comment says why; the rule keeps its `name`."""
    from livekit_sip_pulumi.cli.export import plan_export, render_program
    from livekit_sip_pulumi.cli.live import LiveProject

    trunks = [
        live(INBOUND, api.SIPInboundTrunkInfo(sip_trunk_id=f"ST_{n}", name="dup", numbers=[num]))
        for n, num in (("a", "+15105550100"), ("b", "+15105550101"))
    ]
    rule = api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id="SDR_a",
        name="dup",
        rule=api.SIPDispatchRule(dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name="r")),
    )
    lone = api.SIPInboundTrunkInfo(sip_trunk_id="ST_c", name="solo", numbers=["+15105550102"])
    project = LiveProject(
        "http://localhost:7880",
        {"inbound_trunk": [*trunks, live(INBOUND, lone)], "dispatch_rule": [live(DISPATCH, rule)]},
    )
    planned = plan_export(project)
    by_id = {e.obj.id: e for e in planned}
    assert [e.resource_name for e in planned] == ["dup", "dup-2", "solo", "dup-3"]
    assert by_id["ST_a"].name_shared_with == ["ST_b"] and by_id["ST_b"].name_shared_with == ["ST_a"]
    assert "name" not in by_id["ST_a"].kwargs and "name" not in by_id["ST_b"].kwargs
    assert by_id["ST_c"].kwargs["name"] == "solo" and by_id["SDR_a"].kwargs["name"] == "dup"
    source = render_program(project, planned)
    compile(source, "__main__.py", "exec")
    assert source.count("# name not declared: LiveKit holds the name 'dup' on this inbound") == 2
    assert "name='dup'" in source.split("SipDispatchRule(")[1]  # the rule: one of its kind


def test_an_unexpected_failure_prints_its_text_escaped(monkeypatch, capsys) -> None:
    """A traceback may quote what LiveKit holds: its lines are escaped too (exit code 2)."""
    from livekit_sip_pulumi import cli

    def failing() -> None:
        raise RuntimeError("\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good")

    monkeypatch.setattr(cli, "app", failing)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert "\x1b" not in stderr and "\nFAKE LINE" not in stderr, stderr
    assert r"RuntimeError: \x1b[2J\x1b[31mEVIL\nFAKE LINE: all good" in stderr


def test_export_import_file_names_every_object_by_plugin_type_slug_and_id() -> None:
    """import.json (`pulumi import --file`): the plugin's type tokens from the one table, names
    that are slugs starting with a letter and unique across kinds, whatever LiveKit holds."""
    from livekit_sip_core import PLUGIN_TYPES
    from livekit_sip_pulumi.cli.export import import_file, plan_export
    from livekit_sip_pulumi.cli.live import OUTBOUND, LiveProject

    hostile = api.SIPInboundTrunkInfo(
        sip_trunk_id="ST_h", name='0800 "${x}"\n`rm -rf`', numbers=["+15105550100"]
    )
    same = api.SIPOutboundTrunkInfo(
        sip_trunk_id="ST_o", name="0800-x-rm-rf", address="sip.example.com", numbers=["+1510"]
    )
    rule = api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id="SDR_n",
        rule=api.SIPDispatchRule(dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name="r")),
    )
    project = LiveProject(
        "http://localhost:7880",
        {
            "inbound_trunk": [live(INBOUND, hostile)],
            "outbound_trunk": [live(OUTBOUND, same)],
            "dispatch_rule": [live(DISPATCH, rule)],
        },
    )
    entries = import_file(plan_export(project))["resources"]
    assert entries == [
        {"type": "livekit-sip:index:SipInboundTrunk", "name": "sip-0800-x-rm-rf", "id": "ST_h"},
        {"type": "livekit-sip:index:SipOutboundTrunk", "name": "sip-0800-x-rm-rf-2", "id": "ST_o"},
        {"type": "livekit-sip:index:SipDispatchRule", "name": "sdr-n", "id": "SDR_n"},
    ]
    assert {e["type"] for e in entries} == set(PLUGIN_TYPES)
