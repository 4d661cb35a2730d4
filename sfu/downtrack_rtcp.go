package sfu

import (
	"errors"
	"io"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/switchboard-rtc/switchboard/internal/red"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/resend"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
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
	d.sub.sfu.cfg.network.sockets.flush()
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
// was first sent. Packets sent before the last layer switch are not
// answered: the subscriber has moved on to a keyframe of the new layer.
func (d *DownTrack) retransmit(outSeq uint16) {
	d.mu.Lock()
	inSeq, ok := d.rw.Source(outSeq)
	l := d.rcv.layer(d.current)
	d.mu.Unlock()
	if !ok || l == nil {
		return
	}
	n, ok := l.cache.Get(inSeq, d.rtxBuf)
	if !ok || d.rtxPkt.Unmarshal(d.rtxBuf[:n]) != nil {
		return
	}
	d.mu.Lock()
	ts := d.rw.Timestamp(d.rtxPkt.Timestamp)
	ssrc, pt, w, extMap := d.ssrc, d.pt, d.writer, d.extMap
	payload := d.rtxPkt.Payload
	if d.unwrapRED {
		primary, _, err := red.Primary(payload)
		if err != nil {
			d.mu.Unlock()
			return
		}
		payload = primary
	}
	if d.munger != nil {
		// The copy is ours: munge it as it was first sent, no restore.
		if vp8.Parse(d.rtxPkt.Payload, &d.rtxDesc) != nil {
			d.mu.Unlock()
			return
		}
		if _, ok := d.munger.Munge(d.rtxPkt.Payload, &d.rtxDesc); !ok {
			d.mu.Unlock()
			return
		}
	}
	d.mu.Unlock()
	h := &d.rtxPkt.Header
	orig := *h
	h.SSRC, h.PayloadType, h.SequenceNumber, h.Timestamp = ssrc, pt, outSeq, ts
	h.Padding, h.PaddingSize = false, 0
	rewriteExtensions(h, &orig, extMap, d.rtxExt[:0])
	n, err := w.WriteRTP(h, payload)
	// Give Unmarshal its own extension array back, apart from rtxExt.
	*h = orig
	if err == nil {
		d.rcv.stats.PacketsRetransmitted.Add(1)
		d.sub.sent.Add(uint64(n))
		d.sub.rtxSent.Add(uint64(n))
	}
}

// sendPadding sends count padding-only packets (RFC 3550 §5.1) on this
// track, each with maxPadding bytes, so the subscriber's bandwidth estimate
// can rise above what the media alone sends. It returns how many were
// sent. Called only by the subscriber's bwe goroutine.
func (d *DownTrack) sendPadding(count int) int {
	sent := 0
	for range count {
		if !d.bound.Load() {
			return sent
		}
		d.mu.Lock()
		if d.current < 0 || d.midFrame {
			// Padding takes a sequence number: between two packets of a
			// frame it splits the frame, which the receiver then never
			// assembles (libwebrtc drops it and waits for a keyframe:
			// a 3 s freeze at 600 kbit/s). Only between frames.
			d.mu.Unlock()
			return sent
		}
		seq, ts, ok := d.rw.Insert()
		ssrc, pt, w := d.ssrc, d.pt, d.writer
		d.mu.Unlock()
		if !ok {
			return sent
		}
		h := &d.padHdr
		*h = rtpHeaderForPadding(ssrc, pt, seq, ts, d.padExt[:0])
		// No payload: the marshaller appends PaddingSize octets, the last
		// of which counts them (RFC 3550 §5.1).
		n, err := w.WriteRTP(h, nil)
		if err != nil || n == 0 {
			return sent
		}
		d.sub.sent.Add(uint64(n))
		d.sub.paddingSent.Add(uint64(n))
		sent++
	}
	d.rcv.stats.PaddingPackets.Add(uint64(sent))
	d.sub.sfu.cfg.network.sockets.flush()
	return sent
}

func rtpHeaderForPadding(ssrc uint32, pt uint8, seq uint16, ts uint32, ext []rtp.Extension) rtp.Header {
	return rtp.Header{
		Version: 2, Padding: true, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc,
		PaddingSize: maxPadding, Extensions: ext,
	}
}
