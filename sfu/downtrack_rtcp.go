package sfu

import (
	"errors"
	"io"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/resend"
)

// readRTCP handles what the subscriber says about this track until the
// sender stops: keyframe requests go to the publisher (throttled), NACKs are
// answered from the shared cache.
func (d *DownTrack) readRTCP() {
	buf := make([]byte, packetcache.MaxPacketSize)
	for {
		n, a, err := d.sender.Read(buf)
		if err != nil {
			if errors.Is(err, io.ErrShortBuffer) {
				continue
			}
			return
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		// The interceptors (reports, transport-wide CC) have parsed it
		// already: their parse is kept in the attributes.
		pkts, err := a.GetRTCPPackets(buf[:n])
		if err != nil {
			continue
		}
		d.handleRTCP(pkts, d.clock.Now().UnixNano())
	}
}

// handleRTCP acts on the packets of one compound RTCP packet from the
// subscriber, received at now (ns): PLI and FIR (RFC 4585 §6.3.1, RFC 5104
// §4.3.1) become keyframe requests, generic NACKs are answered, receiver
// reports feed connection quality; the rest (REMB, transport-wide
// feedback) is the interceptors'. Any packet shows the subscriber is there.
// Two goroutines call it, taking turns on rtcpMu (answering NACKs uses
// d.rtx): the track's RTCP reader, for what Pion's path reads, and with
// direct SRTP the shared socket's read loop (directsrtp_rtcp.go). The
// answers leave after rtcpMu is released: no lock is held across the send.
func (d *DownTrack) handleRTCP(pkts []rtcp.Packet, now int64) {
	d.handleRTCPOn(pkts, now, false)
}

// handleRTCPOn is handleRTCP; readLoop: called by the shared socket's read
// loop, where the keyframe requests to the publisher must not be waited
// on (askKeyframe). The NACK answers go to this subscriber on the batched
// socket its RTCP came from: a wait there is sendto(2)'s on a full buffer.
func (d *DownTrack) handleRTCPOn(pkts []rtcp.Packet, now int64, readLoop bool) {
	answered := false
	d.rtcpMu.Lock()
	d.rtcpInReadLoop = readLoop
	d.down.lastAt.Store(now)
	for _, pkt := range pkts {
		switch pkt := pkt.(type) {
		case *rtcp.ReceiverReport:
			d.mu.Lock()
			ssrc := d.ssrc
			d.mu.Unlock()
			d.down.observeReport(pkt, ssrc, time.Unix(0, now))
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			d.rcv.stats.PLIsReceived.Add(1)
			d.askKeyframe()
		case *rtcp.TransportLayerNack:
			d.handleNACK(pkt, now)
			answered = true
		}
	}
	d.rtcpMu.Unlock()
	if answered {
		d.flusher.Flush()
	}
}

// handleNACK answers a generic NACK (RFC 4585 §6.2.1) at now (ns): each
// packet it names is resent from the shared cache unless package resend's
// limits or the retransmission budget hold it back. A packet of the layer
// forwarded that the subscriber will not get in time is lost: its decoder
// waits for a keyframe, and lostPacket gets it one at once. Under rtcpMu;
// the caller flushes the answers.
func (d *DownTrack) handleNACK(pkt *rtcp.TransportLayerNack, now int64) {
	d.rcv.stats.NACKsReceived.Add(1)
	if d.sub.relay == RelayEgress {
		d.rcv.stats.RelayNACKsIn.Add(1)
	}
	if d.rtx == nil {
		d.rtx = &rtxState{buf: make([]byte, packetcache.MaxPacketSize)}
	}
	lost, anyLost := uint16(0), false
	for _, pair := range pkt.Nacks {
		pair.Range(func(seq uint16) bool {
			if !d.forwarded(seq) {
				// Not sent to the subscriber: padding, a packet of a layer
				// before the last switch, or one the SFU has not had yet
				// (lost on the publisher's uplink, its repair perhaps on
				// the way, and forwarded as it comes). It starts no clock
				// in resend's Limiter: there, it starved for StarveAfter
				// while the repair came, and the subscriber's next NACK,
				// crossing the forwarded repair, had it declared lost and
				// a keyframe asked for, on every upstream loss repaired
				// slower than StarveAfter.
				d.rcv.stats.RetransmitsSkipped.Add(1)
				return true
			}
			switch d.rtx.resends.Check(seq, now) {
			case resend.Resend:
				if d.retransmit(seq) {
					d.rtx.resends.Sent(seq, now)
					return true
				}
			case resend.Lost:
				// The newest: a keyframe sent after it is after all of
				// them.
				if !anyLost || int16(seq-lost) > 0 {
					lost, anyLost = seq, true
				}
			}
			d.rcv.stats.RetransmitsSkipped.Add(1)
			return true
		})
	}
	if anyLost {
		d.lostPacket(lost, now)
	}
}

// retransmit resends the packet the subscriber knows as outSeq (RFC 4585
// §6.2.1) from the shared cache of the layer it came from, rewritten as it
// was first sent (admitRetransmit), if the retransmission budget allows.
// It reports whether the packet went.
func (d *DownTrack) retransmit(outSeq uint16) bool {
	out, payload, ok := d.admitRetransmit(outSeq)
	if !ok || !d.sub.rtxBudget.take(len(payload)) {
		return false
	}
	n, err := out.emit(&d.rtx.sc, &d.rtx.pkt.Header, payload)
	if err != nil {
		return false
	}
	d.rcv.stats.PacketsRetransmitted.Add(1)
	d.sub.sent.Add(uint64(n))
	d.sub.rtxSent.Add(uint64(n))
	return true
}

// sendPadding sends count padding-only packets (RFC 3550 §5.1) on this
// track, each with maxPadding bytes, so the subscriber's bandwidth estimate
// can rise above what the media alone sends, as admitPadding allows. It
// returns how many were sent, and why it stopped short: errPaddingLater
// when this is not the moment (a later burst may pad), another error when
// it cannot pad at all. Called only by the subscriber's bwe goroutine.
func (d *DownTrack) sendPadding(count int) (int, error) {
	sent := 0
	var err error
	for range count {
		if !d.bound.Load() {
			err = errNotForwarding
			break
		}
		var out outPacket
		if out, err = d.admitPadding(); err != nil {
			break
		}
		if d.pad == nil {
			d.pad = new(emitScratch)
		}
		var n int
		if n, err = out.emit(d.pad, nil, nil); err != nil || n == 0 {
			if err == nil {
				err = errNotForwarding // Pion drops writes until SRTP is up
			}
			break
		}
		d.sub.sent.Add(uint64(n))
		d.sub.paddingSent.Add(uint64(n))
		sent++
	}
	if sent > 0 {
		d.rcv.stats.PaddingPackets.Add(uint64(sent))
		d.flusher.Flush()
	}
	return sent, err
}
