package signaling_test

import (
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// TestSameIdentityReplacesTheOlderSession: one identity holds one place in
// a room; a second join (a reconnecting tab) replaces the first, whose
// client is told why, and the others see one participant leave and one
// join.
func TestSameIdentityReplacesTheOlderSession(t *testing.T) {
	url := newTestServer(t, []sfu.Option{sfu.WithMaxParticipants(2)}, signaling.WithAPIKey(apiKey, apiSecret))
	bob := dial(t, url)
	send(t, bob, withToken("dup", "Bob", token(t, "dup", "bob", time.Minute)))
	next(t, bob, protocol.TypeJoined)

	first := dial(t, url)
	send(t, first, withToken("dup", "Alice", token(t, "dup", "alice", time.Minute)))
	firstID := next(t, first, protocol.TypeJoined)["participantId"]

	// The room is full (2), but alice's place is hers to take again.
	second := dial(t, url)
	send(t, second, withToken("dup", "Alice", token(t, "dup", "alice", time.Minute)))
	joined := next(t, second, protocol.TypeJoined)
	if joined["participantId"] == firstID {
		t.Fatal("the new session got the old participant id")
	}
	if bye := next(t, first, protocol.TypeBye); bye["reason"] == "" {
		t.Fatalf("bye without a reason: %v", bye)
	}
	expectClosed(t, first)
	if left := next(t, bob, protocol.TypeParticipantLeft); left["participantId"] != firstID {
		t.Fatalf("bob saw %v leave, want %v", left["participantId"], firstID)
	}
}

func TestJoinedSaysThePermissions(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithAPIKey(apiKey, apiSecret))
	tests := []struct {
		name  string
		perms sfu.Permissions
	}{
		{"viewer", sfu.Permissions{Subscribe: true}},
		{"presenter", sfu.Permissions{Publish: true, PublishScreen: true, Subscribe: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			send(t, c, withToken("perms", tt.name, token(t, "perms", tt.name, time.Minute, tt.perms)))
			got := next(t, c, protocol.TypeJoined)["permissions"].(map[string]any)
			want := map[string]any{"publish": tt.perms.Publish, "publishScreen": tt.perms.PublishScreen, "subscribe": tt.perms.Subscribe}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("permissions %v, want %v", got, want)
				}
			}
		})
	}
}
