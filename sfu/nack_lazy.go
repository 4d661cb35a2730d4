package sfu

import (
	"sync"

	"github.com/pion/interceptor"
)

// lazyNACK starts Pion's NACK generator (pion/interceptor's nack package)
// with the first stream it can ask NACKs for (RFC 4585 §6.2.1), instead of
// when the PeerConnection is made. The generator's loop ticks every 100 ms
// from its BindRTCPWriter on, whether or not anything is received: every
// subscriber's PeerConnection, which receives nothing, woke the scheduler
// ten times a second for nothing (235 of the standard scenario's 2 950
// wakeups a second, docs/benchmarks.md; ten per subscriber in a capacity
// run).
type lazyNACK struct{ inner interceptor.Factory }

// NewInterceptor implements interceptor.Factory.
func (f lazyNACK) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.inner.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &lazyNACKInterceptor{Interceptor: i}, nil
}

type lazyNACKInterceptor struct {
	interceptor.Interceptor

	mu      sync.Mutex
	writer  interceptor.RTCPWriter // held until the generator starts
	started bool
}

// BindRTCPWriter keeps w for the generator's start. The generator returns
// the writer it is given unchanged (it only writes to it, from its loop),
// so the chain above sees the same writer as with the generator bound.
func (l *lazyNACKInterceptor) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return l.Interceptor.BindRTCPWriter(w)
	}
	l.writer = w
	return w
}

// BindRemoteStream starts the generator with the first stream that
// negotiated generic NACK, then binds the stream to it.
func (l *lazyNACKInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if wantsNACK(info) {
		l.mu.Lock()
		if !l.started && l.writer != nil {
			l.started = true
			l.Interceptor.BindRTCPWriter(l.writer)
		}
		l.mu.Unlock()
	}
	return l.Interceptor.BindRemoteStream(info, r)
}

// wantsNACK reports whether the stream negotiated generic NACK ("nack"
// without a parameter; "nack pli" is a keyframe request), as Pion's
// generator decides whether to watch it.
func wantsNACK(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}
