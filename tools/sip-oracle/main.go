// sip-oracle asks a running livekit-server how it routes SIP calls, the way LiveKit's SIP
// bridge does: over psrpc on the server's Redis, through the IOInfo service that livekit-server
// serves (EvaluateSIPDispatchRules, GetSIPTrunkAuthentication). It is built once per server
// release, against the livekit/protocol and psrpc versions that release pins
// (scripts/build-sip-oracle.sh: go.mod for the newest, livekit-server-<version>.mod otherwise).
//
// Calls are read as JSON lines on stdin, one answer is written per line on stdout, in order:
//
//	{"op": "evaluate", "from": "+14155550001", "to": "+15105550100", "sourceIp": "203.0.113.7",
//	 "fromHost": "", "toHost": "", "trunkId": "", "pin": "", "noPin": false, "callId": "SCL_x"}
//	-> {"response": {...EvaluateSIPDispatchRulesResponse as protojson...}}
//	   or {"error": {"code": "failed_precondition", "message": "..."}}
//
// op "auth" sends the same call as a GetSIPTrunkAuthenticationRequest (the trunk's password is
// replaced by "passwordSet": true in the answer). The request carries
// the call both in the legacy fields (CallingNumber, CalledNumber, ...) and in Call, as the
// bridge does: the server's rule matching reads the former, EvaluateDispatchRule the latter.
//
// op "describe" answers, without asking the server, the fields of protocol messages and the
// values of enums as the protocol this binary was built with has them; a name ending in
// ".proto" stands for every message and enum of that file, nested ones included:
//
//	{"op": "describe", "names": ["livekit_sip.proto", "livekit.RoomConfiguration"]}
//	-> {"response": {"livekit.SIPInboundTrunkInfo": {"fields": {"name": 2, ...}}, ...}}
//
// usage: sip-oracle -redis 127.0.0.1:6379
//
//	sip-oracle -describe      (describe requests only: no server, no Redis)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/rpc"
	"github.com/livekit/psrpc"
)

type call struct {
	Op       string   `json:"op"`
	Names    []string `json:"names"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	SourceIP string   `json:"sourceIp"`
	FromHost string   `json:"fromHost"`
	ToHost   string   `json:"toHost"`
	TrunkID  string   `json:"trunkId"`
	Pin      string   `json:"pin"`
	NoPin    bool     `json:"noPin"`
	CallID   string   `json:"callId"`
}

type errorOut struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type answer struct {
	Response json.RawMessage `json:"response,omitempty"`
	Error    *errorOut       `json:"error,omitempty"`
	// For op auth: whether the trunk has a password. The password itself is never printed.
	PasswordSet bool `json:"passwordSet,omitempty"`
}

func sipCall(c *call) *rpc.SIPCall {
	to := &livekit.SIPUri{User: c.To, Host: c.ToHost}
	return &rpc.SIPCall{
		LkCallId: c.CallID,
		SourceIp: c.SourceIP,
		From:     &livekit.SIPUri{User: c.From, Host: c.FromHost},
		To:       to,
		Address:  to,
	}
}

func ask(ctx context.Context, client rpc.IOInfoClient, c *call) (proto.Message, error) {
	switch c.Op {
	case "", "evaluate":
		return client.EvaluateSIPDispatchRules(ctx, &rpc.EvaluateSIPDispatchRulesRequest{
			SipCallId:     c.CallID,
			SipTrunkId:    c.TrunkID,
			CallingNumber: c.From,
			CallingHost:   c.FromHost,
			CalledNumber:  c.To,
			CalledHost:    c.ToHost,
			SrcAddress:    c.SourceIP,
			Pin:           c.Pin,
			NoPin:         c.NoPin,
			Call:          sipCall(c),
		})
	case "auth":
		return client.GetSIPTrunkAuthentication(ctx, &rpc.GetSIPTrunkAuthenticationRequest{
			SipCallId:  c.CallID,
			From:       c.From,
			FromHost:   c.FromHost,
			To:         c.To,
			ToHost:     c.ToHost,
			SrcAddress: c.SourceIP,
			Call:       sipCall(c),
		})
	}
	return nil, fmt.Errorf("unknown op %q (want evaluate or auth)", c.Op)
}

// warmUp waits until the server answers: psrpc subscribes to the answers in the background,
// so the first requests of a fresh client can go unanswered ("no response from servers").
func warmUp(ctx context.Context, client rpc.IOInfoClient) error {
	probe := &call{Op: "auth", From: "sip-oracle-warm-up", To: "sip-oracle-warm-up"}
	var err error
	for i := 0; i < 30; i++ {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = ask(rctx, client, probe)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("livekit-server does not answer IOInfo requests: %w", err)
}

type described struct {
	Fields map[string]int32 `json:"fields,omitempty"`
	Values map[string]int32 `json:"values,omitempty"`
	// Set when the protocol has no message or enum of that name.
	Missing bool `json:"missing,omitempty"`
}

// describe reads the descriptors compiled into this binary (the server's protocol version).
func describe(names []string) (json.RawMessage, error) {
	out := map[string]described{}
	var add func(d protoreflect.Descriptor)
	add = func(d protoreflect.Descriptor) {
		switch d := d.(type) {
		case protoreflect.MessageDescriptor:
			item := described{Fields: map[string]int32{}}
			for i := 0; i < d.Fields().Len(); i++ {
				f := d.Fields().Get(i)
				item.Fields[string(f.Name())] = int32(f.Number())
			}
			out[string(d.FullName())] = item
			for i := 0; i < d.Messages().Len(); i++ {
				if m := d.Messages().Get(i); !m.IsMapEntry() {
					add(m)
				}
			}
			for i := 0; i < d.Enums().Len(); i++ {
				add(d.Enums().Get(i))
			}
		case protoreflect.EnumDescriptor:
			item := described{Values: map[string]int32{}}
			for i := 0; i < d.Values().Len(); i++ {
				v := d.Values().Get(i)
				item.Values[string(v.Name())] = int32(v.Number())
			}
			out[string(d.FullName())] = item
		default:
			out[string(d.FullName())] = described{Missing: true}
		}
	}
	for _, name := range names {
		if strings.HasSuffix(name, ".proto") {
			f, err := protoregistry.GlobalFiles.FindFileByPath(name)
			if err != nil {
				out[name] = described{Missing: true}
				continue
			}
			for i := 0; i < f.Messages().Len(); i++ {
				add(f.Messages().Get(i))
			}
			for i := 0; i < f.Enums().Len(); i++ {
				add(f.Enums().Get(i))
			}
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			out[name] = described{Missing: true}
			continue
		}
		add(d)
	}
	return json.Marshal(out)
}

func run() error {
	addr := flag.String("redis", "127.0.0.1:6379", "the Redis address livekit-server uses")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout of one request")
	describeOnly := flag.Bool("describe", false, "answer describe requests only (no server, no Redis)")
	flag.Parse()

	ctx := context.Background()
	var client rpc.IOInfoClient
	if !*describeOnly {
		rc := redis.NewClient(&redis.Options{Addr: *addr})
		defer rc.Close()
		if err := rc.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis %s: %w", *addr, err)
		}
		var err error
		client, err = rpc.NewIOInfoClient(newBus(rc))
		if err != nil {
			return err
		}
		if err := warmUp(ctx, client); err != nil {
			return err
		}
	}

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	marshal := protojson.MarshalOptions{UseProtoNames: false}
	for in.Scan() {
		var c call
		var a answer
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			a.Error = &errorOut{Code: "bad_input", Message: err.Error()}
		} else if c.Op == "describe" {
			if b, err := describe(c.Names); err != nil {
				a.Error = &errorOut{Code: "marshal", Message: err.Error()}
			} else {
				a.Response = b
			}
		} else if client == nil {
			a.Error = &errorOut{Code: "bad_input", Message: "-describe answers describe requests only"}
		} else {
			rctx, cancel := context.WithTimeout(ctx, *timeout)
			resp, err := ask(rctx, client, &c)
			cancel()
			if err != nil {
				a.Error = &errorOut{Code: "unknown", Message: err.Error()}
				var perr psrpc.Error
				if errors.As(err, &perr) {
					a.Error.Code = string(perr.Code())
				}
			} else {
				if auth, ok := resp.(*rpc.GetSIPTrunkAuthenticationResponse); ok {
					a.PasswordSet = auth.Password != ""
					auth.Password = ""
				}
				if b, err := marshal.Marshal(resp); err != nil {
					a.Error = &errorOut{Code: "marshal", Message: err.Error()}
				} else {
					a.Response = b
				}
			}
		}
		if err := enc.Encode(&a); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sip-oracle:", err)
		os.Exit(1)
	}
}
