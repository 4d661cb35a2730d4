package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// resumeSeenJS counts, on a page's room from now on, the events a resume
// must not cause (participantDisconnected, participantConnected) and those
// it must (reconnecting, reconnected).
const resumeSeenJS = `(() => {
  const room = window.switchboardRoom, seen = {left: 0, joined: 0, reconnecting: 0, reconnected: 0};
  window.resumeSeen = seen;
  room.on('participantDisconnected', () => seen.left++);
  room.on('participantConnected', () => seen.joined++);
  room.on('reconnecting', () => seen.reconnecting++);
  room.on('reconnected', () => seen.reconnected++);
  return true;
})()`

type resumeSeen struct {
	Left, Joined, Reconnecting, Reconnected int
}

// killConnections kills every established TCP connection to or from port
// in the test's network namespace, as a NAT or proxy dropping them would
// (TESTING.md, "Cutting connections from outside"), and returns how many
// sockets it killed.
func killConnections(t *testing.T, port string) int {
	t.Helper()
	// One pass for both ends: with one per end, a page that reconnected
	// between the two passes (in milliseconds) had its new connection
	// killed by the second.
	filter := fmt.Sprintf("( dport = :%s or sport = :%s )", port, port)
	out, err := exec.Command("ss", "-K", "-t", "-n", "-H", "state", "established", filter).CombinedOutput()
	if err != nil {
		t.Fatalf("ss -K %s: %v: %s", filter, err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		return len(strings.Split(s, "\n"))
	}
	return 0
}

// TestBrowserResume: three pages in a meeting; every signaling TCP
// connection is killed at once. Within 10 s every page decodes both others
// again (it never stopped: the PeerConnections stay), nobody left or
// rejoined in anyone's view, every page reconnected by itself (no click),
// and everyone keeps their participant id.
func TestBrowserResume(t *testing.T) {
	chromium := requireBrowser(t)
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss(8) is not installed")
	}
	deadline := time.Now().Add(120 * time.Second)
	base := startServer(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t, chromium)
	room := fmt.Sprintf("resume-test-%d", time.Now().UnixNano()%1e9)
	names := []string{"A", "B", "C"}
	tabs := make([]*tab, len(names))
	ids := make([]string, len(names))
	for i, name := range names {
		tabs[i] = openTab(t, browser, name, deadline)
		ids[i] = joinMeeting(t, tabs[i], base, room, name)
	}
	for i, tb := range tabs {
		waitForMedia(t, tb, slices.Concat(ids[:i], ids[i+1:]))
		if _, err := eval[bool](tb, resumeSeenJS); err != nil {
			t.Fatalf("tab %s: %v", tb.name, err)
		}
	}

	cut := time.Now()
	// Three WebSockets: at least one end of each killed (the kill resets
	// the other end, which may then no longer be established for ss to
	// find).
	n := killConnections(t, u.Port())
	if n < len(tabs) {
		t.Fatalf("killed %d sockets, want at least one end of each of the %d WebSockets", n, len(tabs))
	}
	t.Logf("killed %d sockets", n)
	for _, tb := range tabs {
		tb.waitFor("reconnected", `window.resumeSeen.reconnected >= 1 && window.switchboardRoom.state === 'connected'`, 10*time.Second)
		t.Logf("%s reconnected by %v after the cut", tb.name, time.Since(cut).Round(time.Millisecond))
	}
	// Every page at once: checked one after the other, the later pages'
	// checks started seconds late on a loaded machine (getStats through the
	// DevTools protocol takes a second or more there).
	type confirmed struct {
		figures string
		after   time.Duration
		err     error
	}
	results := make([]chan confirmed, len(tabs))
	for i, tb := range tabs {
		results[i] = make(chan confirmed, 1)
		go func() {
			figures, err := awaitMedia(tb, statsJS, slices.Concat(ids[:i], ids[i+1:]))
			results[i] <- confirmed{figures, time.Since(cut), err}
		}()
	}
	for i, tb := range tabs {
		r := <-results[i]
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Logf("%s decodes both others %v after the cut: %s", tb.name, r.after.Round(time.Millisecond), r.figures)
		if r.after > 10*time.Second {
			t.Errorf("%s: media from both others confirmed only %v after the cut", tb.name, r.after.Round(time.Millisecond))
		}
	}
	for i, tb := range tabs {
		seen, err := eval[resumeSeen](tb, `window.resumeSeen`)
		if err != nil {
			t.Fatal(err)
		}
		id := participantID(t, tb)
		if seen.Left != 0 || seen.Joined != 0 || seen.Reconnecting != 1 || seen.Reconnected != 1 || id != ids[i] {
			t.Errorf("%s: %+v, id %s (was %s); want no leave or join, one reconnect, the same id", tb.name, seen, id, ids[i])
		}
	}
	if n, err := eval[int](tabs[0], `document.querySelectorAll('#grid .tile').length`); err != nil || n != 3 {
		t.Errorf("tab A shows %d tiles (%v), want 3", n, err)
	}
}
