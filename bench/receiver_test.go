package bench

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestSeqSet(t *testing.T) {
	tests := []struct {
		name    string
		adds    []uint64
		newOnes int
		from    uint64
		to      uint64
		missing uint64
	}{
		{"in order", []uint64{0, 1, 2, 3}, 4, 0, 3, 0},
		{"gap", []uint64{0, 1, 4}, 3, 0, 4, 2},
		{"duplicates", []uint64{5, 5, 6, 5}, 2, 5, 6, 0},
		{"late start", []uint64{100_000, 100_002}, 2, 100_000, 100_002, 1},
		{"reordered before the first", []uint64{5000, 4990, 4990}, 2, 4990, 5000, 9},
		{"far below the base counts as new", []uint64{20_000, 1, 1}, 3, 20_000, 20_000, 0},
		{"range below the base counts as seen", []uint64{20_000}, 1, 0, 10, 0},
		{"across words", []uint64{62, 63, 64, 65, 130}, 5, 62, 130, 64},
		{"empty range", []uint64{1}, 1, 5, 4, 0},
		{"nothing added", nil, 0, 0, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s seqSet
			n := 0
			for _, seq := range tt.adds {
				if s.add(seq) {
					n++
				}
			}
			if n != tt.newOnes {
				t.Fatalf("%d new, want %d", n, tt.newOnes)
			}
			if got := s.missing(tt.from, tt.to); got != tt.missing {
				t.Fatalf("missing(%d, %d) = %d, want %d", tt.from, tt.to, got, tt.missing)
			}
		})
	}
}

func TestRemoteTrackCounts(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	audio := func(seq uint64, sent time.Time) []byte {
		return AppendPayload([]byte{opusTOC}, Payload{Seq: seq, SentUnix: sent.UnixNano()}, 79)
	}
	video := func(seq uint64, start, key bool) []byte {
		b := appendVP8Descriptor(nil, start, 1, 1)
		if start {
			b = appendVP8FrameHeader(b, key, 640, 360, 500)
		}
		return AppendPayload(b, Payload{Seq: seq, SentUnix: t0.UnixNano()}, 500)
	}
	corrupt := audio(9, t0)
	corrupt[30] ^= 1

	type packet struct {
		payload []byte
		at      time.Duration // after t0
	}
	tests := []struct {
		name    string
		mime    string
		packets []packet
		want    ReceiverStats
	}{
		{
			name: "audio with a duplicate, a gap and a damaged payload",
			mime: webrtc.MimeTypeOpus,
			packets: []packet{
				{audio(10, t0), 2 * time.Millisecond},
				{audio(11, t0.Add(20*time.Millisecond)), 24 * time.Millisecond},
				{audio(11, t0.Add(20*time.Millisecond)), 30 * time.Millisecond},
				{audio(14, t0.Add(80*time.Millisecond)), 84 * time.Millisecond},
				{corrupt, 90 * time.Millisecond},
			},
			want: ReceiverStats{
				Packets: 5, Bytes: 5 * 80, Distinct: 3, Duplicates: 1, PayloadErrors: 1,
				MinSeq: 10, MaxSeq: 14, FirstPacket: t0.Add(2 * time.Millisecond),
				LastPacket: t0.Add(90 * time.Millisecond),
				LatencySum: 10 * time.Millisecond, LatencyMax: 4 * time.Millisecond,
			},
		},
		{
			name: "video keyframe then delta frame",
			mime: webrtc.MimeTypeVP8,
			packets: []packet{
				{video(0, true, true), time.Millisecond},
				{video(1, false, false), time.Millisecond},
				{video(2, true, false), 3 * time.Millisecond},
			},
			want: ReceiverStats{
				Packets: 3, Bytes: (5 + 10 + 500) + (5 + 500) + (5 + 3 + 500), Distinct: 3,
				MinSeq: 0, MaxSeq: 2, Keyframes: 1, FirstPacket: t0.Add(time.Millisecond),
				FirstKeyframe: t0.Add(time.Millisecond), LastPacket: t0.Add(3 * time.Millisecond),
				LatencySum: 5 * time.Millisecond, LatencyMax: 3 * time.Millisecond, Width: 640, Height: 360,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &RemoteTrack{MimeType: tt.mime, done: make(chan struct{})}
			for _, p := range tt.packets {
				r.handle(p.payload, t0.Add(p.at))
			}
			if got := r.Stats(); got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReceiverStatsMissing(t *testing.T) {
	tests := []struct {
		s    ReceiverStats
		want uint64
	}{
		{ReceiverStats{}, 0},
		{ReceiverStats{Distinct: 1, MinSeq: 4, MaxSeq: 4}, 0},
		{ReceiverStats{Distinct: 3, MinSeq: 0, MaxSeq: 9}, 7},
		{ReceiverStats{Distinct: 20, MinSeq: 0, MaxSeq: 9}, 0}, // below the base: never negative
	}
	for _, tt := range tests {
		if got := tt.s.Missing(); got != tt.want {
			t.Errorf("%+v: Missing() = %d, want %d", tt.s, got, tt.want)
		}
	}
}
