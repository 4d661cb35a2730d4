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
		d.handleRTCP(pkts, time.Now().UnixNano())
	}
}

// handleRTCP acts on the packets of one compound RTCP packet from the
// subscriber, received at now (ns): PLI and FIR (RFC 4585 §6.3.1, RFC 5104
// §4.3.1) become keyframe requests, generic NACKs are answered, receiver
// reports feed connection quality; the rest (REMB, transport-wide
// feedback) is the interceptors'. Any packet shows the subscriber is there.
func (d *DownTrack) handleRTCP(pkts []rtcp.Packet, now int64) {
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
			d.requestKeyframe()
		case *rtcp.TransportLayerNack:
			d.handleNACK(pkt, now)
		}
	}
}

// handleNACK answers a generic NACK (RFC 4585 §6.2.1) at now (ns): each
// packet it names is resent from the shared cache unless package resend's
// limits hold it back.
func (d *DownTrack) handleNACK(pkt *rtcp.TransportLayerNack, now int64) {
	d.rcv.stats.NACKsReceived.Add(1)
	if d.sub.relay == RelayEgress {
		d.rcv.stats.RelayNACKsIn.Add(1)
	}
	for _, pair := range pkt.Nacks {
		pair.Range(func(seq uint16) bool {
			if d.resendAllowed(seq, now) {
				d.retransmit(seq)
			}
			return true
		})
	}
	d.flusher.flush()
}

// resendAllowed applies package resend's limits to a NACKed packet. The
// limiter is made at the first NACK: most tracks on a clean link never
// see one.
func (d *DownTrack) resendAllowed(seq uint16, now int64) bool {
	if d.resends == nil {
		d.resends = new(resend.Limiter)
	}
	if d.resends.Allow(seq, now) {
		return true
	}
	d.rcv.stats.RetransmitsSkipped.Add(1)
	return false
}

// retransmit resends the packet the subscriber knows as outSeq (RFC 4585
// §6.2.1) from the shared cache of the layer it came from, rewritten as it
// was first sent (admitRetransmit).
func (d *DownTrack) retransmit(outSeq uint16) {
	out, payload, ok := d.admitRetransmit(outSeq)
	if !ok {
		return
	}
	if !d.sub.rtxBudget.take(len(payload)) {
		d.rcv.stats.RetransmitsSkipped.Add(1)
		return
	}
	n, err := out.emit(&d.rtx, &d.rtxPkt.Header, payload)
	if err == nil {
		d.rcv.stats.PacketsRetransmitted.Add(1)
		d.sub.sent.Add(uint64(n))
		d.sub.rtxSent.Add(uint64(n))
	}
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
		var n int
		if n, err = out.emit(&d.pad, nil, nil); err != nil || n == 0 {
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
		d.flusher.flush()
	}
	return sent, err
}
