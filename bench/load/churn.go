package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// churn makes sc.Churn subscribers a second vanish, as a killed tab does,
// each replaced at once by a new participant in its place (same room and
// node), until ctx ends. It waits for everyone's first join before it
// starts, so that it measures churn, not a slow ramp.
func (r *runner) churn(ctx context.Context, joins *sync.WaitGroup) {
	if r.sc.Churn <= 0 {
		return
	}
	gap := time.Duration(float64(time.Second) / r.sc.Churn)
	tick := time.NewTicker(gap)
	defer tick.Stop()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if ctx.Err() != nil {
			return // the sessions end with the run: nothing is lost
		}
		// A participant whose join failed or whose session ended is
		// replaced too: over hours, the scenario keeps its size.
		for _, lost := range r.takeLost() {
			r.replace(ctx, joins, lost.spec, lost.spec.name()+"-rejoin")
		}
		victim := r.pickSubscriber(rng)
		if victim == nil {
			continue
		}
		victim.drop()
		// Named after the place, not the victim, whose name would grow
		// with every generation past the server's limit on names.
		r.replace(ctx, joins, victim.spec, fmt.Sprintf("%s-churn-%d", victim.spec.name(), r.churned.Add(1)))
	}
}

// replace starts a new participant in sp's place.
func (r *runner) replace(ctx context.Context, joins *sync.WaitGroup, sp spec, name string) {
	next := &participant{spec: sp, name: name}
	r.add(next)
	joins.Add(1)
	go func() {
		defer joins.Done()
		next.join(ctx, r.sc, r.clientOptions(next))
	}()
}

// takeLost returns the participants, not churned out and not yet
// replaced, whose join failed or whose session ended, and marks them
// replaced.
func (r *runner) takeLost() []*participant {
	var lost []*participant
	for _, p := range r.participants() {
		if p.markLost() {
			lost = append(lost, p)
		}
	}
	return lost
}

// pickSubscriber returns a connected subscriber not dropped yet, at random;
// nil if there is none.
func (r *runner) pickSubscriber(rng *rand.Rand) *participant {
	var live []*participant
	for _, p := range r.participants() {
		if p.role == Subscriber && p.state().connected && !p.isDropped() {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[rng.IntN(len(live))]
}

// drop makes the participant vanish as a killed tab does: its WebSocket
// goes without a leave; the server's side of its PeerConnection closes when
// the server lets it go. What it received so far stays in the results.
func (p *participant) drop() {
	p.mu.Lock()
	c := p.client
	p.dropped = true
	p.mu.Unlock()
	if c != nil {
		c.Drop()
	}
}

func (p *participant) isDropped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// markLost reports whether the participant is lost (its join failed or its
// session ended, not by churn) and not replaced yet, and marks it replaced.
func (p *participant) markLost() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dropped || p.replaced {
		return false
	}
	lost := p.err != nil
	if p.client != nil {
		select {
		case <-p.client.Done():
			lost = true
		default:
		}
	}
	p.replaced = lost
	return lost
}
