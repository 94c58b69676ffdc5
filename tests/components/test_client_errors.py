"""LiveKit's refusals, mapped to messages that say what to do."""

from __future__ import annotations

from typing import Any

import pytest
from livekit import api
from livekit_sip_pulumi.client import LiveKitSettings, _map_error

SETTINGS = LiveKitSettings(url="http://127.0.0.1:7880", api_key="key", api_secret="secret")
# livekit/protocol sip/sip.go, DispatchRuleValidator.Validate
CONFLICT = (
    "Dispatch rule for the same trunk, inbound number, number, and PIN combination already "
    'exists in dispatch rule {id} "calls"'
)


def _mapped(reason: str) -> str:
    error = api.ServerError("invalid_argument", reason, status=400)
    return str(_map_error(error, "create SIP dispatch rule 'calls'", SETTINGS))


def test_a_rule_that_conflicts_with_itself_is_told_so() -> None:
    # A new rule whose trunk_ids name one trunk twice: the server names the rule itself,
    # "<new>", as the one conflicted with.
    message = _mapped(CONFLICT.format(id='"<new>"'))
    assert "conflicts with itself" in message
    assert "names the same entry twice" in message
    assert "claims the same numbers" not in message


def test_a_conflict_with_another_rule_names_the_way_out() -> None:
    message = _mapped(CONFLICT.format(id='"SDR_abc123"'))
    assert "The object LiveKit names claims the same numbers" in message
    assert "set allowed_numbers to tell them apart" in message
    assert "Another object" not in message


@pytest.mark.e2e
def test_the_server_refuses_a_rule_naming_one_trunk_twice(clean_livekit: Any) -> None:
    # What the components and the pack now refuse at preview, sent to the server as is: the
    # server's own message names the new rule ("<new>") as the one conflicted with.
    trunk = clean_livekit.call(
        lambda lk: lk.sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(name="twice", numbers=["+15105550177"])
            )
        )
    )
    rule = api.SIPDispatchRuleInfo(
        name="calls",
        trunk_ids=[trunk.sip_trunk_id, trunk.sip_trunk_id],
        rule=api.SIPDispatchRule(dispatch_rule_individual=api.SIPDispatchRuleIndividual()),
    )
    with pytest.raises(api.ServerError) as info:
        clean_livekit.call(
            lambda lk: lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(dispatch_rule=rule)
            )
        )
    message = str(_map_error(info.value, "create SIP dispatch rule 'calls'", SETTINGS))
    assert '"<new>"' in info.value.message
    assert "conflicts with itself" in message
    assert clean_livekit.dispatch_rules() == []
