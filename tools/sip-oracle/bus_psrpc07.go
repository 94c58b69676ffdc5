//go:build psrpc07

package main

import (
	"github.com/redis/go-redis/v9"

	"github.com/livekit/psrpc"
)

// newBus is psrpc's Redis message bus as psrpc v0.7 builds it (livekit-server v1.13.5 pins
// v0.7.2); scripts/build-sip-oracle.sh sets the psrpc07 tag for a module file that pins v0.7.
func newBus(rc redis.UniversalClient) psrpc.MessageBus {
	return psrpc.NewRedisMessageBus(rc)
}
