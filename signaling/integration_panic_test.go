package signaling_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// panicOnRead is a bug planted in the server's read path: once armed, the
// next video stream bound panics on its 50th packet, on the read loop that
// forwards it (the first packets are read by Pion itself, to find the
// track).
type panicOnRead struct{ armed atomic.Bool }

func (p *panicOnRead) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &panicInterceptor{p: p}, nil
}

type panicInterceptor struct {
	interceptor.NoOp
	p *panicOnRead
}

func (i *panicInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !strings.HasPrefix(info.MimeType, "video/") || info.MimeType == "video/rtx" || !i.p.armed.CompareAndSwap(true, false) {
		return r
	}
	var n atomic.Int32
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if n.Add(1) == 50 {
			var h rtp.Header
			_, _ = h.Unmarshal(b)
			panic("planted bug in the read path")
		}
		return r.Read(b, a)
	})
}

// TestPanicEndsOneParticipant: a panic on one publisher's read loop ends
// that participant alone, with an internal error, and is counted; a
// meeting beside it goes on.
func TestPanicEndsOneParticipant(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	bug := &panicOnRead{}
	srv := newServer(t, sfu.WithInterceptor(bug))
	control := srv.meeting(ctx, t, "panic", 50, "alice", "bob")

	bug.armed.Store(true)
	victim := srv.dial(ctx, t, "panic", "victim")
	if _, err := publish(ctx, victim); err != nil {
		t.Fatalf("victim publish: %v", err)
	}
	select {
	case <-victim.Done():
	case <-ctx.Done():
		t.Fatal("the participant whose read loop panicked was not ended")
	}
	if err := victim.Err(); err == nil || !strings.Contains(err.Error(), "internal") {
		t.Errorf("victim ended with %v, want an internal error", err)
	}
	if got := srv.sfu.Stats().Panics; got != 1 {
		t.Errorf("panics counted: %d, want 1", got)
	}
	// The meeting beside it carries on.
	for _, c := range control {
		other := control[0]
		if c == other {
			other = control[1]
		}
		a := trackFrom(c, other.ID(), "audio")
		before := a.Stats().Distinct
		if err := c.WaitUntil(ctx, func() bool { return a.Stats().Distinct > before+25 }); err != nil {
			t.Fatalf("%s stopped hearing %s after the panic: %v", c.ID(), other.ID(), err)
		}
		for _, p := range c.Participants() {
			if p.ID == victim.ID() {
				t.Errorf("%s still sees the ended participant", c.ID())
			}
		}
	}
}
