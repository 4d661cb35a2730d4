package sfu

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/rewriter"
)

// DownTrack sends one published track to one subscriber. It is a TrackLocal
// of its own, not a shared TrackLocalStaticRTP, so that it can rewrite SSRC,
// sequence numbers, timestamps and header-extension IDs for its subscriber.
type DownTrack struct {
	rcv         *Receiver
	sub         *Participant
	transceiver *webrtc.RTPTransceiver // set and read on sub's run goroutine
	sender      *webrtc.RTPSender

	bound atomic.Bool

	mu      sync.Mutex // guards the fields Bind sets and the rewriter
	ssrc    uint32
	pt      uint8
	writer  webrtc.TrackLocalWriter
	extMap  []extensionMapping // replaced, never changed in place
	rw      *rewriter.Rewriter
	started bool // video starts at a keyframe

	extBuf [4]rtp.Extension // forwarding goroutine only

	rtxBuf []byte           // RTCP goroutine only
	rtxPkt rtp.Packet       // RTCP goroutine only
	rtxExt [4]rtp.Extension // RTCP goroutine only
}

func newDownTrack(r *Receiver, sub *Participant) *DownTrack {
	return &DownTrack{rcv: r, sub: sub, rw: rewriter.New(), rtxBuf: make([]byte, packetcache.MaxPacketSize)}
}

// ID is the published track's id; StreamID groups it with its owner's others.
func (d *DownTrack) ID() string { return d.rcv.id }

// StreamID is the msid stream the track belongs to.
func (d *DownTrack) StreamID() string { return d.rcv.streamID() }

// RID is empty: a DownTrack sends one stream.
func (d *DownTrack) RID() string { return "" }

// Kind is audio or video.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.rcv.kind }

// Bind is called by Pion when negotiation has settled the codec, SSRC and
// header extensions for this subscriber.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, ok := matchCodec(ctx.CodecParameters(), d.rcv.codec)
	if !ok {
		return webrtc.RTPCodecParameters{}, ErrUnsupportedCodec
	}
	d.mu.Lock()
	d.ssrc = uint32(ctx.SSRC())
	d.pt = uint8(codec.PayloadType)
	d.writer = ctx.WriteStream()
	d.extMap = mapExtensions(d.rcv.extIDs, ctx.HeaderExtensions())
	d.mu.Unlock()
	d.bound.Store(true)
	// The subscriber should see a picture at once, not at the next
	// periodic keyframe.
	d.rcv.requestKeyframe()
	return codec, nil
}

// Unbind stops forwarding.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(false)
	return nil
}

// writeRTP forwards one packet. It runs on the receiver's read loop, which
// owns p: the header is rewritten in place for this subscriber and restored
// afterwards, so fan-out copies nothing and allocates nothing.
func (d *DownTrack) writeRTP(p *rtp.Packet) {
	if !d.bound.Load() {
		return
	}
	d.mu.Lock()
	starting := !d.started
	if starting {
		if d.rcv.kind == webrtc.RTPCodecTypeVideo && !keyframe.IsKeyframe(d.rcv.codec.MimeType, p.Payload) {
			d.mu.Unlock()
			d.rcv.requestKeyframe()
			return
		}
		d.started = true
	}
	if len(p.Payload) == 0 {
		// Padding only: nothing for the decoder, so close the gap instead.
		d.rw.Skip(p.SequenceNumber)
		d.mu.Unlock()
		return
	}
	seq, ts, ok := d.rw.Rewrite(p.SequenceNumber, p.Timestamp)
	ssrc, pt, w, extMap := d.ssrc, d.pt, d.writer, d.extMap
	d.mu.Unlock()
	if !ok {
		return
	}
	orig := p.Header
	p.SSRC, p.PayloadType, p.SequenceNumber, p.Timestamp = ssrc, pt, seq, ts
	p.Padding, p.PaddingSize = false, 0
	p.Extension, p.ExtensionProfile, p.Extensions = false, 0, d.extBuf[:0]
	for _, m := range extMap {
		if payload := orig.GetExtension(m.from); payload != nil {
			_ = p.SetExtension(m.to, payload)
		}
	}
	n, err := w.WriteRTP(&p.Header, p.Payload)
	p.Header = orig
	if n == 0 || err != nil {
		if starting {
			// Pion drops writes silently (0, nil) until SRTP is up: a
			// keyframe lost there must not count as the start.
			d.mu.Lock()
			d.started = false
			d.mu.Unlock()
		}
		return
	}
	d.rcv.stats.packetsOut.Add(1)
	d.rcv.stats.bytesOut.Add(uint64(n))
}

// readRTCP handles what the subscriber says about this track until the
// sender stops: keyframe requests go to the publisher (throttled), NACKs are
// answered from the shared cache.
func (d *DownTrack) readRTCP() {
	buf := make([]byte, packetcache.MaxPacketSize)
	for {
		n, _, err := d.sender.Read(buf)
		if err != nil {
			if errors.Is(err, io.ErrShortBuffer) {
				continue
			}
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.rcv.stats.plisReceived.Add(1)
				d.rcv.requestKeyframe()
			case *rtcp.TransportLayerNack:
				d.rcv.stats.nacksReceived.Add(1)
				for _, pair := range pkt.Nacks {
					pair.Range(func(seq uint16) bool {
						d.retransmit(seq)
						return true
					})
				}
			}
		}
	}
}

// retransmit resends the packet the subscriber knows as outSeq (RFC 4585
// §6.2.1) from the shared cache, rewritten as it was first sent.
func (d *DownTrack) retransmit(outSeq uint16) {
	d.mu.Lock()
	inSeq, ok := d.rw.Source(outSeq)
	d.mu.Unlock()
	if !ok {
		return
	}
	n, ok := d.rcv.cache.Get(inSeq, d.rtxBuf)
	if !ok || d.rtxPkt.Unmarshal(d.rtxBuf[:n]) != nil {
		return
	}
	d.mu.Lock()
	ts := d.rw.Timestamp(d.rtxPkt.Timestamp)
	ssrc, pt, w, extMap := d.ssrc, d.pt, d.writer, d.extMap
	d.mu.Unlock()
	h := &d.rtxPkt.Header
	orig := *h
	h.SSRC, h.PayloadType, h.SequenceNumber, h.Timestamp = ssrc, pt, outSeq, ts
	h.Padding, h.PaddingSize = false, 0
	h.Extension, h.ExtensionProfile, h.Extensions = false, 0, d.rtxExt[:0]
	for _, m := range extMap {
		if payload := orig.GetExtension(m.from); payload != nil {
			_ = h.SetExtension(m.to, payload)
		}
	}
	_, err := w.WriteRTP(h, d.rtxPkt.Payload)
	// Give Unmarshal its own extension array back, apart from rtxExt.
	*h = orig
	if err == nil {
		d.rcv.stats.packetsRetransmitted.Add(1)
	}
}
