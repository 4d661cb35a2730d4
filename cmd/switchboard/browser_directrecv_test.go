package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPublisherDirectSRTP: with --direct-srtp, two Chromium tabs
// each decode the other's video and receive its audio, and most of what
// the Chromium publishers sent (its RTX, transport-wide numbers and, where
// negotiated, encrypted header extensions included) was decrypted by the
// SFU in the shared socket's read loop, past Pion's receive path.
func TestBrowserPublisherDirectSRTP(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	base := startServer(t, "--direct-srtp")
	browser := newBrowser(t, chromium)
	room := fmt.Sprintf("browser-direct-recv-%d", time.Now().UnixNano()%1e9)
	tabs := make([]*tab, 2)
	ids := make([]string, 2)
	for i, name := range []string{"A", "B"} {
		tabs[i] = openTab(t, browser, name, deadline)
		tabs[i].do("opening the room", chromedp.Navigate(base+"/room/"+room+"?name="+url.QueryEscape(name)))
		tabs[i].do("clicking Join", chromedp.Click(chromedp.ID("join")))
	}
	for i, tb := range tabs {
		tb.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom`, 20*time.Second)
		ids[i] = participantID(t, tb)
	}
	waitForMedia(t, tabs[0], ids[1:])
	waitForMedia(t, tabs[1], ids[:1])
	in := metric(t, base, "switchboard_packets_in_total")
	direct := metric(t, base, "switchboard_direct_srtp_received_total")
	dropped := metric(t, base, "switchboard_direct_srtp_dropped_total")
	t.Logf("%v of %v packets in received directly, %v dropped on a full queue", direct, in, dropped)
	// Pion reads each stream's first packets (the simulcast rid); the
	// rest is direct: half at least, with a wide margin for a slow start.
	if direct < 200 || direct < in/2 || dropped > 0 {
		t.Fatalf("%v of %v packets in received directly (want 200 and half at least), %v dropped", direct, in, dropped)
	}
}

// metric reads one series without labels from the server's /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
