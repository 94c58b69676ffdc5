"""A create after an interrupted `up`, against a real LiveKit server, no engine: the object
bearing the resource's autoname is taken over and updated whatever its fields; nothing else
is ever taken.

The objects "left behind" are made with livekit-api, as the killed `up` would have left them
(tests/e2e/test_interrupted_up.py kills a real engine for the same story end to end).
"""

from __future__ import annotations

import secrets
from typing import Any

from livekit import api
from livekit_sip_pulumi.providers import (
    AUTONAME,
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
)

from . import test_providers_live
from .test_providers_live import Tracker, configured, outbound_props, unique_number

# The fixtures of the provider tests: the suite's server, and cleanup of what a test created.
livekit_env = test_providers_live.livekit_env
tracker = test_providers_live.tracker


def an_autoname(resource: str) -> str:
    return f"{resource}-{secrets.token_hex(4)[:7]}"


def created(props: dict[str, Any], autoname: str | None) -> dict[str, Any]:
    """The inputs create() gets for a new resource: the checked name and, for a create (not a
    replacement), the autoname."""
    return {**props, **({AUTONAME: autoname} if autoname else {})}


def by_hand(livekit: Any, kind: str, info: Any) -> str:
    if kind == "inbound":
        made = livekit.call(
            lambda lk: lk.sip.create_inbound_trunk(api.CreateSIPInboundTrunkRequest(trunk=info))
        )
    elif kind == "outbound":
        made = livekit.call(
            lambda lk: lk.sip.create_outbound_trunk(api.CreateSIPOutboundTrunkRequest(trunk=info))
        )
    else:
        made = livekit.call(
            lambda lk: lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
            )
        )
    return str(getattr(made, "sip_dispatch_rule_id", "") or made.sip_trunk_id)


def live_ids(livekit: Any, name: str) -> list[str]:
    objects = livekit.inbound_trunks() + livekit.outbound_trunks()
    ids = [o.sip_trunk_id for o in objects if o.name == name]
    return ids + [r.sip_dispatch_rule_id for r in livekit.dispatch_rules() if r.name == name]


def test_inbound_trunk_with_its_autoname_is_taken_over_and_updated(
    livekit: Any, livekit_env: dict[str, str], tracker: Tracker
) -> None:
    """The edited declaration shares a number with the object left behind: a create would be
    refused as "Conflicting inbound SIP Trunks" with this resource's own trunk."""
    name, number = an_autoname("line"), unique_number()
    left = by_hand(
        livekit, "inbound", api.SIPInboundTrunkInfo(name=name, numbers=[number], metadata="v1")
    )
    provider = configured(SipInboundTrunkProvider(), livekit_env)
    declared = {"name": name, "numbers": [number, unique_number()], "metadata": "v2"}
    trunk_id, outs = tracker.create(provider, created(declared, name))
    assert trunk_id == left
    assert (outs["metadata"], outs["numbers"]) == ("v2", declared["numbers"])
    [live] = [t for t in livekit.inbound_trunks() if t.sip_trunk_id == left]
    assert (live.metadata, list(live.numbers)) == ("v2", declared["numbers"])
    assert live_ids(livekit, name) == [left]


def test_outbound_trunk_with_its_autoname_and_other_numbers_is_taken_over(
    livekit: Any, livekit_env: dict[str, str], tracker: Tracker
) -> None:
    """No number in common with the declaration: only the name tells it is this one."""
    name = an_autoname("carrier")
    left = by_hand(
        livekit,
        "outbound",
        api.SIPOutboundTrunkInfo(name=name, address="sip.telnyx.com", numbers=[unique_number()]),
    )
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    declared = outbound_props(name=name, metadata="edited")
    trunk_id, outs = tracker.create(provider, created(declared, name))
    assert trunk_id == left
    assert outs["metadata"] == "edited" and outs["numbers"] == declared["numbers"]
    assert outs["auth_password"].startswith("pbkdf2_sha256:")
    assert provider.diff(trunk_id, provider.read(trunk_id, outs).outs, declared).changes is False
    assert live_ids(livekit, name) == [left]


def test_dispatch_rule_with_its_autoname_is_taken_over(
    livekit: Any, livekit_env: dict[str, str], tracker: Tracker
) -> None:
    name = an_autoname("line-dispatch")
    left = by_hand(
        livekit,
        "dispatch",
        api.SIPDispatchRuleInfo(
            name=name,
            rule=api.SIPDispatchRule(
                dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="old-")
            ),
        ),
    )
    provider = configured(SipDispatchRuleProvider(), livekit_env)
    declared = {
        "name": name,
        "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
        "metadata": "v2",
    }
    rule_id, outs = tracker.create(provider, created(declared, name))
    assert rule_id == left
    assert outs["rule"]["dispatch_rule_individual"]["room_prefix"] == "call-"
    assert outs["metadata"] == "v2"
    assert live_ids(livekit, name) == [left]


def test_duplicates_bearing_the_autoname_leave_one(
    livekit: Any, livekit_env: dict[str, str], tracker: Tracker
) -> None:
    """Earlier releases created another object when an edited program met its own: the one
    that matches is kept, the others deleted, so `destroy` leaves none behind."""
    name = an_autoname("carrier")
    declared = outbound_props(name=name)
    older = by_hand(
        livekit,
        "outbound",
        api.SIPOutboundTrunkInfo(name=name, address="sip.telnyx.com", numbers=[unique_number()]),
    )
    matching = by_hand(
        livekit,
        "outbound",
        api.SIPOutboundTrunkInfo(
            name=name,
            address=declared["address"],
            numbers=declared["numbers"],
            auth_username=declared["auth_username"],
            auth_password=declared["auth_password"],
            destination_country=declared["destination_country"],
            transport=api.SIPTransport.SIP_TRANSPORT_TLS,
            headers=declared["headers"],
        ),
    )
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    trunk_id, _ = tracker.create(provider, created(declared, name))
    assert trunk_id == matching
    assert live_ids(livekit, name) == [matching]
    assert older not in [t.sip_trunk_id for t in livekit.outbound_trunks()]


def test_nothing_else_is_taken(
    livekit: Any, livekit_env: dict[str, str], tracker: Tracker
) -> None:
    """Same fields under another name (hand-made, or another stack's autoname), the resource
    name without the hash, or this name on a replacement: each makes a new object."""
    name = an_autoname("carrier")
    declared = outbound_props(name=name)
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    others = [
        by_hand(
            livekit,
            "outbound",
            api.SIPOutboundTrunkInfo(
                name=other, address=declared["address"], numbers=declared["numbers"]
            ),
        )
        for other in ("carrier", an_autoname("carrier"))
    ]
    first, _ = tracker.create(provider, created(declared, name))
    assert first not in others
    # A replacement (`up --replace`) creates the new object before deleting the recorded one,
    # which bears this name: it must not take it.
    second, _ = tracker.create(provider, created(declared, None))
    assert second not in [first, *others]
    for other in others:
        provider.delete(other, {})
