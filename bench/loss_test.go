package bench

import (
	"io"
	"testing"

	"github.com/pion/interceptor"
)

func TestLoss(t *testing.T) {
	nackable := &interceptor.StreamInfo{SSRC: 1, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	pliOnly := &interceptor.StreamInfo{SSRC: 2, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack", Parameter: "pli"}}}
	tests := []struct {
		name         string
		rate         float64
		info         *interceptor.StreamInfo
		minDropped   uint64
		maxDropped   uint64
		wantAffected bool
	}{
		{"no loss", 0, nackable, 0, 0, true},
		{"ten percent", 0.1, nackable, 60, 140, true},
		{"rate clamped to all", 2, nackable, 1000, 1000, true},
		{"stream without NACK untouched", 0.5, pliOnly, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoss(tt.rate, 7)
			i, err := l.NewInterceptor("pc")
			if err != nil {
				t.Fatal(err)
			}
			const total = 1000
			sent := 0
			src := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
				if sent == total {
					return 0, nil, io.EOF
				}
				sent++
				return 1, a, nil
			})
			r := i.BindRemoteStream(tt.info, src)
			read := uint64(0)
			for {
				if _, _, err := r.Read(make([]byte, 1), nil); err != nil {
					break
				}
				read++
			}
			if d := l.Dropped(); d < tt.minDropped || d > tt.maxDropped || d+read != total {
				t.Fatalf("dropped %d, read %d of %d; want %d..%d dropped", d, read, total, tt.minDropped, tt.maxDropped)
			}
			if affected := l.Passed()+l.Dropped() > 0; affected != tt.wantAffected {
				t.Fatalf("stream affected: %v", affected)
			}
		})
	}
}
