package load

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
)

// source is what the run reads of a synthetic source.
type source interface {
	Source() string
	Stats() bench.SourceStats
}

// participant is one client of the run, from its dial to its leave.
type participant struct {
	spec
	name    string
	counter rtcpCounter

	mu        sync.Mutex
	client    *bench.Client
	sources   []source
	dialStart time.Time
	joined    time.Duration // dial → joined
	connected time.Duration // dial → PeerConnection connected, media may flow
	dropped   bool          // churned out (churn.go)
	replaced  bool          // lost, and replaced by another (churn.go)
	err       error
}

// join dials, publishes for a publisher, and waits for the PeerConnection
// to connect; the client then stays in until the run closes it.
func (p *participant) join(ctx context.Context, sc Scenario, clientOpts []bench.Option) {
	start := time.Now()
	p.mu.Lock()
	p.dialStart = start
	p.mu.Unlock()
	opts := append([]bench.Option{
		bench.WithName(p.name), bench.WithICEIPs(sc.ICEIPs), bench.WithInterceptor(&p.counter),
	}, clientOpts...)
	if sc.ICETCP {
		opts = append(opts, bench.WithICETCP())
	}
	c, err := bench.Dial(ctx, sc.Nodes()[p.node], p.room, opts...)
	if err != nil {
		p.fail(err)
		return
	}
	p.mu.Lock()
	p.client, p.joined = c, time.Since(start)
	p.mu.Unlock()
	if p.role == Publisher {
		err = p.publish(ctx, c, sc)
	} else {
		err = c.WaitUntil(ctx, func() bool { return c.ConnectionState() == webrtc.PeerConnectionStateConnected })
	}
	if err != nil {
		p.fail(err)
		return
	}
	p.mu.Lock()
	p.connected = time.Since(start)
	p.mu.Unlock()
}

func (p *participant) publish(ctx context.Context, c *bench.Client, sc Scenario) error {
	audio, err := bench.NewSyntheticAudio()
	if err != nil {
		return err
	}
	video, videoStats, err := newVideo(sc)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.sources = []source{audio, videoStats}
	p.mu.Unlock()
	return c.Publish(ctx, audio, video)
}

func (p *participant) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = fmt.Errorf("%s %s in %s: %w", p.role, p.name, p.room, err)
	}
}

// state is what sampling reads of a participant.
type state struct {
	client    *bench.Client
	sources   []source
	connected bool
}

func (p *participant) state() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := state{client: p.client, sources: p.sources, connected: p.connected > 0 && !p.dropped}
	if st.connected {
		select {
		case <-p.client.Done():
			st.connected = false
		default:
		}
	}
	return st
}

// close leaves the room; it is safe on a participant that never joined.
func (p *participant) close() {
	p.mu.Lock()
	c, dropped := p.client, p.dropped
	p.mu.Unlock()
	if c == nil {
		return
	}
	if err := c.Close(); err != nil && !dropped {
		p.fail(fmt.Errorf("closing: %w", err))
	}
}
