package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// iceRoute is the nominated candidate pair of a page's RTCPeerConnection.
type iceRoute struct {
	LocalType     string `json:"localType"`     // host, srflx, prflx or relay
	Protocol      string `json:"protocol"`      // of the local candidate: udp or tcp
	RelayProtocol string `json:"relayProtocol"` // how a relay candidate reaches its TURN server
	Remote        string `json:"remote"`
}

func (r iceRoute) String() string {
	s := r.LocalType + "/" + r.Protocol
	if r.RelayProtocol != "" {
		s += " (to TURN over " + r.RelayProtocol + ")"
	}
	return s + " ↔ " + r.Remote
}

const routeJS = `(async () => {
  const pc = window.switchboardRoom && window.switchboardRoom.pc;
  if (!pc) return {};
  const stats = await pc.getStats();
  const byId = new Map();
  stats.forEach((s) => byId.set(s.id, s));
  let out = {};
  stats.forEach((s) => {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
    const pair = byId.get(s.selectedCandidatePairId);
    const l = pair && byId.get(pair.localCandidateId), r = pair && byId.get(pair.remoteCandidateId);
    if (l && r) out = {localType: l.candidateType, protocol: l.protocol, relayProtocol: l.relayProtocol || '', remote: r.address + ':' + r.port + '/' + r.protocol};
  });
  return out;
})()`

// meetInTwoTabs opens the room in two tabs of browser with query added to
// the page's URL, joins both through the UI, waits until each decodes the
// other's video and hears its audio, and returns each tab's route and how
// long media took from the first click.
func meetInTwoTabs(t *testing.T, browser context.Context, base, room string, query func(name string) string, deadline time.Time) ([]iceRoute, time.Duration) {
	t.Helper()
	_, routes, took := meetInTabs(t, []context.Context{browser, browser}, base, room, query, deadline)
	return routes, took
}

// meetInTabs is meetInTwoTabs with a tab in each of two browsers (which may
// be one, or each on a network of its own); it returns the tabs too.
func meetInTabs(t *testing.T, browsers []context.Context, base, room string, query func(name string) string, deadline time.Time) ([]*tab, []iceRoute, time.Duration) {
	t.Helper()
	names := []string{"A", "B"}
	tabs := make([]*tab, len(names))
	for i, name := range names {
		tabs[i] = openTab(t, browsers[i], name, deadline)
		tabs[i].do("opening the room", chromedp.Navigate(base+"/room/"+room+"?name="+url.QueryEscape(name)+query(name)))
		tabs[i].waitFor("the camera", `!document.getElementById('join').disabled`, 15*time.Second)
	}
	// One after the other: these tests are about the network path, not
	// about joins that collide (browser_test.go has those).
	start := time.Now()
	ids := make([]string, len(tabs))
	for i, tb := range tabs {
		tb.do("clicking Join", chromedp.Click(chromedp.ID("join")))
		took := tb.waitFor("joining and connecting", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom && window.switchboardRoom.pc.connectionState === 'connected'`, 20*time.Second)
		t.Logf("tab %s joined and connected %v after its click", tb.name, took.Round(time.Millisecond))
		id := participantID(t, tb)
		ids[i] = id
	}
	for i, tb := range tabs {
		waitForMedia(t, tb, []string{ids[1-i]})
	}
	took := time.Since(start)
	routes := make([]iceRoute, len(tabs))
	for i, tb := range tabs {
		r, err := eval[iceRoute](tb, routeJS)
		if err != nil {
			t.Fatal(err)
		}
		routes[i] = r
	}
	return tabs, routes, took
}

// TestBrowserRelayOnly: two tabs whose RTCPeerConnections may use relay
// candidates only (?relay=1 sets iceTransportPolicy 'relay') decode each
// other's video through the embedded TURN server, and through Debian's
// coturn with the same shared secret (use-auth-secret). With the embedded
// server, access tokens are on: the tabs pass theirs in ?token=, and a tab
// without one is refused. Direct SRTP is on by default: on the one UDP
// port the relays' pairs go direct (the SFU's end is its host candidate on
// the shared socket) and no packet pauses; with a port per connection it is
// off, and everything takes Pion's path.
func TestBrowserRelayOnly(t *testing.T) {
	chromium := requireBrowser(t)
	const key, secret = "browser-key", "browser-api-secret"
	coturn := func(t *testing.T) []string {
		port := startCoturn(t, "browser-secret")
		return []string{"--turn-secret", "browser-secret", "--ice-server", fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", port)}
	}
	tests := []struct {
		name   string
		args   func(t *testing.T) []string
		tokens bool
		direct bool // direct SRTP carries the media
	}{
		{"embedded TURN", func(*testing.T) []string {
			return []string{"--turn-listen", "127.0.0.1:0", "--turn-secret", "browser-secret", "--api-key", key, "--api-secret", secret}
		}, true, true},
		{"coturn", coturn, false, true},
		{"coturn with a port per connection", func(t *testing.T) []string {
			// The browser tests' one run of that mode.
			return append(coturn(t), "--udp-port", "0")
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deadline := time.Now().Add(60 * time.Second)
			base := startServer(t, tt.args(t)...)
			browser := newBrowser(t, chromium)
			room := roomName(t)
			query := func(name string) string {
				q := "&relay=1"
				if tt.tokens {
					q += "&token=" + url.QueryEscape(mintToken(t, key, secret, room, name))
				}
				return q
			}
			routes, took := meetInTwoTabs(t, browser, base, room, query, deadline)
			for i, r := range routes {
				if r.LocalType != "relay" {
					t.Fatalf("tab %d's route is %s, want a relay", i, r)
				}
			}
			t.Logf("relay-only call through %s: media both ways %v after the first click; routes %s; %s", tt.name, took.Round(time.Millisecond), routes[0], routes[1])
			checkDirect(t, metricsOf(t, http.DefaultClient, base), tt.direct)
			if tt.tokens {
				intruder := openTab(t, browser, "no token", deadline)
				intruder.do("opening the room", chromedp.Navigate(base+"/room/"+room+"?name=Eve"))
				intruder.waitFor("the camera", `!document.getElementById('join').disabled`, 15*time.Second)
				intruder.do("clicking Join", chromedp.Click(chromedp.ID("join")))
				intruder.waitFor("the refusal", `document.body.innerText.includes('unauthorized') && document.body.dataset.state === 'prejoin'`, 10*time.Second)
			}
		})
	}
}

// mintToken makes an access token the way an operator does, with the
// switchboard token command; extra are more of its flags (--name Alice).
func mintToken(t *testing.T, key, secret, room, identity string, extra ...string) string {
	t.Helper()
	var out strings.Builder
	args := append([]string{"--api-key", key, "--api-secret", secret, "--room", room, "--identity", identity, "--ttl", "10m"}, extra...)
	if err := tokenCommand(args, &out, io.Discard, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

// TestBrowserUDPBlocked: two tabs on a link that drops every UDP packet (a
// network namespace of their own, joined to the server's by a veth pair,
// with an nftables rule) still meet, on a page served over HTTPS: over
// ICE-TCP (RFC 6544) to the SFU's TCP port, or through the embedded TURN
// server over TCP or TLS.
func TestBrowserUDPBlocked(t *testing.T) {
	chromium := requireBrowser(t)
	requireTools(t, "nft", "nsenter", "unshare", "ip")
	tests := []struct {
		name      string
		args      func(serverIP string) []string
		wantLocal string // the browser's candidate: its TCP port, learned as prflx, or a relay
	}{
		{"ICE-TCP", func(string) []string { return []string{"--tcp-port", strconv.Itoa(freePort(t))} }, "prflx"},
		{"TURN over TCP", func(ip string) []string {
			return []string{"--turn-listen", net.JoinHostPort(ip, "0"), "--turn-secret", "tcp-secret"}
		}, "relay"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deadline := time.Now().Add(75 * time.Second)
			link := newUDPBlockedLink(t, i)
			// Not localhost, so HTTPS (a self-signed certificate), or the
			// page gets no camera: this also runs --tls-cert and --tls-key.
			cert, key := writeCertificate(t, link.serverIP)
			args := []string{"--listen", net.JoinHostPort(link.serverIP, "0"), "--ice-ips", link.serverIP, "--tls-cert", cert, "--tls-key", key}
			base := "https" + strings.TrimPrefix(startServer(t, append(args, tt.args(link.serverIP)...)...), "http")
			browser := newBrowser(t, link.wrap(t, chromium, "--ignore-certificate-errors"))
			routes, took := meetInTwoTabs(t, browser, base, roomName(t), func(string) string { return "" }, deadline)
			for i, r := range routes {
				// An active ICE-TCP candidate has port 9 (RFC 6544 §4.5): the
				// pair's local end is the connection's real port, a prflx.
				okType := r.LocalType == tt.wantLocal || tt.wantLocal == "prflx" && r.LocalType == "host"
				if !okType || (r.Protocol != "tcp" && r.RelayProtocol != "tcp" && r.RelayProtocol != "tls") {
					t.Fatalf("tab %d's route is %s, want %s over TCP", i, r, tt.wantLocal)
				}
			}
			dropped := link.droppedUDP(t)
			if dropped == 0 {
				t.Fatal("the link dropped no UDP packet: the browser never tried UDP, so the test proves nothing")
			}
			t.Logf("UDP blocked (%d packets dropped), %s: media both ways %v after the first click; routes %s; %s", dropped, tt.name, took.Round(time.Millisecond), routes[0], routes[1])
			checkSent(t, metricsOf(t, clientTrusting(t, cert), base))
		})
	}
}

func roomName(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano()%1e6)
}

// requireTools skips the test (fails it under CI=true) when a program is
// missing; make test-deps installs them.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (make test-deps installs it)", n)
			}
			t.Skipf("%s is not installed (make test-deps installs it)", n)
		}
	}
}

// freePort returns a TCP and UDP port free on loopback a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCoturn runs Debian's coturn on a free loopback port with the TURN
// REST shared secret (use-auth-secret), as TESTING.md describes, and returns
// the port. Its log is shown when the test fails.
func startCoturn(t *testing.T, secret string) int {
	t.Helper()
	requireTools(t, "turnserver")
	port := freePort(t)
	logFile := filepath.Join(t.TempDir(), "coturn.log")
	cmd := exec.Command("turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		"--listening-port="+strconv.Itoa(port), "--use-auth-secret", "--static-auth-secret="+secret, "--realm=switchboard-test",
		"--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers", "--fingerprint", "--log-file="+logFile, "--simple-log")
	t.Cleanup(func() { // after coturn is stopped
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("coturn log:\n%s", tail(string(log), 80))
		}
	})
	startProcess(t, "coturn", cmd)
	// coturn listens on TCP too: ready when it accepts.
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			c.Close()
			return port
		}
	}
	t.Fatal("coturn is not listening after 10 s")
	return 0
}

// writeCertificate writes a self-signed certificate for ip and its key, in
// PEM, and returns their paths.
func writeCertificate(t *testing.T, ip string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
