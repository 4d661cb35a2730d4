package signaling

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/clock"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string // "": not counted
	}{
		{"the TCP peer", nil, "192.0.2.1:5000", nil, "192.0.2.1"},
		{"X-Forwarded-For ignored without trusted proxies", nil, "192.0.2.1:5000", []string{"198.51.100.7"}, "192.0.2.1"},
		{"X-Forwarded-For ignored from an untrusted peer", trusted, "192.0.2.1:5000", []string{"198.51.100.7"}, "192.0.2.1"},
		{"a trusted proxy's client", trusted, "10.1.2.3:5000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"through two trusted proxies", trusted, "10.1.2.3:5000", []string{"198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"a forged entry left of the client is not read", trusted, "10.1.2.3:5000", []string{"203.0.113.66, 198.51.100.7"}, "198.51.100.7"},
		{"several header lines", trusted, "10.1.2.3:5000", []string{"203.0.113.66", "198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"a garbled entry stops the walk", trusted, "10.1.2.3:5000", []string{"198.51.100.7, nonsense, 10.9.9.9"}, "10.9.9.9"},
		{"a trusted proxy without the header", trusted, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"IPv6 counts by /64", nil, "[2001:db8:1:2:aaaa::1]:5000", nil, "2001:db8:1:2::"},
		{"IPv4-mapped IPv6 is IPv4", nil, "[::ffff:192.0.2.1]:5000", nil, "192.0.2.1"},
		{"a trusted IPv6 proxy's client", trusted, "[fd00::1]:5000", []string{"2001:db8:5:6:7::8"}, "2001:db8:5:6::"},
		{"no IP address", nil, "@", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAddrLimits(&config{trustedProxies: tt.trusted})
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := a.clientAddr(r)
			if tt.want == "" {
				if ok {
					t.Fatalf("counted as %v, want not counted", got)
				}
				return
			}
			if !ok || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("clientAddr = %v, %v; want %s", got, ok, tt.want)
			}
		})
	}
}

func TestParseTrustedProxy(t *testing.T) {
	tests := []struct {
		in   string
		want string // "": an error
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.0.2.1", "192.0.2.1/32"},
		{"::1", "::1/128"},
		{"fd00::/8", "fd00::/8"},
		{"proxy.example.com", ""},
		{"10.0.0.0/33", ""},
	}
	for _, tt := range tests {
		got, err := ParseTrustedProxy(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseTrustedProxy(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParseTrustedProxy(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestAddrLimitsCountEachAddressApart(t *testing.T) {
	clk := clock.NewFake(time.Now())
	a := newAddrLimits(&config{maxConnsPerAddr: 2, joinsPerAddr: 10, joinBurstPerAddr: 2, clock: clk})
	x, y := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for range 2 {
		if err := a.connect(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.connect(x); !errors.Is(err, ErrAddrRateLimited) {
		t.Fatalf("third connection: %v, want rate limited", err)
	}
	if err := a.connect(y); err != nil {
		t.Fatalf("another address: %v", err)
	}
	a.disconnect(x)
	if err := a.connect(x); err != nil {
		t.Fatalf("after a disconnect: %v", err)
	}
	a.disconnect(x)
	a.disconnect(x)
	a.disconnect(y)
	if n := len(a.conns); n != 0 {
		t.Fatalf("%d addresses kept with no connection", n)
	}

	for range 2 {
		if err := a.join(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.join(x); !errors.Is(err, ErrAddrRateLimited) {
		t.Fatalf("third join in a burst of 2: %v, want rate limited", err)
	}
	if err := a.join(y); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// 10 a second: one more after 100 ms, not before.
	clk.Advance(99 * time.Millisecond)
	if err := a.join(x); !errors.Is(err, ErrAddrRateLimited) {
		t.Fatalf("99 ms after the burst: %v, want rate limited", err)
	}
	clk.Advance(time.Millisecond)
	if err := a.join(x); err != nil {
		t.Fatalf("after the bucket refilled: %v", err)
	}
}

func TestAddrLimitsOff(t *testing.T) {
	a := newAddrLimits(&config{})
	x := netip.MustParseAddr("192.0.2.1")
	for range 1000 {
		if err := a.connect(x); err != nil {
			t.Fatal(err)
		}
		if err := a.join(x); err != nil {
			t.Fatal(err)
		}
	}
	if a.joins != nil || len(a.conns) != 0 {
		t.Fatal("state kept for limits that are off")
	}
}

func TestJoinBucketsAreBounded(t *testing.T) {
	a := newAddrLimits(&config{joinsPerAddr: 1, joinBurstPerAddr: 1, clock: clock.Real{}})
	base := netip.MustParseAddr("10.0.0.0").As4()
	for i := range joinBuckets + 1000 {
		b := base
		b[1], b[2], b[3] = byte(i>>16), byte(i>>8), byte(i)
		_ = a.join(netip.AddrFrom4(b))
	}
	if n := a.joins.Len(); n > joinBuckets {
		t.Fatalf("%d join buckets kept, want at most %d", n, joinBuckets)
	}
}
