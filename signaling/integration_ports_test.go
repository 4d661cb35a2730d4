package signaling_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// TestMediaPorts: with a UDP port range every connection's port is in it;
// with one UDP port, every connection uses it. (ICE-TCP is tested with
// browsers, in cmd/switchboard.)
func TestMediaPorts(t *testing.T) {
	tests := []struct {
		name  string
		opts  []sfu.Option
		ports func(*sfu.SFU) (min, max int)
	}{
		{"UDP port range", []sfu.Option{sfu.WithUDPPortRange(47100, 47120)}, func(*sfu.SFU) (int, int) { return 47100, 47120 }},
		{"one UDP port", []sfu.Option{sfu.WithUDPMux(0)}, func(s *sfu.SFU) (int, int) {
			p := int(s.MediaAddrs()[0].Local.Port())
			return p, p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, tt.opts...)
			lo, hi := tt.ports(srv.sfu)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pub := srv.dial(ctx, t, "ports", "pub")
			sub := srv.dial(ctx, t, "ports", "sub")
			if _, err := publish(ctx, pub); err != nil {
				t.Fatal(err)
			}
			all := []*bench.Client{pub, sub}
			if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, all, 30) }); err != nil {
				t.Fatalf("%v: %s", err, describe(sub, all))
			}
			for _, c := range all {
				pair := nominatedPair(ctx, t, c)
				port := int(pair.Remote.Port)
				if port < lo || port > hi || pair.Remote.Protocol.String() != "udp" {
					t.Fatalf("%s talks to %s, want a port in %d-%d", c.ID(), pair.Remote, lo, hi)
				}
				t.Logf("%s: %s", c.ID(), pair)
			}
		})
	}
}

// TestBatchedSends: on the one UDP port, the copies of a packet for every
// subscriber leave in one sendmmsg, and every subscriber still gets every
// packet; with batching off, none is batched.
func TestBatchedSends(t *testing.T) {
	tests := []struct {
		name    string
		batched bool
	}{
		{"batched", true},
		{"one system call per packet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, sfu.WithUDPMux(0), sfu.WithSendBatching(tt.batched))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pub := srv.dial(ctx, t, "batch", "pub")
			all := []*bench.Client{pub}
			for i := range 4 {
				all = append(all, srv.dial(ctx, t, "batch", fmt.Sprintf("sub%d", i)))
			}
			if _, err := publish(ctx, pub); err != nil {
				t.Fatal(err)
			}
			for _, sub := range all[1:] {
				if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, all[:1], 100) }); err != nil {
					t.Fatalf("%v: %s", err, describe(sub, all[:1]))
				}
			}
			for _, sub := range all[1:] {
				checkIntact(t, sub)
			}
			st := srv.sfu.Stats()
			t.Logf("%d datagrams in %d sendmmsg calls; %d packets forwarded", st.SendDatagrams, st.SendCalls, st.PacketsOut)
			switch {
			case !tt.batched && st.SendCalls != 0:
				t.Fatalf("%d sendmmsg calls with batching off", st.SendCalls)
			case tt.batched && (st.SendDatagrams < st.PacketsOut || float64(st.SendDatagrams) < 2*float64(st.SendCalls)):
				// Four subscribers: a fan-out is four datagrams in a call.
				t.Fatalf("%d datagrams in %d calls for %d packets forwarded: not batched", st.SendDatagrams, st.SendCalls, st.PacketsOut)
			}
		})
	}
}
