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

// directSRTPMetric is the server's count of packets it encrypted itself.
var directSRTPMetric = regexp.MustCompile(`(?m)^switchboard_direct_srtp_packets_total (\S+)$`)

// TestBrowserMeetingDirectSRTP: with --direct-srtp, two Chromium tabs each
// decode the other's video and receive its audio, which the SFU encrypted
// with keys it derived from the DTLS handshake (sfu/srtpkeys) and sent past
// Pion's SRTP session; /metrics shows the packets went that way.
func TestBrowserMeetingDirectSRTP(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	base := startServer(t, "--direct-srtp")
	browser := newBrowser(t, chromium)
	room := fmt.Sprintf("browser-direct-%d", time.Now().UnixNano()%1e9)

	names := []string{"A", "B"}
	tabs := make([]*tab, len(names))
	ids := make([]string, len(names))
	for i, name := range names {
		tabs[i] = openTab(t, browser, name, deadline)
		tabs[i].do("opening the room", chromedp.Navigate(base+"/room/"+room+"?name="+url.QueryEscape(name)))
		tabs[i].do("clicking Join", chromedp.Click(chromedp.ID("join")))
	}
	for i, tb := range tabs {
		tb.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom`, 20*time.Second)
		id := participantID(t, tb)
		ids[i] = id
	}
	waitForMedia(t, tabs[0], ids[1:])
	waitForMedia(t, tabs[1], ids[:1])

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := directSRTPMetric.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no switchboard_direct_srtp_packets_total in /metrics")
	}
	n, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	// Each tab decoded video from the other: hundreds of packets at least
	// went direct (a second of 30 fps video alone is over 100).
	if n < 200 {
		t.Fatalf("%v packets sent directly, want at least 200", n)
	}
	t.Logf("%v packets encrypted and sent by the SFU itself", n)
}
