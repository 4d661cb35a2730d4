package sfu

import (
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// traceLength is how many allocation intervals a subscriber's trace keeps:
// two minutes at 250 ms, enough for a benchmark phase and its recovery.
const traceLength = 480

// BWERecord is one allocation interval of a subscriber's bandwidth
// controller: what it estimated, what the congestion signals said, and
// what was sent to it, by track and layer. Rates are bits per second over
// the interval.
type BWERecord struct {
	At       time.Time `json:"at"`
	Estimate int       `json:"estimate"`
	// Target, Loss and Overuse are the congestion controller's signals
	// (bwe.Signals) for the interval.
	Target     int     `json:"target"`
	Loss       float64 `json:"loss"`
	Overuse    bool    `json:"overuse"`
	Sent       int     `json:"sent"`    // everything, padding and retransmissions included
	Padding    int     `json:"padding"` // probe padding
	Retransmit int     `json:"retransmit"`
	Probing    bool    `json:"probing"`
	// Keyframe: a video entered a higher resolution within keyframeDrain
	// (bwe.Signals.Keyframe).
	Keyframe bool             `json:"keyframe"`
	Tracks   []BWETrackRecord `json:"tracks"`
}

// BWETrackRecord is one down track in a BWERecord.
type BWETrackRecord struct {
	ID       string `json:"id"`
	Current  int    `json:"current"` // spatial layer forwarded, -1 none
	Target   int    `json:"target"`  // spatial layer wanted, -1 paused
	Temporal int    `json:"temporal"`
	// LayerSent is what was forwarded of each spatial layer (media
	// only), lowest first.
	LayerSent []int `json:"layerSent"`
	// Ladder is each step's bitrate as the allocator saw it (spatial
	// layers, each with its frame-rate steps, lowest first), and Step
	// the one it was at (-1 none): what its decisions were made from.
	Ladder []int `json:"ladder,omitempty"`
	// Keyframes is the size of each step's resolution's last keyframe,
	// bits (0 unknown), as the allocator saw it: the room an upgrade to
	// that resolution needs on top of the allocation (bwe.Layer.Keyframe).
	Keyframes []int `json:"keyframes,omitempty"`
	Step      int   `json:"step"`
}

// BWETrace is a subscriber's recent records, oldest first.
type BWETrace struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Room    string      `json:"room"`
	Records []BWERecord `json:"records"`
}

// bweTrace is a ring of a subscriber's records: runBWE appends, a debug
// reader copies.
type bweTrace struct {
	mu   sync.Mutex
	recs []BWERecord
	next int // where the next record goes once the ring is full
}

func (tr *bweTrace) add(r BWERecord) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.recs) < traceLength {
		tr.recs = append(tr.recs, r)
		return
	}
	tr.recs[tr.next] = r
	tr.next = (tr.next + 1) % traceLength
}

func (tr *bweTrace) snapshot() []BWERecord {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]BWERecord, 0, len(tr.recs))
	out = append(out, tr.recs[tr.next:]...)
	return append(out, tr.recs[:tr.next]...)
}

// traceMeter turns running byte totals into rates per interval for the
// trace. Only the bwe goroutine uses it.
type traceMeter struct {
	at                 time.Time
	sent, padding, rtx uint64
	layers             map[*DownTrack][maxLayers]uint64
}

// record appends this interval's record to p's trace.
func (p *Participant) record(now time.Time, m *traceMeter, probing bool) {
	sent, padding, rtx := p.sent.Load(), p.paddingSent.Load(), p.rtxSent.Load()
	if m.layers == nil {
		m.layers = make(map[*DownTrack][maxLayers]uint64)
	}
	secs := now.Sub(m.at).Seconds()
	first := m.at.IsZero() || secs <= 0
	bps := func(cur, prev uint64) int {
		if first {
			return 0
		}
		return int(float64(cur-prev) * 8 / secs)
	}
	sig := p.lastSignals
	r := BWERecord{
		At: now, Estimate: p.estimate(), Target: sig.Target, Loss: sig.Loss, Overuse: sig.Overuse,
		Sent: bps(sent, m.sent), Padding: bps(padding, m.padding), Retransmit: bps(rtx, m.rtx), Probing: probing,
		Keyframe: sig.Keyframe,
	}
	dts := *p.dtList.Load()
	seen := make(map[*DownTrack][maxLayers]uint64, len(dts))
	for _, d := range dts {
		if d.rcv.kind != webrtc.RTPCodecTypeVideo {
			continue
		}
		d.mu.Lock()
		tr := BWETrackRecord{ID: d.rcv.id, Current: d.current, Target: d.target, Temporal: d.curTID, LayerSent: make([]int, 0, maxLayers)}
		d.mu.Unlock()
		var totals [maxLayers]uint64
		prev := m.layers[d]
		for i := range maxLayers {
			totals[i] = d.layerSent[i].Load()
			if d.rcv.layer(i) != nil {
				tr.LayerSent = append(tr.LayerSent, bps(totals[i], prev[i]))
			}
		}
		seen[d] = totals
		tr.Step = -1
		for _, bt := range p.bweTracks {
			if bt.ID == tr.ID {
				tr.Step = bt.Current
				for _, l := range bt.Layers {
					tr.Ladder = append(tr.Ladder, l.Bitrate)
					tr.Keyframes = append(tr.Keyframes, l.Keyframe)
				}
			}
		}
		r.Tracks = append(r.Tracks, tr)
	}
	m.at, m.sent, m.padding, m.rtx, m.layers = now, sent, padding, rtx, seen
	p.trace.add(r)
}

// BWETraces returns every subscriber's recent bandwidth records (the
// debug listener's /debug/bwe); each has none unless WithBWETrace is on.
func (s *SFU) BWETraces() []BWETrace {
	all := s.subscribers()
	out := make([]BWETrace, 0, len(all))
	for _, p := range all {
		out = append(out, BWETrace{ID: p.id, Name: p.name, Room: p.room.name, Records: p.trace.snapshot()})
	}
	return out
}
