package signaling_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// qualityNet is a virtual network with the SFU, a publisher, and three
// subscribers: one on a clean link, one whose downlink drops every fifth
// packet (20 %), and one whose uplink can be cut (cut).
type qualityNet struct {
	server, publisher, clean, lossy, gone *vnet.Net
	cut                                   atomic.Bool
}

func newQualityNet(t *testing.T) *qualityNet {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	n := &qualityNet{}
	const lossyIP, goneIP = "1.0.0.4", "1.0.0.5"
	for _, h := range []struct {
		ip  string
		net **vnet.Net
	}{{"1.0.0.1", &n.server}, {"1.0.0.2", &n.publisher}, {"1.0.0.3", &n.clean}, {lossyIP, &n.lossy}, {goneIP, &n.gone}} {
		if *h.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{h.ip}}); err != nil {
			t.Fatal(err)
		}
		must(t, wan.AddNet(*h.net))
	}
	var toLossy atomic.Uint64
	wan.AddChunkFilter(func(c vnet.Chunk) bool {
		if ip(c.DestinationAddr()) == lossyIP {
			return toLossy.Add(1)%5 != 0
		}
		return !(n.cut.Load() && ip(c.SourceAddr()) == goneIP)
	})
	must(t, wan.Start())
	t.Cleanup(func() { _ = wan.Stop() })
	return n
}

func ip(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP.String()
	}
	return ""
}

// TestConnectionQuality: the server scores a subscriber behind a link that
// loses 20 % of what it is sent poor, one on a clean link excellent or
// good, and one whose network stops sending lost; every participant hears
// it in quality messages.
func TestConnectionQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real time on a virtual network")
	}
	// Each level settles within two or three evaluations (1.5 s each);
	// lost comes 4 s after the last packet. 45 s leaves a loaded 2-core
	// machine ample margin.
	const bound = 45 * time.Second
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), bound+15*time.Second)
	defer cancel()
	vn := newQualityNet(t)
	srv := newServer(t, sfu.WithNet(vn.server), sfu.WithICEIPs(nil))
	pub := srv.dial(ctx, t, "quality", "publisher", bench.WithNet(vn.publisher), bench.WithICEIPs(nil))
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	subs := map[string]*bench.Client{}
	for name, n := range map[string]*vnet.Net{"clean": vn.clean, "lossy": vn.lossy, "gone": vn.gone} {
		subs[name] = srv.dial(ctx, t, "quality", name, bench.WithNet(n), bench.WithICEIPs(nil))
	}
	for name, c := range subs {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, []*bench.Client{pub}, 100) }); err != nil {
			t.Fatalf("%s: no media: %v; %s", name, err, describe(c, []*bench.Client{pub}))
		}
	}
	// The publisher hears everyone's level, the subscribers their own.
	level := func(c *bench.Client, id string) string {
		q, _ := c.Quality(id)
		return q.Quality
	}
	waitLevel := func(name string, ok func(string) bool) {
		t.Helper()
		id := subs[name].ID()
		wctx, wcancel := context.WithTimeout(ctx, bound)
		defer wcancel()
		if err := pub.WaitUntil(wctx, func() bool { return ok(level(pub, id)) && ok(level(subs[name], id)) }); err != nil {
			q, _ := pub.Quality(id)
			own, _ := subs[name].Quality(id)
			t.Fatalf("%s: quality %+v (its own view %+v): %v", name, q, own, err)
		}
		q, _ := pub.Quality(id)
		t.Logf("%s: %s, score %.2f", name, q.Quality, q.Score)
	}
	waitLevel("lossy", func(l string) bool { return l == "poor" })
	waitLevel("clean", func(l string) bool { return l == "excellent" || l == "good" })
	// The publisher's uplink is clean too.
	if l := level(subs["clean"], pub.ID()); l != "excellent" && l != "good" {
		t.Errorf("publisher on a clean link scored %q", l)
	}
	// Seen to fail once in four runs (with -race, just after merging main):
	// the gone subscriber stayed excellent for 45 s after its network was
	// cut; the other runs had it lost after 4.5 to 5.3 s. Not investigated
	// yet: either something still reached the server from it, or the
	// room's loop stopped scoring.
	vn.cut.Store(true)
	cutAt := time.Now()
	id := subs["gone"].ID()
	wctx, wcancel := context.WithTimeout(ctx, bound)
	defer wcancel()
	if err := pub.WaitUntil(wctx, func() bool { return level(pub, id) == "lost" }); err != nil {
		q, _ := pub.Quality(id)
		t.Fatalf("gone: quality %+v %v after its network stopped: %v", q, time.Since(cutAt).Round(100*time.Millisecond), err)
	}
	t.Logf("gone: lost %v after its network stopped", time.Since(cutAt).Round(100*time.Millisecond))
	if l := level(pub, subs["clean"].ID()); l != "excellent" && l != "good" {
		t.Errorf("clean subscriber now %q", l)
	}
}
