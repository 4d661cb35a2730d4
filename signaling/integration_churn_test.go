package signaling_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/transport/v5"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/rawudp"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
)

// silence cuts a client off as a lost network would: from Cut on, nothing
// it sends leaves (UDP or its WebSocket's TCP) and what arrives is dropped
// unread, with no close of any kind.
type silence struct{ cut atomic.Bool }

func (s *silence) Cut() { s.cut.Store(true) }

// net wraps n so that its UDP sockets fall silent at Cut.
func (s *silence) net(n transport.Net) transport.Net { return &silentNet{Net: n, s: s} }

// dialer is a WebSocket dialer whose connection falls silent at Cut.
func (s *silence) dialer() *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &silentConn{Conn: c, s: s}, nil
	}}
}

type silentNet struct {
	transport.Net
	s *silence
}

func (n *silentNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	return &silentUDP{UDPConn: c, s: n.s}, nil
}

type silentUDP struct {
	transport.UDPConn
	s *silence
}

func (c *silentUDP) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.s.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *silentUDP) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.s.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *silentUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.s.cut.Load() {
			return n, addr, err
		}
	}
}

type silentConn struct {
	net.Conn
	s *silence
}

func (c *silentConn) Write(b []byte) (int, error) {
	if c.s.cut.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *silentConn) Read(b []byte) (int, error) {
	for {
		n, err := c.Conn.Read(b)
		if err != nil || !c.s.cut.Load() {
			return n, err
		}
	}
}

// TestChurnLeavesNothingBehind: 100 participants in 20 rooms vanish
// abruptly, half by dropping their WebSocket (a closed tab), half by going
// silent on both WebSocket and media (a lost network). The server ends with
// no participant, room or track, and the goroutines are back to where they
// were before the first join. The whole round is run twice: the live heap
// after the second is where it was after the first (the runtime keeps a
// descriptor of every goroutine that ever ran, for reuse, so the first
// round's heap is the baseline, not the empty process's).
func TestChurnLeavesNothingBehind(t *testing.T) {
	checkLeaks(t)
	// 100 Pion peers join twice under the race detector: minutes, not
	// seconds, when the machine is busy with other work (each round took
	// 4-9 s alone, over a minute beside three busy loops and a browser).
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	log := testLogger(t).With("side", "server")
	// The server's own ICE timeouts: shorter ones failed fresh clients'
	// connectivity checks while 100 joined at a load average of 13.
	s, err := sfu.New(sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	// A silent client is dropped after 5 s without a pong: short enough
	// for a test, long enough that no client is dropped while 100 join on a
	// loaded machine (1 s was too short at a load average of 13).
	h := signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithHeartbeat(time.Second, 5*time.Second))
	srv := serve(t, h, s)

	goroutines, heap := settle()
	churn(ctx, t, srv, 1)
	after1, heap1 := waitGoroutines(goroutines)
	churn(ctx, t, srv, 2)
	after2, heap2 := waitGoroutines(goroutines)
	t.Logf("goroutines %d before, %d after round 1, %d after round 2; live heap %.1f MB, %.1f MB, %.1f MB",
		goroutines, after1, after2, float64(heap)/1e6, float64(heap1)/1e6, float64(heap2)/1e6)
	if after1 > goroutines+2 || after2 > goroutines+2 {
		t.Errorf("goroutines left over: %d before, %d and %d after", goroutines, after1, after2)
	}
	// 1 MB of tolerance: a leak of the 10-20 KB a participant holds would
	// show as 1-2 MB a round.
	if heap2 > heap1+1<<20 {
		t.Errorf("live heap grew by %.1f MB in a round", float64(heap2-heap1)/1e6)
	}
}

// settle collects garbage and returns the goroutines and the live heap.
func settle() (int, uint64) {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}

// waitGoroutines settles until the goroutines are back to want (or 10 s
// passed: the caller checks).
func waitGoroutines(want int) (int, uint64) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, heap := settle()
		if n <= want+2 || time.Now().After(deadline) {
			return n, heap
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// churn is one round: 100 participants join 20 rooms, one publisher a room,
// then all vanish at once and the server lets them go; their clients are
// closed after.
func churn(ctx context.Context, t *testing.T, srv *testServer, round int) {
	t.Helper()
	const rooms, perRoom = 20, 5
	type vanishing struct {
		c       *bench.Client
		silence *silence
	}
	var all []vanishing
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, rooms*perRoom)
	for r := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perRoom {
				sl := &silence{}
				n, err := rawudp.NewNet()
				if err != nil {
					errs <- err
					return
				}
				c, err := bench.Dial(ctx, srv.url, fmt.Sprintf("churn-%d-%d", round, r),
					bench.WithName(fmt.Sprintf("p%d-%d", r, i)), bench.WithICEIPs([]string{loopback}),
					bench.WithNet(sl.net(n)), bench.WithDialer(sl.dialer()), bench.WithLogger(testLogger(t)))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				all = append(all, vanishing{c, sl})
				mu.Unlock()
				if i == 0 { // one publisher a room: audio and video
					if _, err := publish(ctx, c); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, v := range all {
			_ = v.c.Close()
		}
	}()
	for err := range errs {
		t.Fatalf("round %d, joining: %v", round, err)
	}
	st0 := srv.sfu.Stats()
	waitServer(ctx, t, srv.sfu, "everyone in, media flowing", func(st sfu.Stats) bool {
		return st.Participants == rooms*perRoom && st.Tracks == 2*rooms && st.PacketsOut > st0.PacketsOut+1000
	})
	start := time.Now()
	for i, v := range all {
		v.silence.Cut() // the media goes silent, and the WebSocket...
		if i%2 == 0 {
			v.c.Drop() // ...closes, as a killed tab's does
		}
	}
	waitServer(ctx, t, srv.sfu, "everyone gone", func(st sfu.Stats) bool {
		return st.Participants == 0 && st.Rooms == 0 && st.Tracks == 0
	})
	t.Logf("round %d: %d participants gone %v after vanishing", round, len(all), time.Since(start).Round(time.Millisecond))
}

// waitServer polls the SFU's stats until cond holds.
func waitServer(ctx context.Context, t *testing.T, s *sfu.SFU, what string, cond func(sfu.Stats) bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond(s.Stats()) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; stats %+v", what, ctx.Err(), s.Stats())
		case <-tick.C:
		}
	}
}
