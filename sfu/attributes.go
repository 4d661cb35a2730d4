package sfu

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// attributesPool is an interceptor that hands the rest of the send path a
// pooled interceptor.Attributes with every packet. Pion writes a track's
// packets with nil attributes, and the GCC estimator then makes a map for
// each packet to note the TWCC extension ID in it: two allocations per
// forwarded packet, 72 % of the bytes the send path allocated
// (BenchmarkSendPath). Registered last, it is the first to see a packet on
// its way out. Nothing on the send path keeps attributes past Write, so the
// map goes back to the pool once Write returns.
type attributesPool struct {
	pool sync.Pool
}

func newAttributesPool() *attributesPool {
	return &attributesPool{pool: sync.Pool{New: func() any { return interceptor.Attributes{} }}}
}

// NewInterceptor implements interceptor.Factory: one pool serves every
// PeerConnection.
func (a *attributesPool) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &attributesInterceptor{pool: &a.pool}, nil
}

type attributesInterceptor struct {
	interceptor.NoOp
	pool *sync.Pool
}

func (i *attributesInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if a != nil {
			return w.Write(h, payload, a)
		}
		a = i.pool.Get().(interceptor.Attributes)
		n, err := w.Write(h, payload, a)
		clear(a)
		i.pool.Put(a)
		return n, err
	})
}
