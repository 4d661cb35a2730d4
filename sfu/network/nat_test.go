package network_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu/network"
)

func mustNAT(t *testing.T, s string) network.NATMapping {
	t.Helper()
	m, err := network.ParseNATMapping(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseNATMapping(t *testing.T) {
	addr := netip.MustParseAddr
	tests := []struct {
		in      string
		want    network.NATMapping
		err     error
		maps    []string
		notMaps []string
	}{
		{in: "203.0.113.7", want: network.NATMapping{Public: addr("203.0.113.7")}, maps: []string{"10.0.0.5", "127.0.0.1"}, notMaps: []string{"::1"}},
		{in: "203.0.113.7/10.0.0.5", want: network.NATMapping{Public: addr("203.0.113.7"), Local: addr("10.0.0.5")}, maps: []string{"10.0.0.5"}, notMaps: []string{"10.0.0.6"}},
		{in: "2001:db8::7", want: network.NATMapping{Public: addr("2001:db8::7")}, maps: []string{"fd00::5"}, notMaps: []string{"10.0.0.5"}},
		{in: "::ffff:203.0.113.7", want: network.NATMapping{Public: addr("203.0.113.7")}},
		{in: "nat.example.com", err: network.ErrBadConfig},
		{in: "203.0.113.7/::1", err: network.ErrBadConfig},
		{in: "203.0.113.7/", err: network.ErrBadConfig},
		{in: "", err: network.ErrBadConfig},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := network.ParseNATMapping(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParseNATMapping(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
			}
			if err != nil {
				return
			}
			if again, err := network.ParseNATMapping(got.String()); err != nil || again != got {
				t.Fatalf("round trip through %q: %v, %v", got.String(), again, err)
			}
			for _, ip := range tt.maps {
				if !got.Maps(addr(ip)) {
					t.Errorf("%v does not map %s", got, ip)
				}
			}
			for _, ip := range tt.notMaps {
				if got.Maps(addr(ip)) {
					t.Errorf("%v maps %s", got, ip)
				}
			}
		})
	}
}
