package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"

	"github.com/switchboard-rtc/switchboard/internal/seqnum"
)

// seqGuard is the innermost interceptor of every PeerConnection: it drops
// an incoming RTP packet whose sequence number jumps more than
// seqnum.MaxDropout ahead of its stream's newest, before Pion's receiver
// report and NACK generator interceptors see it. Both walk every sequence
// number of a forward jump, up to 32,767 of them per packet, clearing a
// bit for each (pion/interceptor report.receiverStream.processRTP,
// nack.receiveLog.add), so a publisher sending random sequence numbers
// cost the server some 8,000 steps a packet in each: most of the server's
// time for such a stream (TestBadActor's garbage rows, docs/reliability.md).
// Behind the newest costs them nothing, so those packets pass, for the
// packet cache to judge. As in RFC 3550 §A.1, a jump the next packet
// follows is the sender restarting its numbering and is believed, but only
// once per restartInterval: each costs the walk once.
type seqGuard struct {
	dropped *atomic.Uint64 // SFU-wide, Stats.SequenceJumpsDropped
	// shared: a stream's reader may be called by two goroutines (a
	// direct-SRTP PeerConnection's, directsrtp_chain.go), so its window
	// takes a lock; otherwise only the track's read loop calls it, and
	// the packet path takes no lock here.
	shared bool
}

// restartInterval is how often a stream may restart its numbering: a real
// sender does so when its encoder restarts, not many times a second.
const restartInterval = time.Second

func (g seqGuard) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &seqGuardInterceptor{dropped: g.dropped, shared: g.shared}, nil
}

type seqGuardInterceptor struct {
	interceptor.NoOp
	dropped *atomic.Uint64
	shared  bool
}

// BindRemoteStream reads past the packets the stream's seqWindow refuses.
// A stream's reader is read by the track's read loop and, with direct
// SRTP (shared), by the shared socket's read loop once the stream goes
// direct (directsrtp_chain.go): the last packets of Pion's path may meet
// the first direct ones, hence the lock there, never held across the read.
func (g *seqGuardInterceptor) BindRemoteStream(_ *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	w := &seqWindow{}
	accept := w.accept
	if g.shared {
		var mu sync.Mutex
		accept = func(seq uint16, now func() time.Time) bool {
			mu.Lock()
			defer mu.Unlock()
			return w.accept(seq, now)
		}
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attrs, err := r.Read(b, a)
			// Shorter than a sequence number: not RTP, for the layers
			// above to refuse.
			if err != nil || n < 4 {
				return n, attrs, err
			}
			if accept(uint16(b[2])<<8|uint16(b[3]), time.Now) {
				return n, attrs, err
			}
			g.dropped.Add(1)
		}
	})
}

// seqWindow is one stream's sequence numbering as seqGuard follows it.
type seqWindow struct {
	started   bool
	newest    uint16
	confirm   uint16 // the number that would confirm a restart
	armed     bool   // confirm is set
	restarted time.Time
}

// accept reports whether seq may pass: behind the newest or at most
// seqnum.MaxDropout ahead of it, or the packet after a refused jump when
// no restart was believed in the last restartInterval. now is called only
// then.
func (w *seqWindow) accept(seq uint16, now func() time.Time) bool {
	if !w.started {
		w.started, w.newest = true, seq
		return true
	}
	ahead := seq - w.newest
	switch {
	case ahead == 0 || ahead >= 1<<15: // a duplicate, or behind
		return true
	case ahead <= seqnum.MaxDropout:
		w.newest = seq
		return true
	case w.armed && seq == w.confirm:
		if t := now(); t.Sub(w.restarted) >= restartInterval {
			w.newest, w.armed, w.restarted = seq, false, t
			return true
		}
	}
	w.confirm, w.armed = seq+1, true
	return false
}
