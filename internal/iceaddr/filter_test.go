package iceaddr

import (
	"errors"
	"net"
	"testing"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name         string
		list         []string
		err          error
		loopback     bool
		keep, refuse string
	}{
		{"no list, no filter", nil, nil, false, "", ""},
		{"loopback only", []string{"127.0.0.1"}, nil, true, "127.0.0.1", "10.0.0.1"},
		{"a LAN address", []string{"10.0.0.1"}, nil, false, "10.0.0.1", "127.0.0.1"},
		{"not an address", []string{"localhost"}, ErrBadIP, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, loopback, err := Filter(tt.list)
			if !errors.Is(err, tt.err) || loopback != tt.loopback {
				t.Fatalf("err %v loopback %v, want %v %v", err, loopback, tt.err, tt.loopback)
			}
			if tt.keep == "" {
				return
			}
			if !f(net.ParseIP(tt.keep)) || f(net.ParseIP(tt.refuse)) {
				t.Fatalf("filter keeps %s: %v, %s: %v", tt.keep, f(net.ParseIP(tt.keep)), tt.refuse, f(net.ParseIP(tt.refuse)))
			}
		})
	}
}
