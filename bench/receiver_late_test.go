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

func TestRemoteTrackLayerSwitchRestartsSequence(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	frame := func(seq uint64, key bool, w, h uint16) []byte {
		b := appendVP8Descriptor(nil, true, 1, 1)
		b = appendVP8FrameHeader(b, key, w, h, 500)
		return AppendPayload(b, Payload{Seq: seq, SentUnix: t0.UnixNano()}, 500)
	}
	r := &RemoteTrack{MimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	// Layer q, 320x180: 0 to 9 but 5.
	for seq := range uint64(10) {
		if seq != 5 {
			r.handle(frame(seq, seq == 0, 320, 180), t0)
		}
	}
	// Switch to f, 1280x720, whose numbers start lower than q's got to.
	for seq := uint64(3); seq < 8; seq++ {
		r.handle(frame(seq, seq == 3, 1280, 720), t0)
	}
	// A keyframe of the same size does not restart.
	r.handle(frame(8, true, 1280, 720), t0)
	s := r.Stats()
	want := ReceiverStats{
		Distinct: 15, Restarts: 1, EarlierDistinct: 9, EarlierExpected: 10, EarlierMissing: 1,
		MinSeq: 3, MaxSeq: 8, Keyframes: 3, Width: 1280, Height: 720,
	}
	if s.Distinct != want.Distinct || s.Restarts != want.Restarts || s.EarlierDistinct != want.EarlierDistinct ||
		s.EarlierExpected != want.EarlierExpected || s.EarlierMissing != want.EarlierMissing ||
		s.MinSeq != want.MinSeq || s.MaxSeq != want.MaxSeq || s.Keyframes != want.Keyframes {
		t.Fatalf("got  %+v\nwant %+v", s, want)
	}
	if s.Duplicates != 0 || s.Late != 0 || s.Missing() != 1 {
		t.Fatalf("duplicates %d late %d missing %d, want 0 0 1", s.Duplicates, s.Late, s.Missing())
	}
}
