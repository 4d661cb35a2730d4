package sfu

import (
	"errors"
	"io"

	"github.com/pion/interceptor"
)

// errDirectConsumed ends a second read of the packet the direct receive
// path handed its stream's chain: an interceptor that drops a packet reads
// the next one (seqGuard), and the next one is not there yet.
var errDirectConsumed = errors.New("sfu: direct srtp: packet already read")

// The direct receive path (directsrtp_recv.go) drives each stream's
// interceptor chain, Pion's very instance, so that what the chain does for
// a received packet still happens for the packets it decrypts itself: the
// NACK generator's receive log, the receiver report's statistics, the
// transport-wide CC feedback's arrival times (RFC 8888's predecessor,
// draft-holmer-rmcat-transport-wide-cc-extensions-01), seqGuard. Two
// interceptors bracket the chain of a direct-SRTP PeerConnection:
//   - recvTap, the outermost, learns the reader Pion bound for each remote
//     stream (the whole chain) and the first RTCP reader it bound, and
//     leaves them unchanged;
//   - recvSource, the innermost, returns the packet in hand when the read
//     comes from the direct path (its attributes carry the stream, or the
//     association's SRTCP), and reads Pion's SRTP or SRTCP stream
//     otherwise.
//
// Pion binds an RTCP reader per sender and receiver, without naming the
// stream (interceptor.Interceptor.BindRTCPReader): each interceptor's
// wrapper acts on the packet read, by the SSRCs within it, so with the
// packet in hand one bound chain reads it as any other would.
//
// A chain's interceptors keep each stream's state behind their own locks
// (pion/interceptor's nack.receiveLog, report.receiverStream, twcc's
// channel; seqGuard's window), since Pion may read a stream's last packets
// on its path while the direct path has begun with the next.

// recvTap is the outermost interceptor of a direct-SRTP PeerConnection.
type recvTap struct {
	interceptor.NoOp
	recv *directRecv
}

// NewInterceptor implements interceptor.Factory.
func (t *recvTap) NewInterceptor(string) (interceptor.Interceptor, error) { return t, nil }

// BindRemoteStream records the stream's chain.
func (t *recvTap) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	t.recv.addStream(info.SSRC, r)
	return r
}

// BindRTCPReader keeps the first RTCP chain bound, for the direct SRTCP.
func (t *recvTap) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	t.recv.rtcp.chain.CompareAndSwap(nil, &r)
	return r
}

// UnbindRemoteStream forgets the stream.
func (t *recvTap) UnbindRemoteStream(info *interceptor.StreamInfo) { t.recv.removeStream(info.SSRC) }

// recvSource is the innermost interceptor of a direct-SRTP PeerConnection:
// as a factory, the value; as the interceptor, a recvSourceInterceptor.
type recvSource struct{}

// NewInterceptor implements interceptor.Factory.
func (recvSource) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &recvSourceInterceptor{}, nil
}

type recvSourceInterceptor struct{ interceptor.NoOp }

// directKey is the attribute naming the recvStream whose packet is in hand.
type directKey struct{}

// BindRemoteStream returns the packet in hand to a direct read, once.
func (*recvSourceInterceptor) BindRemoteStream(_ *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if a != nil {
			if st, ok := a[directKey{}].(*recvStream); ok {
				n := st.pending
				if n < 0 {
					return 0, a, errDirectConsumed
				}
				st.pending = -1
				return n, a, nil
			}
		}
		return r.Read(b, a)
	})
}

// BindRTCPReader returns the RTCP packet in hand to a direct read, once.
func (*recvSourceInterceptor) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if a != nil {
			if in, ok := a[directKey{}].(rtcpInHand); ok {
				p := in.r.pending
				if p == nil {
					return 0, a, errDirectConsumed
				}
				in.r.pending = nil
				if len(b) < len(p) {
					return 0, a, io.ErrShortBuffer
				}
				return copy(b, p), a, nil
			}
		}
		return r.Read(b, a)
	})
}
