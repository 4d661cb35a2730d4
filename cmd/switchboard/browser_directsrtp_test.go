package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboard-rtc/switchboard/bench/scrape"
)

// The server's counts of packets it encrypted itself, and of those dropped
// for want of a path (sfu.Stats.DirectSRTPPackets, DirectSRTPPaused).
const (
	directSRTPMetric = "switchboard_direct_srtp_packets_total"
	directPaused     = "switchboard_direct_srtp_paused_total"
)

// TestBrowserMeetingDirectSRTP: with direct SRTP (the default), two
// Chromium tabs each decode the other's video and receive its audio, which
// the SFU encrypted with keys it derived from the DTLS handshake
// (sfu/srtpkeys) and sent past Pion's SRTP session, and whose publishers'
// packets it decrypted itself past Pion's receive path; /metrics shows the
// packets went both ways, and none paused. With --direct-srtp=false the
// same meeting runs on Pion's path, which stays covered: nothing direct.
func TestBrowserMeetingDirectSRTP(t *testing.T) {
	chromium := requireBrowser(t)
	for _, tt := range []struct {
		name   string
		args   []string
		direct bool
	}{
		{"default", nil, true},
		{"Pion path", []string{"--direct-srtp=false"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			deadline := time.Now().Add(90 * time.Second)
			base := startServer(t, tt.args...)
			browser := newBrowser(t, chromium)
			room := roomName(t)
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
			m := metricsOf(t, http.DefaultClient, base)
			checkDirect(t, m, tt.direct)
			// Chromium's RTCP (reduced-size feedback, transport-wide
			// feedback, receiver and sender reports) is decrypted and
			// handled in the read loop too (sfu/directsrtp_rtcp.go).
			srtcp := m.value(t, "switchboard_direct_srtcp_received_total")
			t.Logf("%v SRTCP packets received directly", srtcp)
			if (srtcp > 0) != tt.direct {
				t.Fatalf("%v SRTCP packets received directly; want some only with direct SRTP", srtcp)
			}
		})
	}
}

// checkSent checks that most of what the SFU sent it encrypted itself,
// on UDP or ICE-TCP, and nothing paused for want of a path.
func checkSent(t *testing.T, m scraped) {
	t.Helper()
	sent, paused, out := m.value(t, directSRTPMetric), m.value(t, directPaused), m.value(t, "switchboard_packets_out_total")
	if sent < 200 || sent < out/2 || paused != 0 {
		t.Fatalf("%v of %v forwarded packets sent directly (want 200 and half at least), %v paused (want 0)", sent, out, paused)
	}
}

// checkDirect checks a server's /metrics once media flowed: with direct
// SRTP (direct), most of what the SFU sent it encrypted itself (each tab
// decoded video from another: hundreds of packets at least, a second of 30
// fps video alone being over 100) and most of what Chromium publishers sent
// it decrypted itself, none dropped, none paused for want of a path;
// without, nothing went direct.
func checkDirect(t *testing.T, m scraped, direct bool) {
	t.Helper()
	sent, paused := m.value(t, directSRTPMetric), m.value(t, directPaused)
	out := m.value(t, "switchboard_packets_out_total")
	in := m.value(t, "switchboard_packets_in_total")
	recv := m.value(t, "switchboard_direct_srtp_received_total")
	dropped := m.value(t, "switchboard_direct_srtp_dropped_total")
	t.Logf("direct SRTP: %v of %v forwarded packets sent directly, %v paused; %v of %v packets in received directly, %v dropped on a full queue",
		sent, out, paused, recv, in, dropped)
	if !direct {
		if sent != 0 || recv != 0 || paused != 0 || out < 200 {
			t.Fatalf("want Pion's path only: %v sent and %v received directly, %v paused, %v forwarded", sent, recv, paused, out)
		}
		return
	}
	checkSent(t, m)
	// Pion reads each stream's first packets (the simulcast rid); the
	// rest is direct: half at least, with a wide margin for a slow start.
	if recv < 200 || recv < in/2 || dropped > 0 {
		t.Fatalf("%v of %v packets in received directly (want 200 and half at least), %v dropped", recv, in, dropped)
	}
}

// TestBrowserDirectSRTPOverICETCP: with direct SRTP (the default) on the shared UDP port
// and the ICE-TCP port, tab A (on the server's network) and tab B (in a
// browser on a link that drops every UDP packet) meet: A over UDP, B over
// ICE-TCP (RFC 6544). Then B keeps decoding A's video while every packet
// forwarded to either is one the SFU encrypted itself, B's written as RFC
// 4571 frames into its ICE-TCP connection (sfu/directsrtp_tcp.go), and none
// is paused for want of a path.
func TestBrowserDirectSRTPOverICETCP(t *testing.T) {
	chromium := requireBrowser(t)
	requireTools(t, "nft", "nsenter", "unshare", "ip")
	deadline := time.Now().Add(100 * time.Second)
	link := newUDPBlockedLink(t, 2)
	// Not localhost, so HTTPS, or the pages get no camera.
	cert, key := writeCertificate(t, link.serverIP)
	base := "https" + strings.TrimPrefix(startServer(t, "--listen", net.JoinHostPort(link.serverIP, "0"), "--ice-ips", link.serverIP,
		"--tls-cert", cert, "--tls-key", key, "--tcp-port", strconv.Itoa(freePort(t))), "http")
	client := clientTrusting(t, cert)
	open := newBrowser(t, chromium, chromedp.Flag("ignore-certificate-errors", true))
	blocked := newBrowser(t, link.wrap(t, chromium, "--ignore-certificate-errors"))
	tabs, routes, took := meetInTabs(t, []context.Context{open, blocked}, base, roomName(t), func(string) string { return "" }, deadline)
	if routes[0].Protocol != "udp" {
		t.Fatalf("tab A's route is %s, want UDP", routes[0])
	}
	if routes[1].Protocol != "tcp" {
		t.Fatalf("tab B's route is %s, want ICE-TCP", routes[1])
	}
	if link.droppedUDP(t) == 0 {
		t.Fatal("the link dropped no UDP packet: B's browser never tried UDP, so the test proves nothing")
	}
	t.Logf("media both ways %v after the first click; routes A %s, B %s", took.Round(time.Millisecond), routes[0], routes[1])

	// From now on: B decodes 60 more frames of A's video (3 s of the fake
	// camera's 20 fps; 30 s allowed on a loaded machine).
	from := participantID(t, tabs[0])
	before := metricsOf(t, client, base)
	frames := func() int64 {
		st, err := eval[inboundStats](tabs[1], statsJS)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Video {
			if s.Participant == from {
				return s.FramesDecoded
			}
		}
		return 0
	}
	f0 := frames()
	const more = 60
	var f1 int64
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if f1 = frames(); f1 >= f0+more {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("tab B decoded %d frames of A's video in 30 s, want %d", f1-f0, more)
		}
	}
	after := metricsOf(t, client, base)

	direct := after.value(t, directSRTPMetric) - before.value(t, directSRTPMetric)
	// Every RTP packet sent to a subscriber: forwarded, resent, padding.
	var sent float64
	for _, m := range []string{"switchboard_packets_out_total", "switchboard_packets_retransmitted_total", "switchboard_padding_packets_total"} {
		sent += after.value(t, m) - before.value(t, m)
	}
	t.Logf("B decoded frames %d → %d; the SFU sent %v packets, %v of them direct", f0, f1, sent, direct)
	// 60 frames of 1 Mbit/s-class video are hundreds of packets.
	if direct < 200 {
		t.Fatalf("%v packets sent directly while B decoded %d frames, want at least 200", direct, f1-f0)
	}
	// All of them direct, B's over TCP included: had B's copies taken
	// Pion's path, direct would be about half of sent (A and B each get
	// one video and one audio). 0.9 leaves room for the two scrapes not
	// being one instant.
	if direct < 0.9*sent {
		t.Fatalf("%v of %v packets sent directly, want all (B's over ICE-TCP too)", direct, sent)
	}
	if p := after.value(t, directPaused); p != 0 {
		t.Fatalf("%v packets of direct streams paused for want of a path, want 0", p)
	}
}

// scraped is one reading of the server's /metrics.
type scraped struct{ scrape.Values }

// value is a series that must be on the page.
func (s scraped) value(t *testing.T, name string) float64 {
	t.Helper()
	v, ok := s.Get(name)
	if !ok {
		t.Fatalf("no %s in /metrics", name)
	}
	return v
}

// metricsOf reads the /metrics of the server at base.
func metricsOf(t *testing.T, client *http.Client, base string) scraped {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := scrape.Fetch(ctx, client, base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return scraped{v}
}

// clientTrusting is an HTTP client that trusts the certificate in the PEM
// file cert (writeCertificate's) and nothing else.
func clientTrusting(t *testing.T, cert string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", cert)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections) // no keep-alive goroutine outlives the test
	return &http.Client{Transport: tr}
}
