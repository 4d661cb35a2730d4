package cluster_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/internal/redistest"
)

// TestForgedMessagesRefused: messages to a node's inbox that are not signed
// with the cluster secret, or come from a node not in the registry, are
// refused and counted; none makes a relay end.
func TestForgedMessagesRefused(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	n := startNode(t, rs, "victim")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := n.dial(ctx, t, "guarded", "p")
	publish(ctx, t, c)
	waitFor(ctx, t, "the node registered", func() bool { return n.node.Stats().Nodes == 1 })

	rdb := rs.Client()
	offer, _ := json.Marshal(map[string]any{"kind": "offer", "end": "egress", "session": "PA_X", "sdp": "v=0"})
	tests := []struct{ name, from, mac string }{
		{"wrong secret", "intruder", sign("not-the-secret", "intruder", offer)},
		{"no signature", "intruder", ""},
		{"right secret, unregistered sender", "ghost", sign("test-secret", "ghost", offer)},
	}
	for i, tt := range tests {
		if err := rdb.Publish(ctx, "switchboard:inbox:victim", envelope(tt.from, offer, tt.mac)).Err(); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, tt.name+" refused", func() bool { return n.node.Stats().MessagesRejected == uint64(i+1) })
	}
	if got := n.node.Stats().RelayEnds; got != 0 {
		t.Errorf("%d relay ends after forged offers, want 0", got)
	}
}

// sign is a cluster message's MAC (envelope.go): HMAC-SHA256 of the
// sender, a zero byte and the body, under secret.
func sign(secret, from string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(from))
	m.Write([]byte{0})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// envelope wraps body as a message between nodes from from, with mac.
func envelope(from string, body []byte, mac string) []byte {
	env, _ := json.Marshal(map[string]any{"from": from, "body": json.RawMessage(body), "mac": mac})
	return env
}
