package sfu

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// The direct receive path's SRTCP (issue #13, "Fewer hand-offs on the way
// in"). On Pion's path a subscriber's RTCP packet (receiver reports,
// NACKs, PLIs, transport-wide feedback) is handed from the UDP mux's read
// loop to the ICE candidate's, Pion's mux, the SRTCP session's and then
// the goroutine reading the sender's RTCP: four wakeups. Here the shared
// socket's read loop decrypts it with the association's context, runs the
// PeerConnection's RTCP interceptor chain on each of its packets (the
// chain's readers are alike: they carry no stream of their own, see
// recvTap) and hands the result to what the packet is addressed to, as
// Pion's SRTCP session routes it (each packet of the compound by its
// destination SSRCs): the DownTrack that sends that SSRC (handleRTCP, the
// same handling as its RTCP reader's) or the layer that receives it (a
// publisher's sender report: it is there). No hand-off at all.
//
// Until the association's keys are known, and for what comes on a pair
// the tap does not see (ICE-TCP), Pion's path reads SRTCP as before: the
// SRTCP index travels in each packet (RFC 3711 §3.4), so unlike SRTP's
// rollover counter nothing is lost when the two paths take turns.

// srtcpReplayWindow is Pion's SRTCP session's replay window, in packets.
const srtcpReplayWindow = 64

// recvRTCP is the SRTCP state of one association's direct receive path.
type recvRTCP struct {
	// chain is the PeerConnection's RTCP interceptor chain, as recvTap
	// first saw it bound.
	chain atomic.Pointer[interceptor.RTCPReader]
	// senders are the DownTracks by the SSRC they send (bound by Pion).
	senders atomic.Pointer[map[uint32]*DownTrack]
	pion    atomic.Bool // never decrypted here: left to Pion's path
	// received counts the compound packets decrypted here
	// (Stats.DirectSRTCPReceived).
	received *atomic.Uint64

	mu      sync.Mutex // one packet at a time: the scratch below
	ok      bool       // a packet decrypted: failures are dropped, not Pion's
	fails   int
	plain   []byte // the compound packet decrypted
	out     []byte // the chain's buffer
	raw     []rtcp.RawPacket
	dests   []uint32
	all     []uint32 // the compound's destinations
	pending []byte   // the packet in hand for recvSource, nil none
	attrs   interceptor.Attributes
}

// rtcpInHand is what recvSource returns to a direct RTCP read.
type rtcpInHand struct{ r *recvRTCP }

// addSender routes the RTCP about ssrc to d; called as Pion binds d.
func (r *directRecv) addSender(ssrc uint32, d *DownTrack) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := maps.Clone(*r.rtcp.senders.Load())
	m[ssrc] = d
	r.rtcp.senders.Store(&m)
}

// removeSender forgets ssrc's DownTrack if it is still d.
func (r *directRecv) removeSender(ssrc uint32, d *DownTrack) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if (*r.rtcp.senders.Load())[ssrc] != d {
		return
	}
	m := maps.Clone(*r.rtcp.senders.Load())
	delete(m, ssrc)
	r.rtcp.senders.Store(&m)
}

// takeRTCP handles one SRTCP packet from the association's selected remote
// address, or declines it (false) for Pion's path.
func (r *directRecv) takeRTCP(b []byte) bool {
	c := r.cipher.Load()
	chain := r.rtcp.chain.Load()
	if c == nil || chain == nil || r.rtcp.pion.Load() || len(b) > packetcache.MaxPacketSize {
		return false
	}
	in := &r.rtcp
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.plain == nil {
		in.plain = make([]byte, packetcache.MaxPacketSize)
		in.out = make([]byte, packetcache.MaxPacketSize)
		in.attrs = interceptor.Attributes{}
	}
	c.mu.Lock()
	plain, err := c.ctx.DecryptRTCP(in.plain[:0], b, nil)
	c.mu.Unlock()
	if err != nil {
		if !in.ok {
			if in.fails++; in.fails >= maxDirectFails {
				in.pion.Store(true)
			}
		}
		// Once SRTCP is direct a failure is dropped, as Pion would: its
		// context, behind ours, would take a replay.
		return in.ok
	}
	in.ok = true
	in.received.Add(1)
	if in.raw, err = rtcp.AppendRawPackets(in.raw[:0], plain); err != nil {
		return true // not RTCP: dropped, as Pion's session would
	}
	in.all = in.all[:0]
	for _, p := range in.raw {
		n := len(in.all)
		if in.all, err = p.ParseDestinationSSRC(in.all); err != nil {
			in.all = in.all[:n]
		}
	}
	in.all = dedupe(in.all)
	for _, p := range in.raw {
		r.deliverRTCP(*chain, p)
	}
	return true
}

// deliverRTCP runs one packet of a compound through the chain and hands it
// to the DownTracks and layers it is addressed to: its destination SSRCs,
// or the compound's where it names none (Pion's SRTCP session's rule).
// Addressed to none the SFU knows, it is dropped, as Pion's session leaves
// it to a stream nobody reads.
func (r *directRecv) deliverRTCP(chain interceptor.RTCPReader, p rtcp.RawPacket) {
	in := &r.rtcp
	var err error
	if in.dests, err = p.ParseDestinationSSRC(in.dests[:0]); err != nil {
		return
	}
	dests := dedupe(in.dests)
	if len(dests) == 0 {
		dests = in.all
	}
	senders, streams := *in.senders.Load(), *r.streams.Load()
	if !slices.ContainsFunc(dests, func(s uint32) bool { return senders[s] != nil || streams[s] != nil }) {
		return
	}
	clear(in.attrs)
	in.attrs[directKey{}] = rtcpInHand{in}
	in.pending = p
	n, a, err := chain.Read(in.out, in.attrs)
	in.pending = nil
	if err != nil {
		return // read past (transport-wide feedback, taken by the chain), or refused
	}
	if a == nil {
		a = in.attrs
	}
	pkts, err := a.GetRTCPPackets(in.out[:n])
	if err != nil {
		return
	}
	for _, ssrc := range dests {
		if d := senders[ssrc]; d != nil {
			d.handleRTCPOn(pkts, d.clock.Now().UnixNano(), true)
		} else if st := streams[ssrc]; st != nil {
			// A muted publisher still sends sender reports: it is
			// there (Receiver.drainRTCP on Pion's path).
			if bd := st.bind.Load(); bd != nil && !bd.rtx {
				bd.layer.up.lastAt.Store(bd.layer.clock.Now().UnixNano())
			}
		}
	}
}

// dedupe sorts ssrcs and removes repeats, in place.
func dedupe(ssrcs []uint32) []uint32 {
	if len(ssrcs) < 2 {
		return ssrcs
	}
	slices.Sort(ssrcs)
	return slices.Compact(ssrcs)
}
