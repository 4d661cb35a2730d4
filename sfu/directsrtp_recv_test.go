package sfu

import (
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// rtcpLog keeps the RTCP a chain writes toward the publisher.
type rtcpLog struct {
	mu    sync.Mutex
	nacks []uint16
	twcc  int // transport-wide CC feedback packets
	// twccPackets counts the packets the feedback reports received;
	// twccFirst is the first transport-wide number reported.
	twccPackets int
	twccFirst   int
}

func (l *rtcpLog) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerNack:
			for _, n := range p.Nacks {
				l.nacks = append(l.nacks, n.PacketList()...)
			}
		case *rtcp.TransportLayerCC:
			if l.twcc == 0 {
				l.twccFirst = int(p.BaseSequenceNumber)
			}
			l.twcc++
			for _, d := range p.RecvDeltas {
				if d != nil {
					l.twccPackets++
				}
			}
		}
	}
	return len(pkts), nil
}

func (l *rtcpLog) snapshot() (nacks []uint16, twcc, twccPackets int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]uint16(nil), l.nacks...), l.twcc, l.twccPackets
}

// directRecvRig is a direct receive path as a direct-SRTP PeerConnection
// has it (the SFU's chain bracketed by recvSource and recvTap), a VP8
// layer of SSRC 0xdead bound to it with one down track, and a publisher's
// SRTP context for the same keys.
type directRecvRig struct {
	demux   *recvDemux
	recv    *directRecv
	from    netip.AddrPort
	layer   *Layer
	dt      *DownTrack // the layer's, SSRC 1, bound as Pion binds it
	down    *recordingWriter
	rtcp    *rtcpLog
	enc     *srtp.Context
	count   atomic.Uint64
	dropped atomic.Uint64
	// rtcpCount counts SRTCP taken; est is the chain's estimator.
	rtcpCount atomic.Uint64
	est       atomic.Pointer[bwe.SendSide]
	seq       uint16
}

const twccExtID = 3

func newDirectRecvRig(tb testing.TB) *directRecvRig {
	tb.Helper()
	rig := &directRecvRig{demux: newRecvDemux(), from: netip.MustParseAddrPort("192.0.2.9:40000"),
		down: &recordingWriter{}, rtcp: &rtcpLog{}}
	rig.recv = newDirectRecv(&rig.count, &rig.dropped, &rig.rtcpCount)
	m, err := newMediaEngine()
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := newInterceptors(m, new(atomic.Uint64), recvSource{}, nil, func(_ string, e *bwe.SendSide) { rig.est.Store(e) })
	if err != nil {
		tb.Fatal(err)
	}
	reg.Add(&recvTap{recv: rig.recv})
	chain, err := reg.Build("pc")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = chain.Close() })
	chain.BindRTCPWriter(rig.rtcp)
	// Pion binds an RTCP reader per sender and receiver: none of what the
	// direct path decrypts may be read from Pion's SRTCP streams.
	chain.BindRTCPReader(interceptor.RTCPReaderFunc(func([]byte, interceptor.Attributes) (int, interceptor.Attributes, error) {
		tb.Error("a direct RTCP packet was read from Pion's stream")
		return 0, nil, errDirectConsumed
	}))
	info := &interceptor.StreamInfo{
		SSRC: 0xdead, PayloadType: 96, MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccExtID}},
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "transport-cc"}, {Type: "nack"}},
	}
	chain.BindRemoteStream(info, interceptor.RTPReaderFunc(func([]byte, interceptor.Attributes) (int, interceptor.Attributes, error) {
		tb.Error("a direct packet was read from Pion's stream")
		return 0, nil, errDirectConsumed
	}))
	k := testKeys(tb, srtp.ProtectionProfileAeadAes128Gcm)
	k.RemoteKey, k.RemoteSalt = k.LocalKey, k.LocalSalt // the publisher's write key
	if err := rig.recv.arm(k); err != nil {
		tb.Fatal(err)
	}
	if rig.enc, err = srtp.CreateContext(k.LocalKey, k.LocalSalt, k.Profile); err != nil {
		tb.Fatal(err)
	}
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	rig.layer = r.layer(0)
	rig.layer.ssrc = 0xdead
	rig.dt = bindTestDownTrack(r, 1, rig.down)
	rig.recv.addSender(1, rig.dt)
	rig.recv.bindLayer(rig.layer)
	loop := make(chan struct{})
	go func() {
		defer close(loop)
		rig.layer.runDirect()
	}()
	tb.Cleanup(func() {
		rig.recv.unbindLayer(rig.layer)
		<-loop
	})
	rig.demux.route(rig.recv, rig.from)
	return rig
}

// forwarded is how many packets the layer's down track was given.
func (rig *directRecvRig) forwarded() int {
	rig.down.mu.Lock()
	defer rig.down.mu.Unlock()
	return rig.down.count
}

// packet encrypts the publisher's next VP8 packet (a keyframe's, 1100
// bytes, as forwardPacket) with its transport-wide sequence number.
func (rig *directRecvRig) packet(tb testing.TB) []byte {
	tb.Helper()
	out, err := rig.enc.EncryptRTP(nil, rig.plain(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// plain is the publisher's next packet unencrypted, as Pion's path gives
// it to the layer's read loop.
func (rig *directRecvRig) plain(tb testing.TB) []byte {
	tb.Helper()
	rig.seq++
	h := rtp.Header{Version: 2, SequenceNumber: rig.seq, Timestamp: 90000 * uint32(rig.seq), SSRC: 0xdead, PayloadType: 96, Marker: true}
	tcc, _ := (&rtp.TransportCCExtension{TransportSequence: rig.seq}).Marshal()
	if err := h.SetExtension(twccExtID, tcc); err != nil {
		tb.Fatal(err)
	}
	raw, err := (&rtp.Packet{Header: h, Payload: vp8PicturePayload(rig.seq, true, true, 1100)}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// waitFor polls cond until it holds or the generous deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second) // generous: a loaded 2-core CI machine
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDirectReceive: the shared socket's tap takes an SRTP packet of a
// bound stream from the association's address, decrypts it and the layer
// forwards it; the chain's NACK generator asks for a gap and its
// transport-wide CC feedback reports the packets, both toward the
// publisher; what is not the association's SRTP goes on to Pion.
func TestDirectReceive(t *testing.T) {
	rig := newDirectRecvRig(t)
	for range 5 {
		if !rig.demux.Take(rig.packet(t), rig.from) {
			t.Fatal("a bound stream's packet went to Pion")
		}
	}
	rig.seq += 2 // 6 and 7 are lost
	for range 5 {
		if !rig.demux.Take(rig.packet(t), rig.from) {
			t.Fatal("a bound stream's packet went to Pion")
		}
	}
	if rig.count.Load() != 10 {
		t.Fatalf("received %d direct, want 10", rig.count.Load())
	}
	waitFor(t, "the layer forwarding the 10 packets", func() bool {
		return rig.forwarded() == 10 && rig.layer.r.stats.PacketsIn.Load() == 10
	})
	waitFor(t, "a NACK for 6 and 7 and feedback on 10 packets", func() bool {
		nacks, twcc, pkts := rig.rtcp.snapshot()
		return len(nacks) >= 2 && nacks[0] == 6 && nacks[1] == 7 && twcc > 0 && pkts >= 10
	})
	enc := rig.packet(t)
	rtcpPkt := append([]byte(nil), enc...)
	rtcpPkt[1] = 200 // a sender report's packet type: RTCP, RFC 5761 §4
	stun := append([]byte{0, 1}, enc[2:]...)
	other := append([]byte(nil), enc...)
	other[8] ^= 0xff // an SSRC no layer has
	for _, c := range []struct {
		name string
		b    []byte
		from netip.AddrPort
	}{
		{"RTCP", rtcpPkt, rig.from},
		{"STUN", stun, rig.from},
		{"unknown SSRC", other, rig.from},
		{"another address", enc, netip.MustParseAddrPort("192.0.2.9:40001")},
	} {
		if rig.demux.Take(c.b, c.from) {
			t.Errorf("%s: taken, want it left to Pion", c.name)
		}
	}
	// The association's end: its packets go to Pion (which drops them).
	rig.demux.route(rig.recv, netip.AddrPort{})
	if rig.demux.Take(enc, rig.from) {
		t.Error("taken after the association was unrouted")
	}
}

// TestDirectReceiveCryptex: a publisher that encrypts its header
// extensions (RFC 9335, which Pion negotiates) is received directly, and
// the chain reads the extensions decrypted: the feedback reports its
// transport-wide numbers 1 to 10.
func TestDirectReceiveCryptex(t *testing.T) {
	rig := newDirectRecvRig(t)
	k := testKeys(t, srtp.ProtectionProfileAeadAes128Gcm)
	var err error
	if rig.enc, err = srtp.CreateContext(k.LocalKey, k.LocalSalt, k.Profile, srtp.Cryptex(srtp.CryptexModeEnabled)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		p := rig.packet(t)
		if p[12] != 0xc0 || p[13] != 0xde {
			t.Fatalf("extension profile %#x%x, want cryptex's 0xc0de", p[12], p[13])
		}
		if !rig.demux.Take(p, rig.from) {
			t.Fatal("a cryptex packet went to Pion")
		}
	}
	waitFor(t, "feedback on transport-wide numbers 1 to 10", func() bool {
		rig.rtcp.mu.Lock()
		defer rig.rtcp.mu.Unlock()
		return rig.rtcp.twccPackets == 10 && rig.rtcp.twccFirst == 1 && rig.forwarded() == 10
	})
}

// TestDirectReceiveLeavesUndecryptableToPion: a stream whose first packets
// the direct context cannot decrypt (keys or a rollover counter it does
// not share) stays on Pion's path.
func TestDirectReceiveLeavesUndecryptableToPion(t *testing.T) {
	rig := newDirectRecvRig(t)
	k := testKeys(t, srtp.ProtectionProfileAeadAes128Gcm)
	k.LocalKey[0] ^= 1
	var err error
	if rig.enc, err = srtp.CreateContext(k.LocalKey, k.LocalSalt, k.Profile); err != nil {
		t.Fatal(err)
	}
	for i := range maxDirectFails + 2 {
		if rig.demux.Take(rig.packet(t), rig.from) {
			t.Fatalf("packet %d taken though it does not decrypt", i)
		}
	}
	if rig.count.Load() != 0 || len(rig.layer.in.queue) != 0 {
		t.Fatalf("received %d, queued %d: want nothing", rig.count.Load(), len(rig.layer.in.queue))
	}
}

// TestDirectReceiveNoAllocs: a packet from the socket to the layer's down
// tracks allocates nothing, the chain and the hand-off to the layer's
// direct loop included (AllocsPerRun counts every goroutine's).
func TestDirectReceiveNoAllocs(t *testing.T) {
	rig := newDirectRecvRig(t)
	const runs, warm = 200, 600
	pkts := make([][]byte, warm+runs+1)
	for i := range pkts {
		pkts[i] = rig.packet(t)
	}
	// Warm-up: the packet cache's 512 slots are made as first filled,
	// the header's extensions once.
	// One packet at a time, as a publisher's arrive: the loop forwards
	// each before the next comes (a spin: no timer, no allocation).
	next := 0
	take := func() {
		if !rig.demux.Take(pkts[next], rig.from) {
			t.Fatal("not taken")
		}
		next++
		for rig.forwarded() < next && rig.dropped.Load() == 0 {
			runtime.Gosched()
		}
	}
	for range warm {
		take()
	}
	allocs := testing.AllocsPerRun(runs, take)
	if allocs != 0 || rig.dropped.Load() != 0 {
		t.Fatalf("a direct packet allocates %.1f times (%d dropped)", allocs, rig.dropped.Load())
	}
}

// TestDirectReceiveQueueFull: a layer whose direct loop does not keep up
// (blocked in a write) loses what its queue cannot hold, counted, and the
// socket's read loop goes on.
func TestDirectReceiveQueueFull(t *testing.T) {
	rig := newDirectRecvRig(t)
	rig.down.mu.Lock() // the direct loop blocks in its first packet's write
	for range directQueueLen + 10 {
		if !rig.demux.Take(rig.packet(t), rig.from) {
			t.Fatal("not taken")
		}
	}
	rig.down.mu.Unlock()
	// The loop held one packet and the queue directQueueLen; of the
	// rest, at least 9 were dropped (one more may have fitted while the
	// loop took its first).
	if d := rig.dropped.Load(); d < 9 || d > 10 {
		t.Fatalf("dropped %d, want 9 or 10", d)
	}
	waitFor(t, "the queue forwarded", func() bool { return uint64(rig.forwarded())+rig.dropped.Load() == directQueueLen+10 })
}

// TestLayerOneOwner: with a direct path, what the layer's read loop gets
// from Pion's path (a stream's first packets, an RTX stream not yet bound)
// is handed to the direct loop, the one goroutine that handles the layer's
// packets, so the two never run handlePacket at once without a lock (the
// race detector would say so); each packet, direct or Pion's, is handled
// once. Without a direct path the read loop handles its packet at once.
func TestLayerOneOwner(t *testing.T) {
	rig := newDirectRecvRig(t)
	const each = 150 // more than the queue holds: the read loop waits
	direct, pion := make([][]byte, each), make([][]byte, each)
	for i := range each {
		direct[i], pion[i] = rig.packet(t), rig.plain(t)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, p := range direct {
			if !rig.demux.Take(p, rig.from) {
				t.Error("a bound stream's packet went to Pion")
			}
		}
	})
	wg.Go(func() {
		var pkt rtp.Packet
		for _, p := range pion {
			rig.layer.receive(&pkt, p)
		}
	})
	wg.Wait()
	waitFor(t, "every packet handled once", func() bool {
		return rig.layer.r.stats.PacketsIn.Load()+rig.dropped.Load() == 2*each
	})
	if d := rig.dropped.Load(); d > each {
		t.Fatalf("dropped %d: more than the direct path's %d, so some of Pion's were lost", d, each)
	}

	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	w := &recordingWriter{}
	bindTestDownTrack(r, 1, w)
	var pkt rtp.Packet
	r.layer(0).receive(&pkt, rig.plain(t))
	if got := r.stats.PacketsIn.Load(); got != 1 || w.count != 1 {
		t.Fatalf("without a direct path: handled %d, forwarded %d, want 1 and 1 at once", got, w.count)
	}
}

// BenchmarkDirectReceive: one packet from the socket's read to its one
// down track, each forwarded before the next is read.
func BenchmarkDirectReceive(b *testing.B) {
	rig := newDirectRecvRig(b)
	pkts := make([][]byte, 4096)
	for i := range pkts {
		pkts[i] = rig.packet(b)
	}
	b.ReportAllocs()
	i, sent := 0, 0
	for b.Loop() {
		if i == len(pkts) {
			b.StopTimer()
			for j := range pkts {
				pkts[j] = rig.packet(b)
			}
			i = 0
			b.StartTimer()
		}
		rig.demux.Take(pkts[i], rig.from)
		i++
		sent++
		for rig.forwarded() < sent && rig.dropped.Load() == 0 {
			runtime.Gosched()
		}
	}
}

func TestUnwrapRTX(t *testing.T) {
	build := func(payload []byte, padding byte, ext bool) []byte {
		h := rtp.Header{Version: 2, PayloadType: 97, SequenceNumber: 500, SSRC: 0xbeef, Timestamp: 9}
		if ext {
			_ = h.SetExtension(twccExtID, []byte{1, 2})
		}
		if padding > 0 {
			h.Padding, h.PaddingSize = true, padding
		}
		raw, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, c := range []struct {
		name    string
		raw     []byte
		keep    bool
		payload []byte
	}{
		{"retransmission", build([]byte{0x12, 0x34, 7, 8, 9}, 0, false), true, []byte{7, 8, 9}},
		{"with an extension", build([]byte{0x12, 0x34, 7}, 0, true), true, []byte{7}},
		{"probe: padding only", build(nil, 200, true), false, nil},
		{"an empty packet's retransmission", build([]byte{0x12, 0x34}, 4, false), true, []byte{}},
		{"truncated", []byte{0x90, 97, 0, 1}, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, keep := unwrapRTX(c.raw, 96, 0xdead)
			if keep != c.keep {
				t.Fatalf("kept %v, want %v", keep, c.keep)
			}
			if !keep {
				return
			}
			var p rtp.Packet
			if err := p.Unmarshal(out); err != nil {
				t.Fatal(err)
			}
			if p.SequenceNumber != 0x1234 || p.SSRC != 0xdead || p.PayloadType != 96 || string(p.Payload) != string(c.payload) {
				t.Fatalf("got seq %#x ssrc %#x pt %d payload %v", p.SequenceNumber, p.SSRC, p.PayloadType, p.Payload)
			}
		})
	}
}
