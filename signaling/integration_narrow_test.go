package signaling_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v4/vnet"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// narrowNet is a virtual network (pion/transport vnet) with the SFU, a
// publisher on a wide link, and a subscriber whose downlink passes a token
// bucket: what the SFU sends it is shaped to rate bits per second.
type narrowNet struct {
	server, publisher, subscriber *vnet.Net
	link                          *vnet.TBFQueue
}

func newNarrowNet(t *testing.T, rate int) *narrowNet {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	n := &narrowNet{}
	for _, h := range []struct {
		ip  string
		net **vnet.Net
	}{{"1.0.0.1", &n.server}, {"1.0.0.2", &n.publisher}, {"1.0.0.3", &n.subscriber}} {
		if *h.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{h.ip}}); err != nil {
			t.Fatal(err)
		}
	}
	// A 10 kB burst and a 40 kB queue: about a second of buffer at 300
	// kbit/s, as a DSL or mobile bottleneck.
	n.link = vnet.NewTBFQueue(rate, 10_000, 40_000)
	shaped, err := vnet.NewQueue(n.subscriber, n.link)
	if err != nil {
		t.Fatal(err)
	}
	must(t, wan.AddNet(n.server))
	must(t, wan.AddNet(n.publisher))
	must(t, wan.AddNet(shaped))
	must(t, wan.Start())
	t.Cleanup(func() {
		_ = wan.Stop()
		_ = shaped.Close()
	})
	return n
}

// TestSimulcastNarrowLink: a subscriber whose link narrows to 300 kbit/s
// steps down to the lowest layer within seconds and keeps receiving frames;
// when the limit is lifted it climbs back to the full layer.
func TestSimulcastNarrowLink(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real time")
	}
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Second)
	defer cancel()
	vn := newNarrowNet(t, 300_000)
	srv := newServer(t, sfu.WithNet(vn.server), sfu.WithICEIPs(nil))
	pub := srv.dial(ctx, t, "narrow", "publisher", bench.WithNet(vn.publisher), bench.WithICEIPs(nil))
	if _, err := publishSimulcast(ctx, pub); err != nil {
		t.Fatal(err)
	}
	sub := srv.dial(ctx, t, "narrow", "subscriber", bench.WithNet(vn.subscriber), bench.WithICEIPs(nil))
	if err := sub.WaitUntil(ctx, func() bool { return trackFrom(sub, pub.ID(), "video") != nil }); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetTrackSettings(trackFrom(sub, pub.ID(), "video").ID, 1280, 720, false); err != nil {
		t.Fatal(err)
	}

	// The estimate starts generous: the subscriber first gets more than the
	// link carries, then must step down to the lowest layer within seconds.
	if err := sub.WaitUntil(ctx, func() bool { w, _ := videoWidth(sub, pub.ID()); return w > 320 }); err != nil {
		t.Fatalf("never above the lowest layer: %v", err)
	}
	start := time.Now()
	if err := sub.WaitUntil(ctx, func() bool { w, _ := videoWidth(sub, pub.ID()); return w == 320 }); err != nil {
		w, _ := videoWidth(sub, pub.ID())
		t.Fatalf("still receiving width %d behind 300 kbit/s: %+v", w, srv.sfu.Stats())
	}
	t.Logf("down to 320x180 after %v", time.Since(start).Round(100*time.Millisecond))
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stepping down took %v", d)
	}
	// And it keeps playing: once the bottleneck's queue (a second of the
	// larger layer) has drained, over five seconds, never two seconds
	// without new frames (a freeze; less would flag a loaded machine's
	// scheduling, run with the race detector), and at least 12 frames a
	// second on average (one packet a frame at this layer).
	time.Sleep(time.Second)
	_, first := videoWidth(sub, pub.ID())
	last, lastAt := first, time.Now()
	var samples []string
	for range 20 {
		time.Sleep(250 * time.Millisecond)
		w, n := videoWidth(sub, pub.ID())
		samples = append(samples, fmt.Sprintf("%s:%d", time.Now().Format("05.000"), n-first))
		if w != 320 {
			t.Fatalf("width %d behind the narrow link", w)
		}
		if n > last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > 2*time.Second {
			t.Fatalf("video froze behind the narrow link: nothing new for %v; samples %v", time.Since(lastAt).Round(10*time.Millisecond), samples)
		}
	}
	if got := last - first; got < 60 {
		t.Errorf("behind the narrow link: %d packets in 5 s, want at least 60", got)
	}
	t.Logf("behind 300 kbit/s: %d video packets in 5 s; %+v", last-first, trackFrom(sub, pub.ID(), "video").Stats())

	// Lift the limit: back up to the full layer.
	vn.link.SetRate(50_000_000)
	start = time.Now()
	if err := sub.WaitUntil(ctx, func() bool { w, _ := videoWidth(sub, pub.ID()); return w == 1280 }); err != nil {
		w, _ := videoWidth(sub, pub.ID())
		t.Fatalf("still receiving width %d after the limit was lifted: %+v", w, srv.sfu.Stats())
	}
	t.Logf("back to 1280x720 after %v; server %+v", time.Since(start).Round(100*time.Millisecond), srv.sfu.Stats())
	checkIntact(t, sub)
}
