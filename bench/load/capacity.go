package load

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// Capacity is a capacity search: one publisher, and subscribers added in
// steps until the loss or the latency a subscriber sees passes its limit.
type Capacity struct {
	URL            string        `json:"url"`
	ICEIPs         []string      `json:"iceIPs,omitempty"`
	Room           string        `json:"room"`
	Bitrate        int           `json:"bitrate"` // the publisher's video
	Step           int           `json:"step"`    // subscribers added per step
	StepDuration   time.Duration `json:"stepDuration"`
	MaxSubscribers int           `json:"maxSubscribers"`
	MaxLossPct     float64       `json:"maxLossPercent"` // after NACK recovery
	MaxP99         time.Duration `json:"maxP99"`
}

// Step is what one step measured, over its window: from one second after
// its subscribers connected to its end.
type Step struct {
	Subscribers      int           `json:"subscribers"`
	Connected        int           `json:"connected"`
	Window           time.Duration `json:"window"`
	MbpsIn           float64       `json:"mbpsIn"`
	LossBeforeNACK   float64       `json:"lossBeforeNackPercent"`
	LossAfterNACK    float64       `json:"lossAfterNackPercent"`
	P50              time.Duration `json:"p50"`
	P99              time.Duration `json:"p99"`
	ServerCPUPercent float64       `json:"serverCpuPercent,omitempty"`
	// ServerMicrosPerPacket is the server's CPU time per packet it sent.
	ServerMicrosPerPacket float64 `json:"serverCpuMicrosPerPacket,omitempty"`
	ClientCPUPercent      float64 `json:"clientCpuPercent"` // the load generator's
	Passed                bool    `json:"passed"`
	Reason                string  `json:"reason,omitempty"` // why it did not pass
}

// CapacityResult is the search's outcome: Reached is the most subscribers
// of a step that passed.
type CapacityResult struct {
	Config  Capacity `json:"config"`
	Steps   []Step   `json:"steps"`
	Reached int      `json:"reached"`
}

// settleAfterJoin is how long after a step's joins its window opens.
const settleAfterJoin = time.Second

// RunCapacity runs the search. onStep, when not nil, sees every step as it
// ends. The publisher and every subscriber leave before it returns.
func RunCapacity(ctx context.Context, cp Capacity, onStep func(Step), opts ...Option) (*CapacityResult, error) {
	sc := Scenario{
		URL: cp.URL, Rooms: 1, Publishers: 1, Subscribers: cp.MaxSubscribers, Duration: time.Hour,
		Bitrate: cp.Bitrate, ICEIPs: cp.ICEIPs, RoomPrefix: "capacity",
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if cp.Step < 1 || cp.StepDuration <= 2*settleAfterJoin || cp.MaxSubscribers < cp.Step {
		return nil, fmt.Errorf("%w: capacity steps", ErrBadScenario)
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	r := &runner{sc: sc, opts: o, start: time.Now()}
	defer r.closeAll()
	res := &CapacityResult{Config: cp}
	pub := &participant{spec: spec{room: cp.Room, role: Publisher}, name: cp.Room + "-publisher"}
	r.ps = append(r.ps, pub)
	joinCtx, cancel := context.WithTimeout(ctx, cp.StepDuration)
	pub.join(joinCtx, sc, r.clientOptions(pub))
	cancel()
	if pub.err != nil {
		return res, pub.err
	}
	for n := cp.Step; n <= cp.MaxSubscribers && ctx.Err() == nil; n += cp.Step {
		st := r.step(ctx, cp, n)
		res.Steps = append(res.Steps, st)
		if onStep != nil {
			onStep(st)
		}
		if !st.Passed {
			break
		}
		res.Reached = n
	}
	if len(res.Steps) == 0 {
		return res, ctx.Err()
	}
	return res, nil
}

// step adds subscribers up to n and measures.
func (r *runner) step(ctx context.Context, cp Capacity, n int) Step {
	stepEnd := time.Now().Add(cp.StepDuration)
	stepCtx, cancel := context.WithDeadline(ctx, stepEnd)
	defer cancel()
	var joins sync.WaitGroup
	for i := len(r.ps) - 1; i < n; i++ {
		p := &participant{spec: spec{room: cp.Room, role: Subscriber, index: i}, name: fmt.Sprintf("%s-subscriber-%d", cp.Room, i+1)}
		r.ps = append(r.ps, p)
		joins.Add(1)
		go func() {
			defer joins.Done()
			// The run's context, not the step's: a join that outlasts its
			// step should not leave a half-made client behind.
			p.join(ctx, r.sc, r.clientOptions(p))
		}()
	}
	joins.Wait()
	st := Step{Subscribers: n}
	sleep(stepCtx, settleAfterJoin)
	from := r.collect()
	sleep(stepCtx, time.Until(stepEnd.Add(-settleAfterJoin)))
	mid := r.collect()
	sleep(stepCtx, time.Until(stepEnd))
	to := r.collect()
	st.Connected = to.connected - 1 // the publisher
	measureWindow(&st, r.ps, from, mid, to)
	st.Passed, st.Reason = judge(st, cp)
	return st
}

// measureWindow fills st from three snapshots: loss over the sequence
// numbers sent between from and mid, counted at to, so that a packet has
// had a second for its NACK to be answered; rates and latency from
// from to to.
func measureWindow(st *Step, ps []*participant, from, mid, to *totals) {
	st.Window = to.at - from.at
	if secs := st.Window.Seconds(); secs > 0 {
		st.MbpsIn = float64(to.recvBytes-from.recvBytes) * 8 / secs / 1e6
		st.ClientCPUPercent = 100 * (to.selfCPU - from.selfCPU).Seconds() / secs
		if a, b := from.server, to.server; a != nil && b != nil {
			cpu := b.CPUSeconds - a.CPUSeconds
			st.ServerCPUPercent = 100 * cpu / (b.At - a.At).Seconds()
			if sent := (b.PacketsOut + b.Retransmitted) - (a.PacketsOut + a.Retransmitted); sent > 0 {
				st.ServerMicrosPerPacket = 1e6 * cpu / sent
			}
		}
	}
	var expected, missing uint64
	for _, p := range ps {
		s := p.state()
		if s.client == nil {
			continue
		}
		for _, rt := range s.client.RemoteTracks() {
			a, b, ok := windowRange(rt, from, mid)
			if !ok {
				continue
			}
			expected += b - a + 1
			missing += rt.MissingBetween(a, b)
		}
	}
	late := to.late - min(from.late, to.late)
	if expected > 0 {
		st.LossAfterNACK = 100 * float64(missing) / float64(expected)
		st.LossBeforeNACK = 100 * float64(min(late, expected-missing)+missing) / float64(expected)
	}
	d := to.latency.Sub(&from.latency)
	st.P50, st.P99 = d.Quantile(0.5), d.Quantile(0.99)
}

// windowRange is the payload sequence numbers of rt sent in the window:
// after the highest seen at from (or its first) up to the highest at mid.
func windowRange(rt *bench.RemoteTrack, from, mid *totals) (a, b uint64, ok bool) {
	end, ok := mid.maxSeq[rt]
	if !ok {
		return 0, 0, false
	}
	s := rt.Stats()
	if s.Restarts != end.space {
		return 0, 0, false // another sequence space since: not comparable
	}
	if start, seen := from.maxSeq[rt]; seen && start.space == end.space {
		a = start.seq + 1
	} else {
		a = s.MinSeq
	}
	return a, end.seq, a <= end.seq
}

// judge tells whether a step is within the limits.
func judge(st Step, cp Capacity) (bool, string) {
	switch {
	case st.Connected < st.Subscribers:
		return false, fmt.Sprintf("%d of %d subscribers connected", st.Connected, st.Subscribers)
	case st.LossAfterNACK > cp.MaxLossPct:
		return false, fmt.Sprintf("loss %.2f%% above %.2f%%", st.LossAfterNACK, cp.MaxLossPct)
	case st.P99 > cp.MaxP99:
		return false, fmt.Sprintf("latency p99 %v above %v", st.P99, cp.MaxP99)
	}
	return true, ""
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
