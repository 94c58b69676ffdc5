"""Adopt a trunk and a dispatch rule that were created by hand, keeping their IDs.

`pulumi import` does not work for these resources (Pulumi cannot import dynamic resources), so
the components take over existing objects through ``adopt_id``: on the first `pulumi up` the
object with that ID is reconciled to what the program declares and keeps its ID, so
everything that refers to it (dispatch rules, the provider's configuration) keeps working.
``retain_on_delete`` leaves it in LiveKit if it is ever removed from the stack.

    lk sip inbound list        # the trunk's ID, ST_...
    lk sip dispatch list       # the rule's ID, SDR_...
    pulumi config set inboundTrunkId ST_xxxxxxxxxxxx
    pulumi config set dispatchRuleId SDR_xxxxxxxxxxxx
    pulumi preview             # shows what will change on the adopted objects
    pulumi up

Declare every field you want to keep: fields the program leaves out are reset to their
defaults when the object is adopted. After the first `up`, ``adopt_id`` no longer matters
and can stay.
"""

import pulumi
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

config = pulumi.Config()
keep = pulumi.ResourceOptions(retain_on_delete=True)

trunk = SipInboundTrunk(
    "main-line",
    numbers=config.get_object("numbers") or ["+15105550100"],
    krisp_enabled=True,
    adopt_id=config.get("inboundTrunkId") or "ST_replace_me",
    opts=keep,
)

rule = SipDispatchRule(
    "main-line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": config.get("agentName") or "support-agent"}]},
    hide_phone_number=True,
    adopt_id=config.get("dispatchRuleId") or "SDR_replace_me",
    opts=keep,
)

pulumi.export("inbound_trunk_id", trunk.sip_trunk_id)
pulumi.export("dispatch_rule_id", rule.sip_dispatch_rule_id)
