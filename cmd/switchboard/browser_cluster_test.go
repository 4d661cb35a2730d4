package main

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-rtc/switchboard/internal/redistest"
)

// TestBrowserClusterMeeting: three servers share a Redis; three tabs each
// open the room through a different server's /room/NAME, and each decodes
// the video and receives the audio of the two others, relayed between the
// servers.
func TestBrowserClusterMeeting(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	rs := redistest.Start(t)
	var bases []string
	for i := range 3 {
		bases = append(bases, startServer(t, "--redis", rs.URL(), "--cluster-secret", "browser-test",
			"--node-id", fmt.Sprintf("b%d", i+1)))
	}
	browser := newBrowser(t, chromium)
	room := fmt.Sprintf("cluster-test-%d", time.Now().UnixNano()%1e9)

	names := []string{"A", "B", "C"}
	tabs := make([]*tab, len(names))
	for i, name := range names {
		tabs[i] = openTab(t, browser, name, deadline)
		tabs[i].do("opening the room", chromedp.Navigate(bases[i]+"/room/"+room+"?name="+url.QueryEscape(name)))
	}
	for _, tb := range tabs {
		tb.do("clicking Join", chromedp.Click(chromedp.ID("join")))
	}
	ids := make([]string, len(tabs))
	for i, tb := range tabs {
		tb.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom`, 20*time.Second)
		id := participantID(t, tb)
		ids[i] = id
	}
	for i, tb := range tabs {
		others := slices.Concat(ids[:i], ids[i+1:])
		waitForMedia(t, tb, others)
		t.Logf("tab %s on %s decodes %v", tb.name, bases[i], others)
	}
	// Every tab shows all three, whichever server it reached.
	for _, tb := range tabs {
		tb.waitFor("3 tiles", fmt.Sprintf(`(() => { const t = %s; return t.length === 3 && new Set(t).size === 3; })()`, tilesJS), 10*time.Second)
	}
}
