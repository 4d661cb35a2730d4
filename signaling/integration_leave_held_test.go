package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// leaveHeldBound is how soon the others must see a participant that left
// while reconnecting go: the 2 s a plain leave is allowed (issue #12),
// against a resume window of 20 s that would otherwise hold it.
const leaveHeldBound = 2 * time.Second

// TestLeaveWhileReconnecting: a participant whose WebSocket is cut (held
// for resume, the window 20 s) leaves before it resumes. It cannot send
// leave on the connection it lost; each way it has of leaving takes it out
// for the others within 2 s, not when the window passes:
//   - a leave with its resume token, as the first message of a new
//     connection (its PeerConnection still up);
//   - its PeerConnection closed (DTLS close_notify), the signaling still
//     down.
//
// A leave with a token that names nothing is refused and takes out nobody.
func TestLeaveWhileReconnecting(t *testing.T) {
	tests := []struct {
		name  string
		leave func(ctx context.Context, t *testing.T, srv *testServer, c *bench.Client)
	}{
		{"leave with the resume token", func(ctx context.Context, t *testing.T, srv *testServer, c *bench.Client) {
			ws, _ := dialRaw(ctx, t, srv.url)
			if err := ws.WriteJSON(protocol.Leave{Type: protocol.TypeLeave, Room: c.Room(), Resume: c.ResumeToken()}); err != nil {
				t.Fatalf("send leave: %v", err)
			}
		}},
		{"PeerConnection closed", func(_ context.Context, t *testing.T, _ *testServer, c *bench.Client) {
			if err := c.Close(); err != nil {
				t.Logf("close: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			srv, h := newResumeServer(t, 20*time.Second, 16)
			clients := srv.meeting(ctx, t, "leave-held", 20, "leaver", "stayer")
			leaver, stayer := clients[0], clients[1]
			left := stayer.Received(protocol.TypeParticipantLeft)
			leaver.Cut()
			waitFor(ctx, t, "the server to hold the dropped session", func() bool { return h.PendingResumes() == 1 })

			start := time.Now()
			tt.leave(ctx, t, srv, leaver)
			waitFor(ctx, t, "the stayer to see the leaver leave", func() bool {
				return stayer.Received(protocol.TypeParticipantLeft) > left
			})
			took := time.Since(start)
			t.Logf("the stayer saw the leaver leave %v after it left", took.Round(time.Millisecond))
			if took > leaveHeldBound {
				t.Errorf("the leaver left for the others %v after it left, want within %v", took.Round(time.Millisecond), leaveHeldBound)
			}
			waitFor(ctx, t, "the held session to go", func() bool { return h.PendingResumes() == 0 })
			if st := srv.sfu.Stats(); st.Participants != 1 {
				t.Errorf("%d participants on the server after the leave, want the stayer alone", st.Participants)
			}
			if j, err := leaver.Resume(ctx); err == nil {
				t.Errorf("the token resumed after the leave: %+v", j)
			}
		})
	}
}

// TestLeaveWithUnknownToken: a leave whose token names no session gets
// resume-failed and takes out nobody.
func TestLeaveWithUnknownToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv, h := newResumeServer(t, 20*time.Second, 16)
	clients := srv.meeting(ctx, t, "leave-unknown", 20, "a", "b")
	clients[0].Cut()
	waitFor(ctx, t, "the server to hold the dropped session", func() bool { return h.PendingResumes() == 1 })
	tests := []struct{ name, room, token string }{
		{"wrong token", "leave-unknown", clients[1].ResumeToken() + "x"},
		{"other room", "another-room", clients[0].ResumeToken()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, _ := dialRaw(ctx, t, srv.url)
			if err := ws.WriteJSON(protocol.Leave{Type: protocol.TypeLeave, Room: tt.room, Resume: tt.token}); err != nil {
				t.Fatalf("send leave: %v", err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
			_, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if msg, err := protocol.DecodeServer(data); err != nil {
				t.Fatalf("decode %s: %v", data, err)
			} else if e, ok := msg.(*protocol.Error); !ok || e.Code != protocol.CodeResumeFailed {
				t.Fatalf("got %s, want %s", data, protocol.CodeResumeFailed)
			}
		})
	}
	if n, st := h.PendingResumes(), srv.sfu.Stats(); n != 1 || st.Participants != 2 {
		t.Errorf("after refused leaves: %d held, %d participants; want 1 and 2", n, st.Participants)
	}
}
