package bench

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench/hist"
)

func TestRemoteTrackLateAndLatency(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name          string
		seqs          []uint64
		late, missing uint64
		distinct      uint64
	}{
		{"in order", []uint64{1, 2, 3}, 0, 0, 3},
		{"one repaired", []uint64{1, 2, 4, 5, 3}, 1, 0, 5},
		{"repair arrives twice", []uint64{1, 3, 2, 2}, 1, 0, 3},
		{"still missing", []uint64{1, 4, 2}, 1, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &RemoteTrack{MimeType: webrtc.MimeTypeOpus, done: make(chan struct{})}
			for i, seq := range tt.seqs {
				payload := AppendPayload([]byte{opusTOC}, Payload{Seq: seq, SentUnix: t0.UnixNano()}, 79)
				r.handle(payload, t0.Add(time.Duration(i+1)*time.Millisecond))
			}
			s := r.Stats()
			if s.Late != tt.late || s.Missing() != tt.missing || s.Distinct != tt.distinct {
				t.Fatalf("late %d missing %d distinct %d, want %d %d %d", s.Late, s.Missing(), s.Distinct, tt.late, tt.missing, tt.distinct)
			}
			var h hist.Histogram
			r.AddLatency(&h)
			if h.Count() != tt.distinct || h.Max() < time.Millisecond {
				t.Fatalf("latency histogram: %d values, max %v; want one per distinct packet", h.Count(), h.Max())
			}
		})
	}
}
