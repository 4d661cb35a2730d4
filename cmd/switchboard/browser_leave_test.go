package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// signalingBlockJS makes the page's WebSockets unable to reach the server
// while window.blockSignaling is set (they go to the discard port, where
// nothing listens: refused at once, as a server behind a dead proxy is), and
// counts those opened while the room is closed: a reconnect loop that
// outlived leave. It also records the page's disconnected events and the
// local tracks the RTCPeerConnection sends.
const signalingBlockJS = `(() => {
  const room = window.switchboardRoom, Real = window.WebSocket;
  window.blockSignaling = false;
  window.leaveSeen = {opened: 0, afterClose: 0, disconnected: 0};
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(window.blockSignaling ? 'ws://127.0.0.1:9/' : url, protocols);
      window.leaveSeen.opened++;
      if (room.closed) window.leaveSeen.afterClose++;
    }
  };
  room.on('disconnected', () => window.leaveSeen.disconnected++);
  window.localTracks = room.pc.getSenders().map((s) => s.track).filter(Boolean);
  return window.localTracks.length > 0;
})()`

// localPortJS is the local UDP port of the page's selected candidate pair.
const localPortJS = `(async () => {
  const stats = await window.switchboardRoom.pc.getStats();
  let port = 0;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) port = stats.get(stats.get(s.selectedCandidatePairId).localCandidateId).port;
  });
  return port;
})()`

// dropUDPFrom drops every UDP packet sent from port in the test's network
// namespace (a page's media path cut one way), until the test ends.
func dropUDPFrom(t *testing.T, port int) {
	t.Helper()
	rules := fmt.Sprintf(`table inet switchboard_leave_test {
	chain out { type filter hook output priority 0; policy accept; udp sport %d drop; }
}
`, port)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("nft", "delete", "table", "inet", "switchboard_leave_test").CombinedOutput(); err != nil {
			t.Errorf("nft delete: %v: %s", err, out)
		}
	})
}

// leaveSeen is what signalingBlockJS counts.
type leaveSeen struct {
	Opened, AfterClose, Disconnected int
}

// TestBrowserLeaveWhileReconnecting: two pages in a meeting; A's signaling
// connection is killed and A cannot reach the server again, so it keeps
// trying (reconnecting). A then leaves (room.disconnect()). A stops trying
// at once (no WebSocket after), emits disconnected once, stops its camera
// and microphone and closes its RTCPeerConnection; B sees A leave within
// 2 s (not when the 30 s resume window passes):
//   - the server reachable again, A's media path cut (its packets from
//     then on dropped, the DTLS close_notify of its closed
//     RTCPeerConnection too): through the leave A sends with its resume
//     token on a connection of its own;
//   - the server still unreachable, the media path up: through the closed
//     RTCPeerConnection alone (DTLS close_notify, RFC 5246 §7.2.1).
func TestBrowserLeaveWhileReconnecting(t *testing.T) {
	chromium := requireBrowser(t)
	requireTools(t, "ss", "nft")
	deadline := time.Now().Add(150 * time.Second)
	base := startServer(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t, chromium)
	tests := []struct {
		name      string
		reachable bool
	}{
		{"leave over a new connection", true},
		{"close_notify alone", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room := fmt.Sprintf("leave-reconnecting-%d-%d", i, time.Now().UnixNano()%1e9)
			a, b := openTab(t, browser, "A", deadline), openTab(t, browser, "B", deadline)
			idA, idB := joinMeeting(t, a, base, room, "A"), joinMeeting(t, b, base, room, "B")
			waitForMedia(t, a, []string{idB})
			waitForMedia(t, b, []string{idA})
			if ok, err := eval[bool](a, signalingBlockJS); err != nil || !ok {
				t.Fatalf("tab A: setting up: %v (local tracks found: %v)", err, ok)
			}
			if _, err := eval[bool](b, resumeSeenJS); err != nil {
				t.Fatalf("tab B: %v", err)
			}

			if _, err := eval[bool](a, `window.blockSignaling = true`); err != nil {
				t.Fatal(err)
			}
			if n := killConnections(t, u.Port()); n < 2 {
				t.Fatalf("killed %d sockets, want at least one end of each page's WebSocket", n)
			}
			// Two refused tries: A's reconnect loop is under way, failing.
			a.waitFor("A reconnecting, its tries refused", `window.switchboardRoom.state === 'reconnecting' && window.leaveSeen.opened >= 2`, 10*time.Second)

			if tt.reachable {
				port, err := eval[int](a, localPortJS)
				if err != nil || port == 0 {
					t.Fatalf("tab A: local port %d: %v", port, err)
				}
				dropUDPFrom(t, port)
			}
			start := time.Now()
			leave := `window.blockSignaling = false; window.switchboardRoom.disconnect().then(() => true)`
			if !tt.reachable {
				leave = `window.switchboardRoom.disconnect().then(() => true)`
			}
			if _, err := eval[bool](a, leave); err != nil {
				t.Fatalf("tab A: disconnect: %v", err)
			}
			b.waitFor("B to see A leave", `window.resumeSeen.left >= 1 && window.switchboardRoom.remoteParticipants.size === 0`, 30*time.Second)
			took := time.Since(start)
			t.Logf("B saw A leave %v after A left", took.Round(time.Millisecond))
			if took > 2*time.Second {
				t.Errorf("B saw A leave %v after A left, want within 2 s", took.Round(time.Millisecond))
			}

			state, err := eval[string](a, `(() => { const r = window.switchboardRoom;
  return r.state + ' pc ' + r.pc.connectionState + ' tracks ' + (window.localTracks.every((t) => t.readyState === 'ended') ? 'ended' : 'live'); })()`)
			if err != nil {
				t.Fatal(err)
			}
			if want := "disconnected pc closed tracks ended"; state != want {
				t.Errorf("tab A after leaving: %q, want %q", state, want)
			}
			// No try after leaving: watched for longer than the longest
			// step of the backoff (RESUME_BACKOFF: 4 s), which a loop left
			// running would have taken.
			watch := time.Now().Add(4500 * time.Millisecond)
			for time.Now().Before(watch) {
				seen, err := eval[leaveSeen](a, `window.leaveSeen`)
				if err != nil {
					t.Fatal(err)
				}
				if seen.AfterClose != 0 || seen.Disconnected != 1 {
					t.Fatalf("tab A after leaving: %+v; want no WebSocket opened after it and one disconnected", seen)
				}
				time.Sleep(250 * time.Millisecond)
			}
		})
	}
}
