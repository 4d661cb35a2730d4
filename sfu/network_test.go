package sfu_test

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu"
)

func TestNetworkOptions(t *testing.T) {
	quiet := sfu.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	loopback := sfu.WithICEIPs([]string{"127.0.0.1"})
	tests := []struct {
		name    string
		opts    []sfu.Option
		wantErr error
		check   func(*testing.T, []sfu.MediaAddr)
	}{
		{"no shared sockets by default", nil, nil, func(t *testing.T, m []sfu.MediaAddr) {
			if len(m) != 0 {
				t.Errorf("media addresses %v", m)
			}
		}},
		{"one UDP port the system picks, one TCP port", []sfu.Option{sfu.WithUDPMux(0), sfu.WithICETCP(0)}, nil, func(t *testing.T, m []sfu.MediaAddr) {
			if len(m) != 2 || m[0].Network != "udp" || m[0].Local.Addr() != netip.MustParseAddr("127.0.0.1") || m[0].Local.Port() == 0 || m[1].Network != "tcp" {
				t.Errorf("media addresses %+v", m)
			}
		}},
		{"announced through a 1:1 NAT", []sfu.Option{sfu.WithUDPMux(0), sfu.WithNATMappings(mustNAT(t, "203.0.113.7"))}, nil, func(t *testing.T, m []sfu.MediaAddr) {
			if len(m) != 1 || len(m[0].Announced) != 1 || m[0].Announced[0] != netip.MustParseAddr("203.0.113.7") {
				t.Errorf("media addresses %+v", m)
			}
		}},
		{"pinned to another local address", []sfu.Option{sfu.WithUDPMux(0), sfu.WithNATMappings(mustNAT(t, "203.0.113.7/10.1.2.3"))}, nil, func(t *testing.T, m []sfu.MediaAddr) {
			if len(m) != 1 || m[0].Announced[0] != netip.MustParseAddr("127.0.0.1") {
				t.Errorf("a mapping for 10.1.2.3 changed 127.0.0.1: %+v", m)
			}
		}},
		{"NAT mapping across families", []sfu.Option{sfu.WithNATMappings(sfu.NATMapping{Public: netip.MustParseAddr("203.0.113.7"), Local: netip.MustParseAddr("::1")})}, sfu.ErrBadNetworkConfig, nil},
		{"port out of range", []sfu.Option{sfu.WithUDPMux(70000)}, sfu.ErrBadNetworkConfig, nil},
		{"port range upside down", []sfu.Option{sfu.WithUDPPortRange(50010, 50000)}, sfu.ErrBadNetworkConfig, nil},
		{"bad ICE IP", []sfu.Option{sfu.WithICEIPs([]string{"localhost"})}, sfu.ErrBadICEIP, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sfu.New(append([]sfu.Option{quiet, loopback}, tt.opts...)...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tt.check(t, s.MediaAddrs())
		})
	}
}
