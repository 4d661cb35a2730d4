package load

import (
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// rtcpCounter is an interceptor factory that counts the feedback a client
// sends: NACK messages and the packets they ask for, and keyframe requests.
// Added ahead of Pion's interceptors, it wraps the network and so sees the
// RTCP of every other interceptor (the NACK generator's) and the client's
// own (its PLIs).
type rtcpCounter struct {
	nacks, nacked, plis, firs atomic.Uint64
}

func (c *rtcpCounter) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &rtcpCountInterceptor{c: c}, nil
}

type rtcpCountInterceptor struct {
	interceptor.NoOp
	c *rtcpCounter
}

func (i *rtcpCountInterceptor) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		i.c.count(pkts)
		return w.Write(pkts, a)
	})
}

func (c *rtcpCounter) count(pkts []rtcp.Packet) {
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerNack:
			c.nacks.Add(1)
			for _, pair := range p.Nacks {
				c.nacked.Add(uint64(len(pair.PacketList())))
			}
		case *rtcp.PictureLossIndication:
			c.plis.Add(1)
		case *rtcp.FullIntraRequest:
			c.firs.Add(1)
		}
	}
}
