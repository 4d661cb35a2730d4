package signaling_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
)

// The bad actors of TestBadActor: what each sends, built from the bench
// client and Pion, as a hostile or broken client would.

// actor runs a bad actor's loop on its own goroutine until the test ends
// and counts what it did.
type actor struct {
	done    atomic.Uint64 // actions (packets, requests, offers) so far
	stop    context.CancelFunc
	wg      sync.WaitGroup
	start   time.Time
	clients []*bench.Client // the bad actor's, closed by halt
}

// runActor starts loop, which returns when ctx ends; halt stops it and
// closes clients, the bad actor's. The test's cleanup halts it before the
// control pair closes (cleanups run last-registered first).
func runActor(ctx context.Context, t *testing.T, loop func(ctx context.Context, a *actor), clients ...*bench.Client) *actor {
	ctx, cancel := context.WithCancel(ctx)
	a := &actor{stop: cancel, start: time.Now(), clients: clients}
	a.wg.Go(func() { loop(ctx, a) })
	t.Cleanup(a.halt)
	return a
}

// halt stops the bad actor: its loop, and its clients, which leave.
func (a *actor) halt() {
	a.stop()
	a.wg.Wait()
	for _, c := range a.clients {
		_ = c.Close() // closed again at cleanup: the second one does nothing
	}
}

// rate is the actor's actions per second so far.
func (a *actor) rate() float64 {
	return float64(a.done.Load()) / time.Since(a.start).Seconds()
}

// every calls f every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			f()
		}
	}
}

// garbageSource is a video track whose packets are noise: random payloads
// (no VP8 descriptor, no bench layout), random timestamps, random marker
// bits, CSRC lists and header extensions under ids the SDP never named,
// and (with seqScrambler on the client) random sequence numbers. Pion
// encrypts them as any other packet, so they reach the SFU's RTP path past
// SRTP.
type garbageSource struct {
	track *webrtc.TrackLocalStaticRTP
	pps   int // packets a second
	sent  atomic.Uint64
	rng   *rand.Rand
	seq   uint16 // in order: seqScrambler makes them noise on the wire
}

func newGarbageSource(pps int) (*garbageSource, error) {
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "garbage", "garbage")
	if err != nil {
		return nil, err
	}
	return &garbageSource{track: tr, pps: pps, rng: rand.New(rand.NewPCG(1, 2))}, nil
}

func (g *garbageSource) Track() webrtc.TrackLocal      { return g.track }
func (g *garbageSource) Source() string                { return "camera" }
func (g *garbageSource) HandleRTCP(pkts []rtcp.Packet) {}

// Run writes g.pps packets a second, in bursts every 5 ms.
func (g *garbageSource) Run(ctx context.Context) error {
	const tick = 5 * time.Millisecond
	perTick := max(1, g.pps*int(tick)/int(time.Second))
	buf := make([]byte, 1200)
	every(ctx, tick, func() {
		for range perTick {
			g.write(buf)
		}
	})
	return nil
}

func (g *garbageSource) write(buf []byte) {
	r := g.rng
	n := 1 + r.IntN(len(buf))
	for i := range n {
		buf[i] = byte(r.Uint32())
	}
	h := rtp.Header{
		Version: 2, Marker: r.IntN(2) == 0,
		SequenceNumber: g.seq, Timestamp: r.Uint32(),
	}
	g.seq++
	for range r.IntN(4) {
		h.CSRC = append(h.CSRC, r.Uint32())
	}
	for range r.IntN(3) {
		ext := make([]byte, 1+r.IntN(16))
		for i := range ext {
			ext[i] = byte(r.Uint32())
		}
		_ = h.SetExtension(uint8(1+r.IntN(14)), ext)
	}
	if g.track.WriteRTP(&rtp.Packet{Header: h, Payload: buf[:n]}) == nil {
		g.sent.Add(1)
	}
}

// scrambler rewrites the header of each outgoing packet on its way to the
// network: bench.WithInterceptor puts it after Pion's own interceptors, so
// the bad actor's NACK responder and reports see orderly packets (the
// responder walks every sequence number of a forward jump, which would
// spend the test process's CPU on the bad actor's own client) and only
// the server sees the noise.
type scrambler struct {
	seed     uint64
	scramble func(r *rand.Rand, h *rtp.Header)
}

// ssrcScrambler gives one packet in four a random SSRC, one the SDP never
// announced: the receiving end has to look each up and drop it.
var ssrcScrambler = scrambler{seed: 3, scramble: func(r *rand.Rand, h *rtp.Header) {
	if r.IntN(4) == 0 {
		h.SSRC = r.Uint32()
	}
}}

// seqScrambler gives every packet a random sequence number.
var seqScrambler = scrambler{seed: 5, scramble: func(r *rand.Rand, h *rtp.Header) {
	h.SequenceNumber = uint16(r.Uint32())
}}

func (s scrambler) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &scrambleInterceptor{rng: rand.New(rand.NewPCG(s.seed, s.seed+1)), scramble: s.scramble}, nil
}

type scrambleInterceptor struct {
	interceptor.NoOp
	mu       sync.Mutex
	rng      *rand.Rand
	scramble func(r *rand.Rand, h *rtp.Header)
}

func (s *scrambleInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		s.mu.Lock()
		s.scramble(s.rng, h)
		s.mu.Unlock()
		return w.Write(h, payload, a)
	})
}

// seqWatch records the highest RTP sequence number a client received on
// each SSRC: the numbers the server chose for it, which a NACK names.
type seqWatch struct {
	mu   sync.Mutex
	last map[uint32]uint16
}

func (w *seqWatch) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &seqWatchInterceptor{w: w}, nil
}

// lastSeq is the last sequence number seen on ssrc.
func (w *seqWatch) lastSeq(ssrc uint32) (uint16, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seq, ok := w.last[ssrc]
	return seq, ok
}

type seqWatchInterceptor struct {
	interceptor.NoOp
	w *seqWatch
}

func (i *seqWatchInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err == nil && n >= 4 {
			seq := uint16(b[2])<<8 | uint16(b[3])
			i.w.mu.Lock()
			if i.w.last == nil {
				i.w.last = make(map[uint32]uint16)
			}
			i.w.last[info.SSRC] = seq
			i.w.mu.Unlock()
		}
		return n, a, err
	})
}

// remoteSSRC is the SSRC on which c receives r, the track's SSRC as the
// server sends it to c: what c's feedback about the track names.
func remoteSSRC(c *bench.Client, r *bench.RemoteTrack) (uint32, error) {
	for _, tr := range c.PeerConnection().GetTransceivers() {
		if tr.Mid() == r.Mid && tr.Receiver() != nil && tr.Receiver().Track() != nil {
			return uint32(tr.Receiver().Track().SSRC()), nil
		}
	}
	return 0, fmt.Errorf("no receiver on mid %s", r.Mid)
}

// nackAll names the window sequence numbers up to last in one generic NACK
// (RFC 4585 §6.2.1): pairs of a packet id and a bitmask of the 16 after it.
func nackAll(ssrc uint32, last uint16, window int) *rtcp.TransportLayerNack {
	n := &rtcp.TransportLayerNack{MediaSSRC: ssrc}
	for first := last - uint16(window) + 1; window > 0; window -= 17 {
		n.Nacks = append(n.Nacks, rtcp.NackPair{PacketID: first, LostPackets: 0xffff})
		first += 17
	}
	return n
}
