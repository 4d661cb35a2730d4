package sfu

import (
	"encoding/binary"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/srtpkeys"
)

// directRecv is the direct receive path of one direct-SRTP PeerConnection
// (issue #13, "Fewer hand-offs on the way in"). Pion hands each publisher
// packet through five goroutines: the UDP mux's read loop, the ICE
// candidate's, Pion's mux, the SRTP session's, the layer's read loop. Here
// the shared socket's read loop (recvDemux, a udpbatch.Tap) decrypts an
// SRTP packet of a stream bound to a layer itself, with the association's
// remote key (the client's write key, RFC 5764 §4.2), drives the stream's
// interceptor chain (directsrtp_chain.go) there, so that transport-wide CC
// stamps its arrival as it is read, and queues it for the layer's direct
// loop (layer_in.go): one hand-off.
//
// SRTCP is taken too (directsrtp_rtcp.go). What stays Pion's: STUN, DTLS,
// and every RTP packet until its stream is bound to a layer (simulcast
// layers are told apart by the rid extension of their first packets,
// which Pion reads) or of a stream never bound (an RTX stream before the
// layer it repairs). A stream goes direct
// at the first of its packets the direct context decrypts, and stays
// direct: Pion's SRTP context no longer sees it (as on the send side).
type directRecv struct {
	cipher atomic.Pointer[recvCipher]

	mu      sync.Mutex // writers of streams, layers and rtcp.senders
	streams atomic.Pointer[map[uint32]*recvStream]
	layers  atomic.Pointer[[]*Layer] // bound, for RTX streams to find theirs

	rtcp recvRTCP // SRTCP (directsrtp_rtcp.go)

	received *atomic.Uint64 // Stats.DirectSRTPReceived
	dropped  *atomic.Uint64 // Stats.DirectSRTPDropped: a layer's queue was full
	// bufs holds packet buffers (packetcache.MaxPacketSize), from the
	// decryption to the layer's direct loop, which puts them back.
	bufs sync.Pool
}

// recvCipher is the association's SRTP context for what the client sends.
// A context is not safe for concurrent use: two sockets' read loops may
// carry one association's packets while ICE moves (rare), hence mu.
type recvCipher struct {
	mu  sync.Mutex
	ctx *srtp.Context
}

// recvStream is one remote SSRC as the direct path sees it: its chain
// (Pion's reader, through recvTap) and its scratch. mu serialises its
// packets (the socket read loops, one at a time).
type recvStream struct {
	ssrc   uint32
	reader interceptor.RTPReader
	bind   atomic.Pointer[recvBinding]
	// pion: the direct context could not decrypt the stream's first
	// packets (a rollover counter Pion's context had moved past): it
	// stays on Pion's path.
	pion   atomic.Bool
	misses atomic.Uint32 // packets seen unbound, to space the look-ups

	mu      sync.Mutex
	ok      bool // a packet decrypted: the stream is direct
	fails   int  // decryption failures before any success
	pending int  // the packet in hand for recvSource, -1 none
	attrs   interceptor.Attributes
	hdr     *rtp.Header // the header cached in attrs, rewritten per packet
}

// recvBinding is the layer a stream's packets go to; rtx: the stream is
// its RTX repair stream (RFC 4588), unwrapped to the layer's payload type
// and SSRC.
type recvBinding struct {
	layer *Layer
	rtx   bool
	pt    uint8
}

// maxDirectFails is how many packets of a stream the direct context may
// fail to decrypt before it leaves the stream to Pion.
const maxDirectFails = 3

func newDirectRecv(received, dropped, rtcpReceived *atomic.Uint64) *directRecv {
	r := &directRecv{received: received, dropped: dropped}
	r.rtcp.received = rtcpReceived
	r.bufs.New = func() any {
		b := make([]byte, packetcache.MaxPacketSize)
		return &b
	}
	r.streams.Store(&map[uint32]*recvStream{})
	r.layers.Store(&[]*Layer{})
	r.rtcp.senders.Store(&map[uint32]*DownTrack{})
	return r
}

// arm creates the receive context from the association's keys: the
// client's write key and salt, with libwebrtc's replay window. It accepts
// packets whose header extensions are encrypted (RFC 9335, cryptex), which
// Pion negotiates with a client that offers it (Pion's own clients do),
// and packets whose extensions are not, as Pion's receiver does in its
// "enabled" mode; it does not refuse the latter where the client asked
// for cryptex to be required (Pion's "required" mode): authenticated all
// the same, they carry nothing the client hid.
func (r *directRecv) arm(k srtpkeys.Keys) error {
	ctx, err := srtp.CreateContext(k.RemoteKey, k.RemoteSalt, k.Profile,
		srtp.SRTPReplayProtection(srtpReplayWindow), srtp.SRTCPReplayProtection(srtcpReplayWindow),
		srtp.Cryptex(srtp.CryptexModeEnabled))
	if err != nil {
		return fmt.Errorf("%w: %w", errDirectSRTP, err)
	}
	r.cipher.CompareAndSwap(nil, &recvCipher{ctx: ctx})
	return nil
}

func (r *directRecv) addStream(ssrc uint32, reader interceptor.RTPReader) {
	st := &recvStream{ssrc: ssrc, reader: reader, pending: -1}
	st.attrs = interceptor.Attributes{directKey{}: st}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := maps.Clone(*r.streams.Load())
	m[ssrc] = st
	r.streams.Store(&m)
	for _, l := range *r.layers.Load() {
		r.tryBind(st, l)
	}
}

func (r *directRecv) removeStream(ssrc uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := maps.Clone(*r.streams.Load())
	delete(m, ssrc)
	r.streams.Store(&m)
}

// bindLayer sends l's streams (its SSRC, its RTX SSRC when known) the
// direct way from their next packet; the caller runs l.runDirect until
// unbindLayer. It reports whether there is a direct path.
func (r *directRecv) bindLayer(l *Layer) bool {
	if r == nil {
		return false
	}
	l.in.bind(&r.bufs)
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := append(append([]*Layer(nil), *r.layers.Load()...), l)
	r.layers.Store(&ls)
	for _, st := range *r.streams.Load() {
		r.tryBind(st, l)
	}
	return true
}

// unbindLayer hands l's streams back to nobody: their packets go to Pion's
// path, which no layer reads any more, and ends l's direct loop. When it
// returns the direct loop has ended: no packet is handled by l any more.
func (r *directRecv) unbindLayer(l *Layer) {
	if r == nil {
		return
	}
	r.mu.Lock()
	ls := make([]*Layer, 0, len(*r.layers.Load()))
	for _, x := range *r.layers.Load() {
		if x != l {
			ls = append(ls, x)
		}
	}
	r.layers.Store(&ls)
	for _, st := range *r.streams.Load() {
		if b := st.bind.Load(); b != nil && b.layer == l {
			st.bind.Store(nil)
		}
	}
	r.mu.Unlock()
	l.in.unbind()
}

// tryBind binds st to l if it is l's media or RTX stream; under r.mu.
func (r *directRecv) tryBind(st *recvStream, l *Layer) bool {
	switch {
	case st.ssrc == l.ssrc:
		st.bind.Store(&recvBinding{layer: l})
	case l.track != nil && st.ssrc == uint32(l.track.RtxSSRC()):
		st.bind.Store(&recvBinding{layer: l, rtx: true, pt: uint8(l.track.PayloadType())})
	default:
		return false
	}
	return true
}

// lookup binds an unbound stream to its layer, if any now knows it: Pion
// learns a simulcast layer's RTX SSRC from the repair stream's first
// packet, after the stream was opened. Tried for each of a stream's first
// 64 packets, then for one in 64.
func (r *directRecv) lookup(st *recvStream) *recvBinding {
	if n := st.misses.Add(1); n > 64 && n%64 != 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range *r.layers.Load() {
		if r.tryBind(st, l) {
			break
		}
	}
	return st.bind.Load()
}

// take handles one SRTP packet from the association's selected remote
// address, or declines it (false) for Pion's path.
func (r *directRecv) take(b []byte) bool {
	c := r.cipher.Load()
	if c == nil {
		return false
	}
	st := (*r.streams.Load())[binary.BigEndian.Uint32(b[8:12])]
	if st == nil || st.pion.Load() {
		return false
	}
	bd := st.bind.Load()
	if bd == nil {
		if bd = r.lookup(st); bd == nil {
			return false
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(b) > packetcache.MaxPacketSize {
		return st.ok // no RTP packet the SFU forwards is this long
	}
	if st.hdr == nil {
		// The chain's interceptors read the header from the attributes
		// (interceptor.Attributes.GetRTPHeader): cached once, rewritten
		// in place for each packet by the decryption.
		h, err := st.attrs.GetRTPHeader(b)
		if err != nil {
			return false
		}
		st.hdr = h
	}
	bp := r.bufs.Get().(*[]byte)
	buf := *bp
	c.mu.Lock()
	plain, err := c.ctx.DecryptRTP(buf[:0], b, st.hdr)
	c.mu.Unlock()
	if err != nil {
		r.bufs.Put(bp)
		if !st.ok {
			if st.fails++; st.fails >= maxDirectFails {
				st.pion.Store(true)
			}
		}
		// A stream gone direct drops what fails, as Pion would; one not
		// yet direct leaves it to Pion.
		return st.ok
	}
	st.ok = true
	st.pending = len(plain)
	n, _, err := st.reader.Read(buf, st.attrs)
	st.pending = -1
	if err != nil {
		r.bufs.Put(bp)
		return true // dropped by the chain (seqGuard), or not RTP
	}
	r.received.Add(1)
	raw := buf[:n]
	if bd.rtx {
		var keep bool
		if raw, keep = unwrapRTX(raw, bd.pt, bd.layer.ssrc); !keep {
			r.bufs.Put(bp)
			return true // a bandwidth probe: padding only
		}
		r.repaired(bd.layer.ssrc, buf, len(raw))
	}
	if !bd.layer.in.push(directPacket{buf: bp, n: len(raw), pool: &r.bufs}) {
		r.bufs.Put(bp)
		r.dropped.Add(1)
	}
	return true
}

// repaired drives the chain of the media stream ssrc with the packet its
// RTX stream repaired (RFC 4588), unwrapped in buf[:n]. Pion's NACK
// generator asks again for every number its stream's receive log has not
// seen, and a repair comes on the RTX stream, whose chain read it: every
// loss was asked for maxNACKsPerPacket times, each answered. Now the log
// has it, as a receiver report counts it received (RFC 3550 §6.4.1), and
// transport-wide CC ignores a number it has (the RTX packet's, recorded
// as it came). The media stream must be direct (its header scratch is
// this path's); the caller holds the RTX stream's lock, and no path takes
// the two the other way round. Pion's own path (--direct-srtp=false)
// still asks maxNACKsPerPacket times: its repair reader is Pion's.
func (r *directRecv) repaired(ssrc uint32, buf []byte, n int) {
	ms := (*r.streams.Load())[ssrc]
	if ms == nil {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if !ms.ok || ms.hdr == nil {
		return
	}
	if _, err := ms.hdr.Unmarshal(buf[:n]); err != nil {
		return
	}
	ms.pending = n
	_, _, _ = ms.reader.Read(buf, ms.attrs)
	ms.pending = -1
}
