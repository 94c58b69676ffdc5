package main

import (
	livekitsip "example.com/pulumi-livekit-sip/sdk/go/livekit-sip"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		trunk, err := livekitsip.NewSipInboundTrunk(ctx, "line", &livekitsip.SipInboundTrunkArgs{
			Numbers:      pulumi.StringArray{pulumi.String("+15105550100")},
			KrispEnabled: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		rule, err := livekitsip.NewSipDispatchRule(ctx, "line-dispatch", &livekitsip.SipDispatchRuleArgs{
			TrunkIds: pulumi.StringArray{trunk.SipTrunkId},
			Rule: &livekitsip.SipDispatchRuleKindArgs{
				DispatchRuleIndividual: &livekitsip.SipDispatchRuleIndividualArgs{RoomPrefix: pulumi.String("call-")},
			},
			RoomConfig: &livekitsip.RoomConfigurationArgs{
				Agents: livekitsip.RoomAgentDispatchArray{
					&livekitsip.RoomAgentDispatchArgs{AgentName: pulumi.String("support-agent")},
				},
			},
		})
		if err != nil {
			return err
		}
		line, err := livekitsip.NewAgentPhoneLine(ctx, "support", &livekitsip.AgentPhoneLineArgs{
			Numbers:   pulumi.StringArray{pulumi.String("+15105550101")},
			AgentName: pulumi.String("support-agent"),
			Outbound: &livekitsip.OutboundPresetsArgs{
				Telnyx: &livekitsip.TelnyxOutboundArgs{
					AuthUsername: pulumi.String("acme"),
					AuthPassword: cfg.RequireSecret("telnyxPassword"),
				},
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("inboundTrunkId", trunk.SipTrunkId)
		ctx.Export("dispatchRuleId", rule.SipDispatchRuleId)
		ctx.Export("lineSipUri", line.SipUri)
		return nil
	})
}
