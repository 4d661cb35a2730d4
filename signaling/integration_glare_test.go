package signaling_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/bench"
)

// delayedConn delays every write by a fixed time, in order: a slow uplink
// for the signaling WebSocket, which is how offers cross in flight.
type delayedConn struct {
	net.Conn
	delay time.Duration
	queue chan delayedWrite
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

type delayedWrite struct {
	data []byte
	due  time.Time
}

func newDelayedConn(c net.Conn, delay time.Duration) *delayedConn {
	d := &delayedConn{Conn: c, delay: delay, queue: make(chan delayedWrite, 256), done: make(chan struct{})}
	d.wg.Add(1)
	go d.loop()
	return d
}

func (d *delayedConn) Write(b []byte) (int, error) {
	select {
	case d.queue <- delayedWrite{data: append([]byte(nil), b...), due: time.Now().Add(d.delay)}:
		return len(b), nil
	case <-d.done:
		return 0, net.ErrClosed
	}
}

func (d *delayedConn) loop() {
	defer d.wg.Done()
	for {
		select {
		case w := <-d.queue:
			timer := time.NewTimer(time.Until(w.due))
			select {
			case <-timer.C:
			case <-d.done:
				timer.Stop()
				return
			}
			if _, err := d.Conn.Write(w.data); err != nil {
				return
			}
		case <-d.done:
			return
		}
	}
}

func (d *delayedConn) Close() error {
	d.once.Do(func() { close(d.done) })
	err := d.Conn.Close()
	d.wg.Wait()
	return err
}

// slowUplink is a WebSocket dialer whose writes arrive delay late.
func slowUplink(delay time.Duration) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return newDelayedConn(c, delay), nil
		},
	}
}

// TestOfferCollision makes a client's offer and a server offer cross: the
// client's offer is slowed on its way, and meanwhile another participant
// publishes, so the server offers that track to the client. The server
// ignores the client's offer (impolite); the client must roll its own back,
// answer, offer again, and end up sending and receiving.
func TestOfferCollision(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	// Long enough that the other's publish and the server's offer to the
	// slow client fit in it on a loaded machine (at 300 ms they once did
	// not, and nothing collided).
	const delay = time.Second
	other := srv.dial(ctx, t, "glare", "other")
	slow := srv.dial(ctx, t, "glare", "slow", bench.WithDialer(slowUplink(delay)))

	published := make(chan error, 1)
	go func() {
		_, err := publish(ctx, slow)
		published <- err
	}()
	// The slow client's offer is now on its way; the server will offer the
	// other's tracks before it arrives.
	time.Sleep(delay / 3)
	if _, err := publish(ctx, other); err != nil {
		t.Fatalf("other publish: %v", err)
	}
	if err := <-published; err != nil {
		t.Fatalf("slow publish: %v", err)
	}
	if slow.Collisions() == 0 {
		t.Errorf("no offer collision happened; the test did not test glare")
	}
	both := []*bench.Client{other, slow}
	for _, c := range both {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, both, 50) }); err != nil {
			t.Fatalf("waiting for media: %v; %s", err, describe(c, both))
		}
		checkIntact(t, c)
	}
	t.Logf("collisions %d; %s; %s", slow.Collisions(), describe(slow, both), describe(other, both))
}
