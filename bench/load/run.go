package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// Errors that make a run fail, as opposed to a run that measured a server
// in trouble.
var (
	// ErrNobodyConnected means not one participant got its media connected.
	ErrNobodyConnected = errors.New("load: no participant connected")
	// ErrNoMedia means participants connected but no media arrived.
	ErrNoMedia = errors.New("load: no media received")
)

// runner is one run's state.
type runner struct {
	sc    Scenario
	opts  options
	start time.Time

	mu      sync.Mutex     // ps grows during a run with churn
	ps      []*participant // every participant, churned-out ones too
	churned atomic.Int64
}

// participants is a snapshot of every participant so far.
func (r *runner) participants() []*participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*participant(nil), r.ps...)
}

func (r *runner) add(p *participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ps = append(r.ps, p)
}

// Run runs sc against its server and returns what was measured. It stops at
// the end of sc.Duration or when ctx ends, whichever comes first, closes
// every client, and returns the result in both cases. The error is not nil
// when the run could not measure anything: a bad scenario, unreachable
// metrics, nobody connected, no media.
func Run(ctx context.Context, sc Scenario, opts ...Option) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	r := &runner{sc: sc, opts: o}
	idle, idleNodes, err := r.scrapeServer(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("load: reading the server's metrics before the run: %w", err)
	}
	for _, sp := range sc.plan() {
		r.ps = append(r.ps, &participant{spec: sp, name: sp.name()})
	}
	r.start = time.Now()
	if idle != nil {
		idle.At = 0
	}
	for _, n := range idleNodes {
		n.At = 0
	}
	runCtx, cancel := context.WithTimeout(ctx, sc.Duration)
	defer cancel()
	var joins sync.WaitGroup
	joins.Add(1)
	go func() {
		defer joins.Done()
		r.joinAll(runCtx, &joins)
		r.churn(runCtx, &joins)
	}()
	samples, final := r.sampleUntil(runCtx)
	joins.Wait()
	end := time.Since(r.start)
	r.closeAll()
	res := r.result(samples, final, idle, end)
	res.NodesIdle = idleNodes
	res.Churned = int(r.churned.Load())
	return res, res.check()
}

// joinAll starts the participants at the scenario's rate.
func (r *runner) joinAll(ctx context.Context, joins *sync.WaitGroup) {
	var gap time.Duration
	if r.sc.JoinRate > 0 {
		gap = time.Duration(float64(time.Second) / r.sc.JoinRate)
	}
	next := time.Now()
	for _, p := range r.participants() {
		if wait := time.Until(next); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			return
		}
		next = next.Add(gap)
		joins.Add(1)
		go func() {
			defer joins.Done()
			p.join(ctx, r.sc, r.clientOptions(p))
		}()
	}
}

func (r *runner) clientOptions(p *participant) []bench.Option {
	return append([]bench.Option{bench.WithLogger(r.opts.logger.With("participant", p.name))}, r.opts.clientOptions...)
}

// sampleUntil samples at every interval until ctx ends, and once more then
// unless the last tick was just before. It returns the samples and the last
// totals, whose settled marks are those of the last totals at least an
// interval older.
func (r *runner) sampleUntil(ctx context.Context) ([]Sample, *totals) {
	tick := time.NewTicker(r.opts.interval)
	defer tick.Stop()
	prev := &totals{selfCPU: selfCPU()}
	var history []*totals // the last few, oldest first
	var samples []Sample
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		cur := r.collect()
		history = append(history[max(0, len(history)-2):], cur)
		if !done || cur.at-prev.at >= r.opts.interval/2 {
			s := sampleBetween(prev, cur, r.sc.Expected())
			samples = append(samples, s)
			if r.opts.progress != nil {
				r.opts.progress(s)
			}
			prev = cur
		}
	}
	final := history[len(history)-1]
	for i := len(history) - 2; i >= 0; i-- {
		if final.at-history[i].at >= r.opts.interval*9/10 {
			final.settled = history[i].maxSeq
			break
		}
	}
	return samples, final
}

// collect reads every client and, with metrics, the server.
func (r *runner) collect() *totals {
	t := collect(r.participants(), time.Since(r.start), len(r.sc.Nodes()))
	// Scraping must not outlive the interval by much; it uses its own
	// context, since the last one comes after the run's has ended.
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.interval)
	defer cancel()
	srv, nodes, err := r.scrapeServer(ctx, time.Since(r.start))
	if err != nil {
		r.opts.logger.Warn("reading the server's metrics", "err", err)
	}
	t.server, t.nodes = srv, nodes
	return t
}

// closeAll closes every client at once and waits for them, within the
// close timeout.
func (r *runner) closeAll() {
	var wg sync.WaitGroup
	for _, p := range r.participants() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close()
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(r.opts.closeTimeout):
		r.opts.logger.Warn("clients still closing after the timeout", "timeout", r.opts.closeTimeout)
	}
}
