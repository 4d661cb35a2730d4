package load

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/bench/hist"
)

// Result is everything a run measured.
type Result struct {
	Scenario     Scenario            `json:"scenario"`
	Start        time.Time           `json:"start"`
	Elapsed      time.Duration       `json:"elapsed"` // first join to the leave
	Samples      []Sample            `json:"samples"`
	Participants []ParticipantResult `json:"participants"`
	// Churned is how many subscribers vanished and were replaced
	// (Scenario.Churn); both are among Participants.
	Churned int `json:"churned,omitempty"`
	// Latency holds the one-way delay of every distinct packet received.
	Latency hist.Histogram `json:"-"`
	// ServerIdle is the server before the first join; ServerEnd at the
	// last sample, before anyone left. Both nil without metrics.
	ServerIdle *ServerSnapshot `json:"serverIdle,omitempty"`
	ServerEnd  *ServerSnapshot `json:"serverEnd,omitempty"`
	// For a cluster: each node's snapshots, in the order of
	// Scenario.Nodes (ServerIdle and ServerEnd are their sums), and the
	// one-way delay of every packet the subscribers on each node received.
	NodesIdle   []*ServerSnapshot `json:"nodesIdle,omitempty"`
	NodesEnd    []*ServerSnapshot `json:"nodesEnd,omitempty"`
	NodeLatency []hist.Histogram  `json:"-"`
}

// ParticipantResult is one client's part of the run. Durations count from
// the moment it started dialing; zero means never.
type ParticipantResult struct {
	Name          string         `json:"name"`
	Room          string         `json:"room"`
	Role          Role           `json:"role"`
	Node          int            `json:"node"` // index in Scenario.Nodes of the server it joined
	ID            string         `json:"id,omitempty"`
	Joined        time.Duration  `json:"joined"`     // the server said joined
	Connected     time.Duration  `json:"connected"`  // media connected
	FirstFrame    time.Duration  `json:"firstFrame"` // first video keyframe received
	Error         string         `json:"error,omitempty"`
	NACKsSent     uint64         `json:"nacksSent"`     // NACK messages
	NACKedPackets uint64         `json:"nackedPackets"` // packets they asked for
	PLIsSent      uint64         `json:"plisSent"`
	FIRsSent      uint64         `json:"firsSent"`
	Sent          []SourceResult `json:"sent,omitempty"`
	Received      []TrackResult  `json:"received"`
}

// SourceResult is what one synthetic source sent.
type SourceResult struct {
	Source    string `json:"source"`
	Packets   uint64 `json:"packets"`
	Bytes     uint64 `json:"bytes"`
	Keyframes uint64 `json:"keyframes"`
	PLIs      uint64 `json:"plisReceived"`
	NACKed    uint64 `json:"nackedPackets"`
}

// TrackResult is what one remote track received. Expected and Missing are
// settled: they stop one sample interval before the end, so that a packet
// still being repaired by NACK at the end does not count as lost.
type TrackResult struct {
	From          string        `json:"from"`
	Kind          string        `json:"kind"`
	Packets       uint64        `json:"packets"`
	Bytes         uint64        `json:"bytes"`
	Distinct      uint64        `json:"distinct"`
	Duplicates    uint64        `json:"duplicates"`
	Late          uint64        `json:"late"` // arrived after a later packet: repaired or reordered
	Expected      uint64        `json:"expected"`
	Missing       uint64        `json:"missing"`
	PayloadErrors uint64        `json:"payloadErrors"`
	Keyframes     uint64        `json:"keyframes"`
	Active        time.Duration `json:"-"` // first packet to last
}

// result builds the run's result once every client is closed.
func (r *runner) result(samples []Sample, final *totals, idle *ServerSnapshot, elapsed time.Duration) *Result {
	res := &Result{
		Scenario: r.sc, Start: r.start, Elapsed: elapsed, Samples: samples,
		Latency: final.latency, ServerIdle: idle, ServerEnd: final.server,
		NodesEnd: final.nodes, NodeLatency: final.nodeLatency,
	}
	for _, p := range r.participants() {
		res.Participants = append(res.Participants, p.result(final.settled))
	}
	return res
}

func (p *participant) result(settled map[*bench.RemoteTrack]seqMark) ParticipantResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := ParticipantResult{
		Name: p.name, Room: p.room, Role: p.role, Node: p.node, Joined: p.joined, Connected: p.connected,
		NACKsSent: p.counter.nacks.Load(), NACKedPackets: p.counter.nacked.Load(),
		PLIsSent: p.counter.plis.Load(), FIRsSent: p.counter.firs.Load(),
		Received: []TrackResult{},
	}
	if p.err != nil {
		out.Error = p.err.Error()
	}
	for _, s := range p.sources {
		st := s.Stats()
		out.Sent = append(out.Sent, SourceResult{
			Source: s.Source(), Packets: st.Packets, Bytes: st.Bytes, Keyframes: st.Keyframes,
			PLIs: st.PLIs + st.FIRs, NACKed: st.NACKed,
		})
	}
	if p.client == nil {
		return out
	}
	out.ID = p.client.ID()
	// A churned participant's session ends because it dropped it: that is
	// no error of the run's.
	if err := p.client.Err(); err != nil && out.Error == "" && !p.dropped {
		out.Error = fmt.Sprintf("session ended: %v", err)
	}
	var firstFrame time.Time
	for _, rt := range p.client.RemoteTracks() {
		s := rt.Stats()
		tr := TrackResult{
			From: rt.ParticipantID, Kind: rt.Kind.String(), Packets: s.Packets, Bytes: s.Bytes,
			Distinct: s.Distinct, Duplicates: s.Duplicates, Late: s.Late,
			PayloadErrors: s.PayloadErrors, Keyframes: s.Keyframes, Active: s.LastPacket.Sub(s.FirstPacket),
		}
		tr.Expected, tr.Missing = s.EarlierExpected, s.EarlierMissing
		if last, ok := settled[rt]; ok && last.space == s.Restarts && last.seq >= s.MinSeq {
			tr.Expected += last.seq - s.MinSeq + 1
			tr.Missing += rt.MissingBetween(s.MinSeq, last.seq)
		}
		out.Received = append(out.Received, tr)
		if rt.Kind == webrtc.RTPCodecTypeVideo && !s.FirstKeyframe.IsZero() &&
			(firstFrame.IsZero() || s.FirstKeyframe.Before(firstFrame)) {
			firstFrame = s.FirstKeyframe
		}
	}
	if !firstFrame.IsZero() {
		out.FirstFrame = firstFrame.Sub(p.dialStart)
	}
	return out
}

// check tells a run that measured nothing from one that measured.
func (res *Result) check() error {
	connected, packets := 0, uint64(0)
	for _, p := range res.Participants {
		if p.Connected > 0 {
			connected++
		}
		for _, t := range p.Received {
			packets += t.Distinct
		}
	}
	switch {
	case connected == 0:
		return ErrNobodyConnected
	case packets == 0:
		return fmt.Errorf("%w: %d participants connected", ErrNoMedia, connected)
	}
	return nil
}
