package twcc

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// SenderInterceptorFactory makes the send side of transport-wide congestion
// control for each PeerConnection (draft-holmer-rmcat-transport-wide-cc-
// extensions-01): an interceptor that numbers each outgoing packet, records
// it in that PeerConnection's bwe.SendSide, and feeds the receiver's
// feedback back to it. It takes the place of Pion's TWCC header interceptor
// and GCC, whose send history cost a map entry, a list element and three
// allocations per forwarded packet; this costs a ring slot and none.
type SenderInterceptorFactory struct {
	onEstimator func(id string, e *bwe.SendSide)
	// extensions holds the two bytes of sequence number a packet carries
	// while it is written: the header refers to them, not a copy.
	extensions sync.Pool
}

// NewSenderInterceptor makes the factory; WithEstimatorHook is required,
// since an estimator nobody reads estimates nothing.
func NewSenderInterceptor(opts ...Option) (*SenderInterceptorFactory, error) {
	f := &SenderInterceptorFactory{extensions: sync.Pool{New: func() any { return new([2]byte) }}}
	for _, o := range opts {
		if err := o(f); err != nil {
			return nil, err
		}
	}
	if f.onEstimator == nil {
		return nil, ErrNoEstimatorHook
	}
	return f, nil
}

// NewInterceptor implements interceptor.Factory; Pion passes the
// PeerConnection's id, which the estimator hook is given with the
// PeerConnection's new estimator.
func (f *SenderInterceptorFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	e := bwe.NewSendSide()
	f.onEstimator(id, e)
	return &SenderInterceptor{estimator: e, extensions: &f.extensions}, nil
}

// SenderInterceptor is one PeerConnection's send side of transport-wide
// congestion control.
type SenderInterceptor struct {
	interceptor.NoOp
	estimator  *bwe.SendSide
	extensions *sync.Pool
}

// extensionID is the stream's transport-wide sequence number extension's
// id, 0 if it negotiated none.
func extensionID(info *interceptor.StreamInfo) uint8 {
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID < 256 {
			return uint8(e.ID)
		}
	}
	return 0
}

// BindLocalStream numbers the stream's packets, if the receiver negotiated
// the extension.
func (i *SenderInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	id := extensionID(info)
	if id == 0 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		ext := i.extensions.Get().(*[2]byte)
		defer i.extensions.Put(ext)
		if err := h.SetExtension(id, ext[:]); err != nil {
			return 0, err
		}
		// The number is taken as the packet leaves, so that numbers follow
		// send order as closely as the writers' interleaving allows (§3).
		seq := i.estimator.OnSent(time.Now().UnixNano(), WireSize(h, payload))
		binary.BigEndian.PutUint16(ext[:], seq)
		return w.Write(h, payload, a)
	})
}

// BindRTCPReader feeds transport-wide CC feedback to the estimator, read
// where it lies (Feedback), and reads past a packet that is feedback
// alone: nothing above needs it (Pion's srtcp session hands each packet
// of a compound packet on by itself), and pion/rtcp's parse of it would
// cost an allocation per packet it reports. Feedback within a compound
// packet is fed to the estimator and the packet handed on whole. RTCP
// that does not parse is left to the rest of the chain: it is not this
// interceptor's to refuse. The SFU registers this interceptor before
// those that parse RTCP (sfu/api.go), so it reads first.
func (i *SenderInterceptor) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attrs, err := r.Read(b, a)
			if err != nil || !i.takeFeedback(b[:n]) {
				return n, attrs, err
			}
		}
	})
}

// takeFeedback feeds the estimator every feedback message of the compound
// RTCP packet b, and reports whether that was all b held.
func (i *SenderInterceptor) takeFeedback(b []byte) bool {
	only := true
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return false // not RTCP: for the chain to refuse
		}
		end := off + 4*(int(binary.BigEndian.Uint16(b[off+2:]))+1)
		if end > len(b) {
			return false
		}
		if pkt := b[off:end]; IsFeedback(pkt) {
			i.estimator.OnFeedback(Feedback(pkt).Results)
			// What the SFU reads past shows the subscriber is there
			// (connection quality, sfu/room_quality.go).
			i.estimator.Heard(time.Now().UnixNano())
		} else {
			only = false
		}
		off = end
	}
	return only && len(b) > 0
}

// WireSize is the packet's size as marshalled. Probe padding is all in the
// header's PaddingSize, which the marshaller appends (RFC 3550 §5.1) and
// Header.MarshalSize leaves out: without it a probe's bytes would not
// count, and no probe would ever prove a rate.
func WireSize(h *rtp.Header, payload []byte) int {
	n := h.MarshalSize() + len(payload)
	if h.Padding {
		n += int(h.PaddingSize)
	}
	return n
}
