package load

import (
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/bench/hist"
)

// Sample is the state of the run at one moment and what changed over the
// interval before it.
type Sample struct {
	At          time.Duration `json:"t"`         // since the first join
	Connected   int           `json:"connected"` // participants whose media is connected
	Expected    int           `json:"expected"`
	Tracks      int           `json:"tracks"`      // remote tracks being received
	MbpsOut     float64       `json:"mbpsOut"`     // RTP payload publishers sent
	MbpsIn      float64       `json:"mbpsIn"`      // RTP payload every client received
	LossPercent float64       `json:"lossPercent"` // not (yet) received, of what was due in the interval
	LatencyP50  time.Duration `json:"latencyP50"`
	LatencyP99  time.Duration `json:"latencyP99"`
	// ServerCPUPercent is the server's CPU time over the interval, in
	// percent of one core; zero without metrics.
	ServerCPUPercent float64         `json:"serverCpuPercent"`
	Server           *ServerSnapshot `json:"server,omitempty"`
	// ClientCPUPercent is the load generator's own CPU time over the
	// interval: near the machine's core count, it is the bottleneck.
	ClientCPUPercent float64 `json:"clientCpuPercent"`
	// Nodes is every node's snapshot, for a cluster (Scenario.URLs and
	// WithNodeMetrics); Server is then their sum. NodeCPUPercent is each
	// node's CPU over the interval, in percent of one core, zero for a
	// node that did not answer.
	Nodes          []*ServerSnapshot `json:"nodes,omitempty"`
	NodeCPUPercent []float64         `json:"nodeCpuPercent,omitempty"`
}

// totals are cumulative counts over every client, at one moment.
type totals struct {
	at                time.Duration
	selfCPU           time.Duration // the load generator's
	connected, tracks int
	sentBytes         uint64
	recvBytes         uint64
	expected, missing uint64
	late              uint64
	latency           hist.Histogram
	// nodeLatency is latency of the subscribers on each node, for a
	// cluster (nil for one server).
	nodeLatency []hist.Histogram
	maxSeq      map[*bench.RemoteTrack]seqMark // highest payload sequence number per track
	settled     map[*bench.RemoteTrack]seqMark // final totals only: maxSeq one interval earlier
	server      *ServerSnapshot
	nodes       []*ServerSnapshot // each node's, for a cluster
}

// seqMark is the highest payload sequence number of a track at a moment,
// in its sequence space (a simulcast layer switch starts another).
type seqMark struct{ seq, space uint64 }

// collect adds up what every participant sent and received; nodes is how
// many servers the participants are spread over.
func collect(ps []*participant, at time.Duration, nodes int) *totals {
	t := &totals{at: at, selfCPU: selfCPU(), maxSeq: make(map[*bench.RemoteTrack]seqMark)}
	if nodes > 1 {
		t.nodeLatency = make([]hist.Histogram, nodes)
	}
	for _, p := range ps {
		st := p.state()
		if st.connected {
			t.connected++
		}
		for _, s := range st.sources {
			t.sentBytes += s.Stats().Bytes
		}
		if st.client == nil {
			continue
		}
		for _, rt := range st.client.RemoteTracks() {
			s := rt.Stats()
			if !rt.Ended() {
				t.tracks++
			}
			t.recvBytes += s.Bytes
			t.expected += s.EarlierExpected
			t.missing += s.Missing()
			t.late += s.Late
			if s.Distinct > s.EarlierDistinct {
				t.expected += s.MaxSeq - s.MinSeq + 1
				t.maxSeq[rt] = seqMark{seq: s.MaxSeq, space: s.Restarts}
			}
			rt.AddLatency(&t.latency)
			if t.nodeLatency != nil && p.role == Subscriber && p.node < len(t.nodeLatency) {
				rt.AddLatency(&t.nodeLatency[p.node])
			}
		}
	}
	return t
}

// sampleBetween is what changed from prev to cur.
func sampleBetween(prev, cur *totals, expected int) Sample {
	s := Sample{At: cur.at, Connected: cur.connected, Expected: expected, Tracks: cur.tracks, Server: cur.server}
	secs := (cur.at - prev.at).Seconds()
	if secs <= 0 {
		return s
	}
	s.ClientCPUPercent = 100 * (cur.selfCPU - prev.selfCPU).Seconds() / secs
	s.MbpsOut = float64(cur.sentBytes-prev.sentBytes) * 8 / secs / 1e6
	s.MbpsIn = float64(cur.recvBytes-prev.recvBytes) * 8 / secs / 1e6
	if due := cur.expected - min(prev.expected, cur.expected); due > 0 && cur.missing > prev.missing {
		s.LossPercent = 100 * float64(cur.missing-prev.missing) / float64(due)
	}
	d := cur.latency.Sub(&prev.latency)
	s.LatencyP50, s.LatencyP99 = d.Quantile(0.50), d.Quantile(0.99)
	s.ServerCPUPercent = cpuPercent(prev.server, cur.server)
	if len(cur.nodes) > 0 {
		s.Nodes = cur.nodes
		s.NodeCPUPercent = make([]float64, len(cur.nodes))
		for i, n := range cur.nodes {
			if i < len(prev.nodes) {
				s.NodeCPUPercent[i] = cpuPercent(prev.nodes[i], n)
			}
		}
	}
	return s
}

// cpuPercent is a server's CPU between two snapshots, in percent of one
// core; zero if either is missing.
func cpuPercent(a, b *ServerSnapshot) float64 {
	if a == nil || b == nil {
		return 0
	}
	if wall := (b.At - a.At).Seconds(); wall > 0 {
		return 100 * (b.CPUSeconds - a.CPUSeconds) / wall
	}
	return 0
}
