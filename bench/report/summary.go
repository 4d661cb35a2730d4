// Package report turns a load run's result into what people and machines
// read: a summary, a table for the terminal, a JSON document and a
// self-contained HTML page with charts.
package report

import (
	"math"
	"slices"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// Dist is a distribution's usual points.
type Dist struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

// Summary is the run in a few figures.
type Summary struct {
	Expected  int `json:"expected"`  // participants
	Connected int `json:"connected"` // whose media connected
	// Churned is how many subscribers vanished and were replaced
	// (--churn); Connected counts both the vanished and their replacements.
	Churned int      `json:"churned,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// JoinTime is from dialing to media connected; FirstFrame from dialing
	// to the first video keyframe received.
	JoinTime   Dist `json:"joinTime"`
	FirstFrame Dist `json:"firstFrame"`
	// Per-subscriber bitrate received, in Mbit/s of RTP payload.
	SubscriberMbpsMean float64 `json:"subscriberMbpsMean"`
	SubscriberMbpsMin  float64 `json:"subscriberMbpsMin"`
	// Loss, in percent of the packets due: before NACK recovery counts
	// what arrived late (repaired) and what never arrived, after counts
	// only the latter.
	PacketsExpected      uint64  `json:"packetsExpected"`
	PacketsLate          uint64  `json:"packetsLate"`
	PacketsMissing       uint64  `json:"packetsMissing"`
	Duplicates           uint64  `json:"duplicates"`
	PayloadErrors        uint64  `json:"payloadErrors"`
	LossBeforeNACKPct    float64 `json:"lossBeforeNackPercent"`
	LossAfterNACKPct     float64 `json:"lossAfterNackPercent"`
	NACKsSent            uint64  `json:"nacksSent"`
	NACKedPackets        uint64  `json:"nackedPackets"`
	PLIsSent             uint64  `json:"plisSent"`
	Latency              Dist    `json:"latency"`
	SubscribedTracks     int     `json:"subscribedTracks"`
	Server               *Server `json:"server,omitempty"`
	FloorMicrosPerPacket float64 `json:"floorMicrosPerPacket,omitempty"`
	FloorProfile         string  `json:"floorProfile,omitempty"`
	// The floor with its packets read by that many woken receivers.
	FloorAwakeMicrosPerPacket float64 `json:"floorAwakeMicrosPerPacket,omitempty"`
	FloorAwakeReaders         int     `json:"floorAwakeReaders,omitempty"`
	// A run over several nodes of a cluster: each node's figures (Server
	// is then the nodes together), and with the publishers pinned to the
	// first node, the latency a relay hop adds.
	Nodes    []Node    `json:"nodes,omitempty"`
	RelayHop *RelayHop `json:"relayHop,omitempty"`
	// Soak is the trend of the server's resources after the warm-up
	// (WithSoak); nil otherwise, or when too few samples followed it.
	Soak *Soak `json:"soak,omitempty"`
}

// Summarize computes the summary of res.
func Summarize(res *load.Result, opts ...Option) Summary {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	s := Summary{
		Expected: res.Scenario.Expected(), Churned: res.Churned, FloorMicrosPerPacket: o.floorMicros, FloorProfile: o.floorProfile,
		FloorAwakeMicrosPerPacket: o.awakeMicros, FloorAwakeReaders: o.awakeReaders,
	}
	var joins, frames []time.Duration
	var subMbps []float64
	for _, p := range res.Participants {
		if p.Connected > 0 {
			s.Connected++
			joins = append(joins, p.Connected)
		}
		if p.FirstFrame > 0 {
			frames = append(frames, p.FirstFrame)
		}
		if p.Error != "" && len(s.Errors) < maxErrors {
			s.Errors = append(s.Errors, p.Error)
		}
		s.NACKsSent += p.NACKsSent
		s.NACKedPackets += p.NACKedPackets
		s.PLIsSent += p.PLIsSent + p.FIRsSent
		var bytes uint64
		var active time.Duration
		for _, t := range p.Received {
			s.PacketsExpected += t.Expected
			s.PacketsMissing += t.Missing
			s.PacketsLate += min(t.Late, t.Expected-t.Missing)
			s.Duplicates += t.Duplicates
			s.PayloadErrors += t.PayloadErrors
			bytes += t.Bytes
			active = max(active, t.Active)
		}
		if p.Role == load.Subscriber && p.Connected > 0 {
			mbps := 0.0
			if active > 0 {
				mbps = float64(bytes) * 8 / active.Seconds() / 1e6
			}
			subMbps = append(subMbps, mbps)
		}
	}
	s.JoinTime, s.FirstFrame = distOf(joins), distOf(frames)
	if len(subMbps) > 0 {
		sum := 0.0
		for _, v := range subMbps {
			sum += v
		}
		s.SubscriberMbpsMean, s.SubscriberMbpsMin = sum/float64(len(subMbps)), slices.Min(subMbps)
	}
	if s.PacketsExpected > 0 {
		s.LossBeforeNACKPct = 100 * float64(s.PacketsLate+s.PacketsMissing) / float64(s.PacketsExpected)
		s.LossAfterNACKPct = 100 * float64(s.PacketsMissing) / float64(s.PacketsExpected)
	}
	lat := res.Latency
	s.Latency = Dist{
		N: int(lat.Count()), P50: lat.Quantile(0.50), P95: lat.Quantile(0.95), P99: lat.Quantile(0.99), Max: lat.Max(),
	}
	if n := len(res.Samples); n > 0 {
		s.SubscribedTracks = res.Samples[n-1].Tracks
	}
	s.Server = summarizeServer(res, s.SubscribedTracks, o.floorMicros)
	s.Nodes, s.RelayHop = summarizeNodes(res), relayHop(res)
	if o.soak {
		s.Soak = summarizeSoak(res.Samples, o.warmup)
	}
	return s
}

// maxErrors bounds the errors a summary repeats.
const maxErrors = 10

// distOf is the distribution of ds, exact (ds are few: one per participant).
func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(sorted)))) - 1 // nearest rank
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	return Dist{N: len(sorted), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: sorted[len(sorted)-1]}
}
