package sfu_test

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/sfu/network"
)

// TestNetworkOptionsReachNetwork: the SFU's network options get to package
// network in order (sfu/network's tests check what each does), New fails
// with its errors, and MediaAddrs lists the sockets New opened.
func TestNetworkOptionsReachNetwork(t *testing.T) {
	quiet := sfu.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	loopback := sfu.WithICEIPs([]string{"127.0.0.1"})
	nat := func(s string) network.NATMapping {
		m, err := network.ParseNATMapping(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, bad := range []struct {
		opt  sfu.Option
		want error
	}{
		{sfu.WithUDPMux(70000), network.ErrBadConfig},
		{sfu.WithUDPPortRange(50010, 50000), network.ErrBadConfig},
		{sfu.WithICEIPs([]string{"localhost"}), network.ErrBadICEIP},
	} {
		if _, err := sfu.New(quiet, loopback, bad.opt); !errors.Is(err, bad.want) {
			t.Errorf("err = %v, want %v", err, bad.want)
		}
	}

	s, err := sfu.New(quiet, loopback)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.MediaAddrs(); len(m) != 0 {
		t.Errorf("no shared sockets asked for, media addresses %+v", m)
	}
	s.Close()

	s, err = sfu.New(quiet, loopback, sfu.WithUDPMux(0), sfu.WithICETCP(0),
		sfu.WithNATMappings(nat("198.51.100.9")), sfu.WithNATMappings(nat("203.0.113.7")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := s.MediaAddrs()
	if len(m) != 2 || m[0].Network != "udp" || m[0].Local.Port() == 0 || m[1].Network != "tcp" ||
		len(m[0].Announced) != 1 || m[0].Announced[0] != netip.MustParseAddr("203.0.113.7") {
		t.Errorf("media addresses %+v", m)
	}
}
