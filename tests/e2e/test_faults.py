"""The fault suite: several stacks in one LiveKit project, lost answers, a hung server, 429,
verbose engine logs. Real engine, real livekit-server; the faults come from
``FaultInjectingProxy`` (tests/faults.py), a fake network on loopback, since the real server
cannot produce them on demand."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk, SipOutboundTrunk
from livekit_sip_pulumi.providers import autoname
from localstack import LocalStack

from tests.faults import FaultInjectingProxy

pytestmark = pytest.mark.e2e

PROJECT = "faults"
PASSWORD = "fault-suite-pw-6b0e2d91-never-printed"
OUTBOUND = "pulumi-python:dynamic/livekit:SipOutboundTrunk"


@pytest.fixture
def proxy(clean_livekit: Any) -> Iterator[FaultInjectingProxy]:
    front = FaultInjectingProxy(clean_livekit.url)
    yield front
    front.close()


def make_stack(
    tmp_path: Path,
    livekit: Any,
    program: Callable[[], None],
    *,
    stack: str = "dev",
    url: str | None = None,
    **config: str,
) -> LocalStack:
    return LocalStack(
        PROJECT,
        program,
        tmp_path / "state",
        stack=stack,
        config={**livekit.config(), **({"livekit:url": url} if url else {}), **config},
        secret_config=livekit.secret_config(),
    )


def recorded_ids(stack: LocalStack) -> dict[str, str]:
    """Resource name -> recorded LiveKit ID, from the stack's state."""
    return {
        r["urn"].rsplit("::", 1)[-1]: r["id"]
        for r in stack.export_decrypted()["resources"]
        if r["type"].startswith("pulumi-python:dynamic/livekit:")
    }


def snapshot(livekit: Any) -> dict[str, bytes]:
    """Every SIP object of the project, serialized: to prove nothing changed."""
    objects = livekit.inbound_trunks() + livekit.outbound_trunks()
    found = {o.sip_trunk_id: o.SerializeToString(deterministic=True) for o in objects}
    for rule in livekit.dispatch_rules():
        found[rule.sip_dispatch_rule_id] = rule.SerializeToString(deterministic=True)
    return found


# -- several stacks, one LiveKit project ---------------------------------------------------------


def phone_line() -> None:
    """One program, deployed as several stacks; only the number comes from the stack config."""
    config = pulumi.Config()
    metadata = config.get("metadata") or ""
    trunk = SipInboundTrunk("line", numbers=[config.require("number")], metadata=metadata)
    SipDispatchRule(
        "line-dispatch",
        trunk_ids=[trunk.sip_trunk_id],
        rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
        room_config={"agents": [{"agent_name": "support-agent"}]},
    )
    SipOutboundTrunk(
        "carrier",
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=PASSWORD,
        metadata=metadata,
    )


def test_two_stacks_of_one_program_share_a_project(tmp_path, clean_livekit):
    dev = make_stack(tmp_path, clean_livekit, phone_line, number="+15105550100")
    first = dev.up()
    assert first.ok, first.error
    dev_ids = recorded_ids(dev)
    assert len(dev_ids) == 3
    dev_objects = snapshot(clean_livekit)
    [dev_outbound] = clean_livekit.outbound_trunks()
    assert dev_outbound.name == autoname(PROJECT, "dev", OUTBOUND, "carrier")

    # prod claims dev's number: the server refuses the inbound trunk, the error says why and
    # names dev's trunk; nothing of dev's is taken or touched.
    prod = make_stack(tmp_path, clean_livekit, phone_line, stack="prod", number="+15105550100")
    refused = prod.up()
    assert not refused.ok
    assert "Conflicting inbound SIP Trunks" in refused.error
    assert dev_ids["line"] in refused.error
    assert "set allowed_numbers to tell them apart" in refused.error
    assert "taking over" not in refused.stdout
    assert {k: v for k, v in snapshot(clean_livekit).items() if k in dev_objects} == dev_objects

    # With a number of its own, prod gets objects of its own, even where the fields are equal.
    prod.stack.set_config("number", pulumi.automation.ConfigValue("+15105550199"))
    created = prod.up()
    assert created.ok, created.error
    prod_ids = recorded_ids(prod)
    assert len(prod_ids) == 3
    assert set(prod_ids.values()).isdisjoint(dev_ids.values())
    assert len(clean_livekit.outbound_trunks()) == 2
    assert {k: snapshot(clean_livekit)[k] for k in dev_objects} == dev_objects

    # Update prod: dev's objects do not move.
    prod.stack.set_config("metadata", pulumi.automation.ConfigValue("prod v2"))
    updated = prod.up()
    assert updated.ok, updated.error
    assert updated.change_summary.get("update") == 2
    assert {k: snapshot(clean_livekit)[k] for k in dev_objects} == dev_objects
    assert recorded_ids(prod) == prod_ids

    # Destroy prod: dev's objects stay, and dev's refresh finds every one of them unchanged.
    assert prod.destroy().ok
    assert snapshot(clean_livekit) == dev_objects
    refreshed = dev.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary.get("update", 0) == 0
    assert refreshed.change_summary.get("delete", 0) == 0
    assert recorded_ids(dev) == dev_ids
    assert dev.up().change_summary.get("same") == 4
    assert dev.destroy().ok
    assert snapshot(clean_livekit) == {}


def test_explicit_names_shared_by_two_stacks_are_never_taken(tmp_path, clean_livekit):
    def program() -> None:
        SipOutboundTrunk(
            "carrier", name="carrier", address="sip.telnyx.com", numbers=["+15105550100"]
        )

    dev = make_stack(tmp_path, clean_livekit, program)
    assert dev.up().ok
    [dev_trunk] = clean_livekit.outbound_trunks()
    prod = make_stack(tmp_path, clean_livekit, program, stack="prod")
    refused = prod.up()
    assert not refused.ok
    assert dev_trunk.sip_trunk_id in refused.error
    assert f'adopt_id="{dev_trunk.sip_trunk_id}"' in refused.error
    assert "give this resource a name unique to this stack" in refused.error
    assert clean_livekit.outbound_trunks() == [dev_trunk]
    assert recorded_ids(prod) == {}
    assert dev.destroy().ok


def test_identical_resources_in_one_stack_get_objects_of_their_own(tmp_path, clean_livekit):
    names = ["carrier-a", "carrier-b"]

    def program() -> None:
        for name in names:
            SipOutboundTrunk(name, address="sip.telnyx.com", numbers=["+15105550100"])

    stack = make_stack(tmp_path, clean_livekit, program)
    assert stack.up().ok
    ids = recorded_ids(stack)
    assert len(set(ids.values())) == 2
    assert sorted(t.sip_trunk_id for t in clean_livekit.outbound_trunks()) == sorted(ids.values())

    # Removing one deletes its own object only.
    names.remove("carrier-a")
    assert stack.up().ok
    assert [t.sip_trunk_id for t in clean_livekit.outbound_trunks()] == [ids["carrier-b"]]
    assert stack.destroy().ok


# -- lost answers ----------------------------------------------------------------------------------


def outbound_program() -> None:
    SipOutboundTrunk(
        "carrier",
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=PASSWORD,
    )


def inbound_program() -> None:
    SipInboundTrunk("line", numbers=["+15105550100"])


def rule_program() -> None:
    SipDispatchRule(
        "rule",
        rule={"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}},
        room_config={"agents": [{"agent_name": "support-agent"}]},
    )


@pytest.mark.parametrize(
    ("program", "method", "listed", "how"),
    [
        (outbound_program, "CreateSIPOutboundTrunk", "outbound_trunks", "503"),
        (outbound_program, "CreateSIPOutboundTrunk", "outbound_trunks", "reset"),
        (inbound_program, "CreateSIPInboundTrunk", "inbound_trunks", "reset"),
        (rule_program, "CreateSIPDispatchRule", "dispatch_rules", "503"),
    ],
    ids=["outbound-503", "outbound-reset", "inbound-reset", "rule-503"],
)
def test_create_whose_answer_is_lost_makes_exactly_one_object(
    tmp_path, clean_livekit, proxy, program, method, listed, how
):
    proxy.lose_answer(method, how=how)
    stack = make_stack(tmp_path, clean_livekit, program, url=proxy.url)
    up = stack.up()
    assert up.ok, up.error
    assert [what for _, what in proxy.events(method)] == [f"answer lost (lose-{how})"]
    [made] = getattr(clean_livekit, listed)()
    [recorded] = recorded_ids(stack).values()
    made_id = getattr(made, "sip_dispatch_rule_id", None) or made.sip_trunk_id
    assert recorded == made_id
    assert "recording it (no duplicate)" in up.stdout
    assert stack.destroy().ok
    assert getattr(clean_livekit, listed)() == []


def test_create_refused_with_503_is_sent_again(tmp_path, clean_livekit, proxy):
    """The server never saw it: the lookup finds nothing, the create is sent again, once."""
    method = "CreateSIPOutboundTrunk"
    proxy.answer(method, 503, "unavailable", times=1)
    stack = make_stack(tmp_path, clean_livekit, outbound_program, url=proxy.url)
    up = stack.up()
    assert up.ok, up.error
    assert [what for _, what in proxy.events(method)] == ["answered 503", "forwarded"]
    [made] = clean_livekit.outbound_trunks()
    assert list(recorded_ids(stack).values()) == [made.sip_trunk_id]
    assert stack.destroy().ok


# -- a hung server, 429 ----------------------------------------------------------------------------


def test_hung_server_fails_within_the_deadline(tmp_path, clean_livekit, proxy):
    proxy.hang("/twirp/", seconds=300)
    stack = make_stack(
        tmp_path, clean_livekit, outbound_program, url=proxy.url, **{"livekit:timeoutSeconds": "3"}
    )
    started = time.monotonic()
    up = stack.up()
    elapsed = time.monotonic() - started
    assert not up.ok
    assert f"LiveKit at {proxy.url} did not answer within 3 s" in up.error
    assert "livekit:timeoutSeconds" in up.error
    # The engine's own start and stop take a few seconds; the server would hold us 300 s.
    assert elapsed < 30, elapsed
    assert clean_livekit.outbound_trunks() == []


def test_429_is_retried_after_retry_after(tmp_path, clean_livekit, proxy):
    method = "CreateSIPOutboundTrunk"
    proxy.answer(method, 429, "resource_exhausted", times=1, retry_after="2")
    stack = make_stack(tmp_path, clean_livekit, outbound_program, url=proxy.url)
    up = stack.up()
    assert up.ok, up.error
    (limited_at, limited), (retried_at, retried) = proxy.events(method)
    assert (limited, retried) == ("answered 429", "forwarded")
    assert retried_at - limited_at >= 2.0
    assert len(clean_livekit.outbound_trunks()) == 1
    assert stack.destroy().ok


def test_persistent_503_says_it_retried(tmp_path, clean_livekit, proxy):
    proxy.answer("ListSIPOutboundTrunk", 503, "unavailable", times=100)
    stack = make_stack(tmp_path, clean_livekit, outbound_program, url=proxy.url)
    up = stack.up()
    assert not up.ok
    assert re.search(r"LiveKit answered 503 unavailable \(injected fault\); gave up after 4 "
                     r"attempts over \d+\.\d s", up.error), up.error
    assert "retry the command later" in up.error
    assert clean_livekit.outbound_trunks() == []


# -- secrets in verbose engine logs ---------------------------------------------------------------

# What the engine itself prints at -v=9, whatever a provider does (pulumi 3.259):
# - the program's registration, unmarshaled: the value inside the secret envelope, e.g.
#   "Unmarshaling property for RPC[ResourceMonitor.RegisterResource(<type>,carrier)]:
#   value={<password>}";
# - the stack config sent to every provider: "Marshaling property for
#   RPC[Provider[0x...].Configure().inputs]: value={<livekit:apiSecret>}" (give the API secret
#   as LIVEKIT_API_SECRET in the environment instead of stack config to keep it out).
ENGINE_LINES = re.compile(
    r"Unmarshaling property for RPC\[ResourceMonitor\.RegisterResource\(|"
    r"Marshaling property for RPC\[Provider\[0x[0-9a-f]+\]\.Configure\(\)\.inputs\]"
)


def leaks(text: str, secret: str) -> list[str]:
    """Lines that show ``secret`` and are not the engine's own (see ENGINE_LINES)."""
    return [
        line[:300] for line in text.splitlines() if secret in line and not ENGINE_LINES.search(line)
    ]


def test_verbose_engine_logs_never_show_the_password(tmp_path, clean_livekit):
    spec = {"address": "sip.telnyx.com"}

    def program() -> None:
        SipOutboundTrunk(
            "carrier",
            address=spec["address"],
            numbers=["+15105550100"],
            auth_username="acme",
            auth_password=PASSWORD,
        )

    stack = make_stack(tmp_path, clean_livekit, program)
    verbose = {"color": "never", "log_verbosity": 9, "log_to_std_err": True, "debug": True}
    created = stack.stack.up(**verbose)
    log = created.stdout + created.stderr
    # The -v=9 log is there, with the provider's Check and Create and what they returned.
    assert "Check(urn:pulumi:dev::faults::" in log and ".Create(urn:pulumi:dev::faults::" in log
    assert leaks(log, PASSWORD) == []
    assert leaks(log, clean_livekit.api_secret) == []
    # Refresh reads the password back from LiveKit; an update sends it again.
    refreshed = stack.stack.refresh(**verbose)
    spec["address"] = "sip-eu.telnyx.com"
    updated = stack.stack.up(**verbose)
    assert updated.summary.resource_changes == {"same": 1, "update": 1}
    for result in (refreshed, updated):
        assert leaks(result.stdout + result.stderr, PASSWORD) == []
        assert leaks(result.stdout + result.stderr, clean_livekit.api_secret) == []
    assert PASSWORD not in stack.export_text() + stack.state_files_text()
    assert stack.destroy().ok


# -- a URL that is not LiveKit's, Retry-After past the deadline -----------------------------------


def test_a_url_that_does_not_answer_like_livekit_is_named_as_such(tmp_path, clean_livekit, proxy):
    """HTTP 200 with a web page: `up` and the `livekit-sip` listing say what the URL is not."""
    from tests.e2e.cli.livekit_sip_cli import credentials, run

    proxy.answer_not_livekit("/twirp/")
    stack = make_stack(tmp_path, clean_livekit, outbound_program, url=proxy.url)
    up = stack.up()
    assert not up.ok
    assert f"{proxy.url} answered HTTP 200 with a body that is not LiveKit's" in up.error
    assert "the URL does not answer like a LiveKit server" in up.error
    assert "livekit:url" in up.error
    assert "DecodeError" not in up.error
    assert clean_livekit.outbound_trunks() == []

    doctor = run("doctor", env={**credentials(clean_livekit), "LIVEKIT_URL": proxy.url})
    assert doctor.returncode == 2, doctor
    assert f"{proxy.url} answered HTTP 200 with a body that is not LiveKit's" in doctor.stderr
    assert "the URL does not answer like a LiveKit server" in doctor.stderr, doctor
    assert "LIVEKIT_URL (or --url)" in doctor.stderr, doctor
    assert "DecodeError" not in doctor.stderr and "Traceback" not in doctor.stderr, doctor


def test_retry_after_past_the_deadline_fails_at_once_and_counts(tmp_path, clean_livekit, proxy):
    method = "CreateSIPOutboundTrunk"
    proxy.answer(method, 429, "resource_exhausted", times=100, retry_after="3600")
    stack = make_stack(
        tmp_path, clean_livekit, outbound_program, url=proxy.url, **{"livekit:timeoutSeconds": "5"}
    )
    up = stack.up()
    assert not up.ok
    # One create: not sent again after a backoff, nor by the create's re-send loop.
    assert [what for _, what in proxy.events(method)] == ["answered 429"]
    assert "asked to wait 3600 s before the next request (Retry-After), longer than the " \
        "deadline of 5 s (livekit:timeoutSeconds)" in up.error, up.error
    assert re.search(r"gave up after 1 attempt over \d+\.\d s", up.error), up.error
    assert clean_livekit.outbound_trunks() == []
