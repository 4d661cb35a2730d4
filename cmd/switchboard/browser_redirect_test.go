package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-rtc/switchboard/internal/redistest"
)

// TestBrowserClusterRedirect: the meeting page follows the server's
// redirects by itself. Three nodes share a Redis; the first takes one
// participant (--max-node-participants 1). A opens node 1's page and joins
// there; B opens node 1's page too and is sent to another node, where it
// joins the same meeting, and A and B decode each other. Then B's node
// shuts down gracefully: it sends B to the one node left with room, where
// B's page joins again and publishes its camera and (muted) microphone
// again, and within 10 s, with no click, A and B decode each other again.
func TestBrowserClusterRedirect(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(100 * time.Second)
	rs := redistest.Start(t)
	cluster := []string{"--redis", rs.URL(), "--cluster-secret", "browser-test"}
	base1 := startServer(t, slices.Concat(cluster, []string{"--node-id", "r1", "--max-node-participants", "1"})...)
	// The page comes from node 1: the others take WebSockets from its
	// origin, as a cluster behind one name lists that name.
	others := slices.Concat(cluster, []string{"--allowed-origin", base1})
	base2, stop2 := startStoppableServer(t, slices.Concat(others, []string{"--node-id", "r2"})...)
	base3, stop3 := startStoppableServer(t, slices.Concat(others, []string{"--node-id", "r3"})...)
	waitClusterNodes(t, base1, 3, 15*time.Second)

	browser := newBrowser(t, chromium)
	room := roomName(t)
	a := openTab(t, browser, "A", deadline)
	b := openTab(t, browser, "B", deadline)
	idA := joinMeeting(t, a, base1, room, "A")
	if got := roomURL(t, a); got != wsOf(base1) {
		t.Fatalf("A joined at %s, want node 1 (%s)", got, wsOf(base1))
	}
	// B opens node 1's page, which is full: its join goes on elsewhere.
	idB := joinMeeting(t, b, base1, room, "B")
	first := roomURL(t, b)
	var stop func()
	var last string
	switch first {
	case wsOf(base2):
		stop, last = stop2, wsOf(base3)
	case wsOf(base3):
		stop, last = stop3, wsOf(base2)
	default:
		t.Fatalf("B joined at %s, want node 2 (%s) or 3 (%s)", first, wsOf(base2), wsOf(base3))
	}
	t.Logf("B opened %s/room/%s and joined at %s", base1, room, first)
	waitForMedia(t, a, []string{idB})
	waitForMedia(t, b, []string{idA})

	// B mutes its microphone; the move must keep that.
	b.do("muting", chromedp.Click(chromedp.ID("toggle-mic")))
	a.waitFor("B's microphone muted", fmt.Sprintf(`window.switchboardRoom.getParticipantBySid(%q)?.getTrackPublication('microphone')?.isMuted === true`, idB), 5*time.Second)
	if _, err := eval[bool](b, `(() => {
  window.moves = [];
  const room = window.switchboardRoom;
  room.on('reconnecting', (reason, url) => window.moves.push('reconnecting to ' + url + ' (' + reason + ')'));
  room.on('reconnected', (id, previous) => window.moves.push('reconnected as ' + id + ' (was ' + previous + ')'));
  room.on('disconnected', (reason) => window.moves.push('disconnected: ' + reason));
  new MutationObserver(() => window.moves.push('page ' + document.body.dataset.state)).observe(document.body, {attributeFilter: ['data-state']});
  return true;
})()`); err != nil {
		t.Fatal(err)
	}

	// B's node shuts down (SIGTERM): it redirects B to node 3, not to the full node 1.
	moved := time.Now()
	stop()
	t.Logf("B's node shut down in %v", time.Since(moved).Round(time.Millisecond))
	within := *b
	within.deadline = moved.Add(10 * time.Second)
	within.waitFor("B joined again at "+last, fmt.Sprintf(`window.switchboardRoom.url === %q && window.switchboardRoom.state === 'connected' && window.switchboardRoom.participantId !== %q`, last, idB), 10*time.Second)
	idB2 := participantID(t, b)
	withinA := *a
	withinA.deadline = within.deadline
	waitForMedia(t, &withinA, []string{idB2})
	waitForMedia(t, &within, []string{idA})
	t.Logf("B moved to %s as %s; A and B decode each other %v after the shutdown began", last, idB2, time.Since(moved).Round(time.Millisecond))

	moves, err := eval[[]string](b, `window.moves`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("B's room: %q", moves)
	if len(moves) != 2 || !strings.HasPrefix(moves[0], "reconnecting to "+last) || moves[1] != fmt.Sprintf("reconnected as %s (was %s)", idB2, idB) {
		t.Errorf("B's room emitted %q, want reconnecting to %s, then reconnected, and the page never left the meeting", moves, last)
	}
	// The page shows the same meeting, its own tile under its new id; the
	// local participant, its publications and the mute state followed.
	for _, c := range []struct {
		tb   *tab
		want []string
	}{{a, []string{idA, idB2}}, {b, []string{idA, idB2}}} {
		want, err := json.Marshal(slices.Sorted(slices.Values(c.want)))
		if err != nil {
			t.Fatal(err)
		}
		c.tb.waitFor("tiles of A and the moved B", fmt.Sprintf(`JSON.stringify(%s.sort()) === JSON.stringify(%s)`, tilesJS, want), 5*time.Second)
	}
	b.waitFor("B's own tile and publications", fmt.Sprintf(`(() => {
  const room = window.switchboardRoom, lp = room.localParticipant;
  const self = document.querySelector('#grid .tile[data-self]');
  const mic = lp.getTrackPublication('microphone'), cam = lp.getTrackPublication('camera');
  return self && self.dataset.participantId === %q && lp.sid === %q && room.pc.connectionState === 'connected' &&
    mic && mic.isMuted && cam && !cam.isMuted && lp.trackPublications.get(mic.trackSid) === mic && lp.trackPublications.get(cam.trackSid) === cam &&
    room.publishedTracks.every((p) => lp.trackPublications.has(p.mid)) && document.body.dataset.state === 'meeting' && !('reconnecting' in document.body.dataset);
})()`, idB2, idB2), 5*time.Second)
	a.waitFor("the moved B's microphone muted at A", fmt.Sprintf(`window.switchboardRoom.getParticipantBySid(%q)?.getTrackPublication('microphone')?.isMuted === true && document.querySelector('#grid .tile[data-participant-id=%q]').dataset.micMuted === 'true'`, idB2, idB2), 5*time.Second)
	if got := roomURL(t, a); got != wsOf(base1) {
		t.Errorf("A is at %s now, want node 1 still", got)
	}
}

// roomURL is the signaling URL of the server the tab's room is joined at.
func roomURL(t *testing.T, tb *tab) string {
	t.Helper()
	u, err := eval[string](tb, `window.switchboardRoom.url`)
	if err != nil {
		t.Fatalf("tab %s: %v", tb.name, err)
	}
	return u
}

// wsOf is the signaling URL of a server's base URL, as the client makes it.
func wsOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	return "ws://" + u.Host + "/ws"
}

// waitClusterNodes waits until the node at base counts n nodes in the
// cluster's registry (its /metrics), so that it knows where to send clients.
func waitClusterNodes(t *testing.T, base string, n int, timeout time.Duration) {
	t.Helper()
	want := fmt.Sprintf("\nswitchboard_cluster_nodes %d\n", n)
	var last string
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			last = err.Error()
			continue
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil && strings.Contains(string(body), want) {
			return
		}
		last = string(body)
		if i := strings.Index(last, "\nswitchboard_cluster_nodes "); i >= 0 {
			last = strings.SplitN(last[i+1:], "\n", 2)[0]
		}
	}
	t.Fatalf("%s does not see %d nodes within %v: %s", base, n, timeout, last)
}
