// A phone number answered by a LiveKit agent: an inbound trunk for the number and a dispatch
// rule that puts each caller in a room of their own with the agent. The SDK (@pulumi/livekit-sip)
// is generated from the plugin's schema by `pulumi package add` (see README.md).
import * as pulumi from "@pulumi/pulumi";
import * as livekit from "@pulumi/livekit-sip";

const config = new pulumi.Config();
const agentName = config.get("agentName") ?? "support-agent";

const line = new livekit.SipInboundTrunk("line", {
    numbers: ["+15105550100"],
    krispEnabled: true,
});

const dispatch = new livekit.SipDispatchRule("line-dispatch", {
    trunkIds: [line.sipTrunkId],
    rule: { dispatchRuleIndividual: { roomPrefix: "call-" } },
    hidePhoneNumber: true,
    roomConfig: { agents: [{ agentName }] },
});

export const inboundTrunkId = line.sipTrunkId;
export const dispatchRuleId = dispatch.sipDispatchRuleId;
