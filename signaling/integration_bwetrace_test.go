package signaling_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// TestBWETrace: a subscriber's bandwidth records (/debug/bwe) are kept only
// with WithBWETrace; without it, after two seconds of media, there are
// none (a full trace is about 90 KB per video received, built every
// 250 ms for nobody).
func TestBWETrace(t *testing.T) {
	tests := []struct {
		name string
		on   bool
	}{
		{"on", true},
		{"off", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, sfu.WithBWETrace(tt.on))
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			pub := srv.dial(ctx, t, "trace", "pub")
			sub := srv.dial(ctx, t, "trace", "sub")
			if _, err := publish(ctx, pub); err != nil {
				t.Fatal(err)
			}
			from := []*bench.Client{pub}
			// 100 audio packets are two seconds of media: eight of the
			// controller's intervals at least.
			if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, from, 100) }); err != nil {
				t.Fatalf("%v: %s", err, describe(sub, from))
			}
			// keyframes counts video records that carry the keyframe
			// sizes the allocator saw, one per step, one at least known.
			records := func() (n, video, keyframes int) {
				for _, tr := range srv.sfu.BWETraces() {
					if tr.ID != sub.ID() {
						continue
					}
					for _, r := range tr.Records {
						n++
						video += len(r.Tracks)
						for _, v := range r.Tracks {
							if len(v.Keyframes) == len(v.Ladder) && slices.Max(append(v.Keyframes, 0)) > 0 {
								keyframes++
							}
						}
					}
				}
				return n, video, keyframes
			}
			if !tt.on {
				if n, _, _ := records(); n != 0 {
					t.Fatalf("%d records kept without WithBWETrace", n)
				}
				return
			}
			err := sub.WaitUntil(ctx, func() bool {
				n, video, keyframes := records()
				return n >= 8 && video > 0 && keyframes > 0
			})
			n, video, keyframes := records()
			if err != nil {
				t.Fatalf("%d records (%d of a video track, %d with keyframe sizes) after two seconds of media: %v", n, video, keyframes, err)
			}
			t.Logf("%d records, %d of a video track, %d with keyframe sizes", n, video, keyframes)
		})
	}
}
