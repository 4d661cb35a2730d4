package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// ignoreJoinBuckets ignores the goroutine of golang-lru v2's expirable LRU
// that holds the per-address join buckets, and of the one that holds the
// sessions kept for resume: v2 never stops them (one each per signaling
// handler with --joins-per-ip and --resume-window on, the defaults).
var ignoreJoinBuckets = goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1")

func TestLimitFlags(t *testing.T) {
	tests := []flagCase[limitsConfig]{
		{"defaults", nil, nil, func(c limitsConfig) bool {
			return c.maxConnsPerIP == 50 && c.joinsPerIP == 5 && c.joinBurstPerIP == 50 && c.maxRooms == 0 && c.maxTracks == 8 && len(c.trustedPrefixes) == 0 &&
				c.ingressBitrate == 8_000_000 && c.ingressPackets == 1000 && c.offerRate == 5 && c.offerBurst == 10
		}, false},
		{"offer limit", []string{"--offer-rate", "0.5", "--offer-burst", "3"}, nil, func(c limitsConfig) bool {
			return c.offerRate == 0.5 && c.offerBurst == 3
		}, false},
		{"no offer limit", []string{"--offer-rate", "0", "--offer-burst", "0"}, nil, func(c limitsConfig) bool { return c.offerRate == 0 }, false},
		{"negative offer rate", []string{"--offer-rate", "-1"}, nil, nil, true},
		{"no offer burst", []string{"--offer-burst", "0"}, nil, nil, true},
		{"ingress caps", []string{"--ingress-bitrate", "20000000", "--ingress-packets", "0"}, nil, func(c limitsConfig) bool {
			return c.ingressBitrate == 20_000_000 && c.ingressPackets == 0
		}, false},
		{"negative ingress cap", []string{"--ingress-packets", "-1"}, nil, nil, true},
		{"flags", []string{"--max-connections-per-ip", "3", "--joins-per-ip", "0.5", "--join-burst-per-ip", "2", "--max-rooms", "7",
			"--max-tracks-per-participant", "4", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.1"}, nil, func(c limitsConfig) bool {
			return c.maxConnsPerIP == 3 && c.joinsPerIP == 0.5 && c.joinBurstPerIP == 2 && c.maxRooms == 7 && c.maxTracks == 4 &&
				slices.Equal(c.trustedPrefixes, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")})
		}, false},
		{"environment twins", nil, map[string]string{"SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "0", "SWITCHBOARD_JOINS_PER_IP": "0",
			"SWITCHBOARD_JOIN_BURST_PER_IP": "9", "SWITCHBOARD_MAX_ROOMS": "100", "SWITCHBOARD_MAX_TRACKS_PER_PARTICIPANT": "0",
			"SWITCHBOARD_TRUSTED_PROXY": "10.0.0.1,fd00::/8"}, func(c limitsConfig) bool {
			return c.maxConnsPerIP == 0 && c.joinsPerIP == 0 && c.joinBurstPerIP == 9 && c.maxRooms == 100 && c.maxTracks == 0 &&
				slices.Equal(c.trustedPrefixes, []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::/8")})
		}, false},
		{"negative connections", []string{"--max-connections-per-ip", "-1"}, nil, nil, true},
		{"negative join rate", []string{"--joins-per-ip", "-1"}, nil, nil, true},
		{"no burst", []string{"--join-burst-per-ip", "0"}, nil, nil, true},
		{"no burst with joins unlimited", []string{"--joins-per-ip", "0", "--join-burst-per-ip", "0"}, nil, func(c limitsConfig) bool { return c.joinsPerIP == 0 }, false},
		{"negative rooms", []string{"--max-rooms", "-2"}, nil, nil, true},
		{"negative tracks", []string{"--max-tracks-per-participant", "-2"}, nil, nil, true},
		{"a proxy by name", []string{"--trusted-proxy", "proxy.example.com"}, nil, nil, true},
	}
	runFlagCases(t, func(c config) limitsConfig { return c.limits }, tests)
}

// TestRunAppliesLimits: the flags reach the signaling of the running
// server.
func TestRunAppliesLimits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), ignoreJoinBuckets)
	addr, stop := runServer(t, "--max-connections-per-ip", "1", "--max-rooms", "1")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	first, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.WriteJSON(protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: "one", Name: "First"}); err != nil {
		t.Fatal(err)
	}
	readUntil(t, first, protocol.TypeJoined)
	second, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if m := readUntil(t, second, protocol.TypeError); m["code"] != protocol.CodeRateLimited || m["fatal"] != true {
		t.Fatalf("second connection from one address: %v, want a fatal rate-limited error", m)
	}
	// From another loopback address: past the connection limit, and then
	// the room cap.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}
	other, _, err := d.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.WriteJSON(protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: "two", Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	if m := readUntil(t, other, protocol.TypeError); m["code"] != protocol.CodeUnavailable || !strings.Contains(m["message"].(string), "rooms") {
		t.Fatalf("a second room past --max-rooms 1: %v, want unavailable naming rooms", m)
	}
}

func readUntil(t *testing.T, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		if m["type"] == typ {
			return m
		}
	}
}

// serveHTTP runs newHTTPServer with limits l on loopback, serving /healthz
// and the signaling at /ws.
func serveHTTP(t *testing.T, l httpLimits) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sfu.New(sfu.WithICEIPs([]string{"127.0.0.1"}), sfu.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	sig := signaling.NewHandler(s, signaling.WithLogger(log))
	mux := http.NewServeMux()
	mux.Handle("/ws", sig)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	srv := newHTTPServer(mux, log, l)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sig.Shutdown(ctx)
		_ = s.Close()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// TestSlowHeadersAreCutOff: clients that send their headers a byte at a
// time are cut off when the header timeout runs out, while other clients,
// each on a new connection, are served meanwhile.
func TestSlowHeadersAreCutOff(t *testing.T) {
	// The whole request's limit is far longer: the cut-off is the headers'.
	const timeout = time.Second
	addr := serveHTTP(t, httpLimits{readHeader: timeout, read: 5 * timeout, idle: 5 * timeout, maxHeaderBytes: 8 << 10})

	const slow = 10
	type cut struct {
		at    time.Time
		after time.Duration
	}
	cuts := make(chan cut, slow)
	var wg sync.WaitGroup
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			start := time.Now()
			closed := make(chan struct{})
			go func() { // the server's close ends this read
				defer close(closed)
				_, _ = io.Copy(io.Discard, c)
			}()
			header := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 5000)
			for i := 0; i < len(header); i++ {
				select {
				case <-closed:
					cuts <- cut{time.Now(), time.Since(start)}
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := c.Write([]byte{header[i]}); err != nil {
					<-closed
					cuts <- cut{time.Now(), time.Since(start)}
					return
				}
			}
			t.Error("a slow client sent all its headers without being cut off")
		}()
	}
	// Meanwhile others are served.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var served []time.Time
	for end := time.Now().Add(timeout + 200*time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Errorf("a normal client was not served: %v", err)
			break
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
			t.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
			break
		}
		served = append(served, time.Now())
	}
	wg.Wait()
	close(cuts)
	var first time.Time
	for c := range cuts {
		if c.after < timeout-50*time.Millisecond || c.after > 2*timeout {
			t.Errorf("a slow client was cut off after %v, want about %v", c.after, timeout)
		}
		if first.IsZero() || c.at.Before(first) {
			first = c.at
		}
	}
	if len(served) == 0 || !served[0].Before(first) {
		t.Errorf("no normal client was served while the slow ones were connected (%d served)", len(served))
	}
}

// TestHeadersTooLarge: headers past MaxHeaderBytes are refused.
func TestHeadersTooLarge(t *testing.T) {
	addr := serveHTTP(t, httpLimits{readHeader: time.Second, read: time.Second, idle: time.Second, maxHeaderBytes: 4 << 10})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// net/http allows 4 KiB of slack over MaxHeaderBytes.
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 16<<10)+"\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// TestWebSocketOutlivesHTTPTimeouts: an upgraded connection is the
// signaling's, not the HTTP server's: it lives on past every HTTP timeout
// (net/http and gorilla/websocket clear the deadlines at the upgrade).
func TestWebSocketOutlivesHTTPTimeouts(t *testing.T) {
	const timeout = 200 * time.Millisecond
	addr := serveHTTP(t, httpLimits{readHeader: timeout, read: timeout, idle: timeout, maxHeaderBytes: 8 << 10})
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteJSON(protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: "long", Name: "Stayer"}); err != nil {
		t.Fatal(err)
	}
	readUntil(t, c, protocol.TypeJoined)
	time.Sleep(5 * timeout) // quiet, past every HTTP timeout
	if err := c.WriteJSON(protocol.Mute{Type: protocol.TypeMute, Mid: "nope"}); err != nil {
		t.Fatal(err)
	}
	if m := readUntil(t, c, protocol.TypeError); m["fatal"] == true {
		t.Fatalf("the session ended: %v", m)
	}
}

// TestDefaultHTTPLimits: the server of --listen has every limit set, and
// the whole request may take longer than its headers.
func TestDefaultHTTPLimits(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)), defaultHTTPLimits)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout < srv.ReadHeaderTimeout || srv.IdleTimeout <= 0 ||
		srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Fatalf("server limits %v %v %v %d", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
}
