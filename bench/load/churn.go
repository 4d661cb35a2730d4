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
		victim := r.pickSubscriber(rng)
		if victim == nil {
			continue
		}
		victim.drop()
		next := &participant{spec: victim.spec, name: fmt.Sprintf("%s-churn-%d", victim.name, r.churned.Add(1))}
		r.add(next)
		joins.Add(1)
		go func() {
			defer joins.Done()
			next.join(ctx, r.sc, r.clientOptions(next))
		}()
	}
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
