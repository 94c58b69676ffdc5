//go:build !psrpc07

package main

import (
	"github.com/redis/go-redis/v9"

	"github.com/livekit/psrpc"
	"github.com/livekit/psrpc/pkg/bus/redisbus"
)

// newBus is psrpc's Redis message bus as psrpc v0.8 and later build it (livekit-server v1.13.11
// pins v0.8.2).
func newBus(rc redis.UniversalClient) psrpc.MessageBus {
	return redisbus.New(rc)
}
