package bench

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
)

// Loss is an interceptor factory that drops a share of the incoming RTP of
// every stream that negotiated NACK, before Pion's NACK generator sees it
// (give it to a Client with WithLoss). The generator then asks the server to
// retransmit, as it would for loss on the network. Streams without NACK
// (Opus, RTX repair streams) are left alone: losing them would measure
// nothing but the loss itself, and keeping repair streams intact lets every
// loss be recovered.
type Loss struct {
	rate    float64
	seed    uint64
	dropped atomic.Uint64
	passed  atomic.Uint64
}

// NewLoss drops each packet with probability rate (0 to 1), from a
// pseudo-random sequence fixed by seed and the stream's SSRC.
func NewLoss(rate float64, seed uint64) *Loss {
	return &Loss{rate: min(max(rate, 0), 1), seed: seed}
}

// Dropped is how many packets were dropped so far.
func (l *Loss) Dropped() uint64 { return l.dropped.Load() }

// Passed is how many packets of the affected streams were let through.
func (l *Loss) Passed() uint64 { return l.passed.Load() }

// NewInterceptor implements interceptor.Factory.
func (l *Loss) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossInterceptor{loss: l}, nil
}

type lossInterceptor struct {
	interceptor.NoOp
	loss *Loss
}

func (i *lossInterceptor) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if !supportsNACK(info) {
		return reader
	}
	l := i.loss
	var mu sync.Mutex // Pion reads one stream from one goroutine, but does not promise it
	rng := rand.New(rand.NewPCG(l.seed, uint64(info.SSRC)))
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := reader.Read(b, a)
			if err != nil {
				return n, attr, err
			}
			mu.Lock()
			drop := rng.Float64() < l.rate
			mu.Unlock()
			if !drop {
				l.passed.Add(1)
				return n, attr, nil
			}
			l.dropped.Add(1)
		}
	})
}

func supportsNACK(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}
