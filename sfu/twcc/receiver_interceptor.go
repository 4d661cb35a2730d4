package twcc

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	pion "github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtp"
)

// ReceiverInterceptorFactory makes the receive side of transport-wide
// congestion control for each PeerConnection: the feedback (draft-holmer-
// rmcat-transport-wide-cc-extensions-01 §3.1) that tells each sender when
// its packets arrived, from which a browser estimates its uplink. It does
// what Pion's twcc.SenderInterceptor does, with Pion's Recorder, but
// records each arrival in the goroutine that reads the packet, under a
// lock: Pion's hands every packet to its loop over an unbuffered channel,
// one goroutine wakeup per packet received (issue #13, "Fewer hand-offs on
// the way in"). The loop wakes only to send, every interval, from the
// first packet recorded on (as Pion's): a PeerConnection whose peer numbers
// nothing costs no wakeup.
type ReceiverInterceptorFactory struct {
	interval time.Duration
}

// DefaultFeedbackInterval is Pion's and libwebrtc's: feedback every 100 ms.
const DefaultFeedbackInterval = 100 * time.Millisecond

// NewReceiverInterceptor makes the factory, sending feedback every
// interval (DefaultFeedbackInterval if not positive).
func NewReceiverInterceptor(interval time.Duration) *ReceiverInterceptorFactory {
	if interval <= 0 {
		interval = DefaultFeedbackInterval
	}
	return &ReceiverInterceptorFactory{interval: interval}
}

// NewInterceptor implements interceptor.Factory.
func (f *ReceiverInterceptorFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &ReceiverInterceptor{interval: f.interval, start: time.Now(),
		first: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// ReceiverInterceptor is one PeerConnection's receive side of
// transport-wide congestion control.
type ReceiverInterceptor struct {
	interceptor.NoOp
	interval time.Duration
	start    time.Time // arrival times are microseconds since

	mu       sync.Mutex
	recorder *pion.Recorder // nil until the RTCP writer is bound
	closed   bool
	started  bool // the first packet was recorded: first is signalled

	first chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// BindRTCPWriter starts the loop that sends the feedback, once.
func (i *ReceiverInterceptor) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed || i.recorder != nil {
		return w
	}
	// The feedback's sender SSRC names no stream of ours: any value does
	// (RFC 4585 §6.1), as Pion draws it.
	i.recorder = pion.NewRecorder(rand.Uint32()) // #nosec G404: not a secret
	i.wg.Add(1)
	go i.loop(w)
	return w
}

// BindRemoteStream records the arrival of each packet that carries a
// transport-wide sequence number. The header is the one the attributes
// cache (interceptor.Attributes.GetRTPHeader) when a reader below made
// them, as Pion's report and NACK interceptors do; handed none, as Pion's
// track reader hands none, it is parsed into the stream's own scratch
// rather than into attributes made for the packet: no allocation.
func (i *ReceiverInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	id := extensionID(info)
	if id == 0 {
		return r
	}
	ssrc := info.SSRC
	var scratch rtp.Header // under i.mu
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attrs, err := r.Read(b, a)
		if err != nil {
			return n, attrs, err
		}
		i.mu.Lock()
		defer i.mu.Unlock()
		h := &scratch
		if attrs != nil {
			h, err = attrs.GetRTPHeader(b[:n])
		} else {
			_, err = scratch.Unmarshal(b[:n])
		}
		if err != nil {
			return 0, nil, err
		}
		if ext := h.GetExtension(id); len(ext) >= 2 && i.recorder != nil {
			i.recorder.Record(ssrc, binary.BigEndian.Uint16(ext), time.Since(i.start).Microseconds())
			if !i.started {
				i.started = true
				i.first <- struct{}{}
			}
		}
		return n, attrs, nil
	})
}

// loop sends what was recorded every interval, from the first packet,
// until Close.
func (i *ReceiverInterceptor) loop(w interceptor.RTCPWriter) {
	defer i.wg.Done()
	select {
	case <-i.done:
		return
	case <-i.first:
	}
	t := time.NewTicker(i.interval)
	defer t.Stop()
	for {
		select {
		case <-i.done:
			return
		case <-t.C:
		}
		i.mu.Lock()
		pkts := i.recorder.BuildFeedbackPacket()
		i.mu.Unlock()
		if len(pkts) > 0 {
			// A write that fails (the connection closing) loses one
			// report; the next covers the packets anew only if they are
			// still held, as with Pion's.
			_, _ = w.Write(pkts, nil)
		}
	}
}

// Close stops the loop.
func (i *ReceiverInterceptor) Close() error {
	i.mu.Lock()
	if !i.closed {
		i.closed = true
		close(i.done)
	}
	i.mu.Unlock()
	i.wg.Wait()
	return nil
}
