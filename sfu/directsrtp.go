package sfu

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/switchboard-rtc/switchboard/sfu/srtpkeys"
	"github.com/switchboard-rtc/switchboard/sfu/twcc"
)

// errDirectSRTP wraps the failures of arming the direct SRTP path.
var errDirectSRTP = errors.New("sfu: direct srtp")

// datagramWriter is where direct SRTP hands its packets: the UDP mux's
// batched socket (udpbatch.Conn), which copies b before returning.
type datagramWriter interface {
	WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// directSRTP encrypts a subscriber's forwarded RTP itself and writes it to
// the shared socket ICE's selected pair is on, past Pion's SRTP session, mux
// and ICE write path (issue #13): the batched UDP socket, or the ICE-TCP
// connection's packet conn on the shared TCP port (directsrtp_tcp.go). It
// is the innermost interceptor of the chain: the RTCP report interceptor
// (sender report packet and octet counts) and transport-wide CC numbering
// sit above it and see every packet as before; only the final "encrypt and
// send" changes hands. Until it is armed (keys derived, an ICE pair on a
// shared socket selected) packets take Pion's path.
//
// Pion's own SRTP context no longer sees the packets of a stream once the
// direct path carries it, so its rollover counter (RFC 3711 §3.3.1) would be
// stale: a stream never goes back to Pion's path once armed. It follows the
// selected pair from UDP to ICE-TCP and back instead (the SRTP context, and
// so the rollover counter, is the association's, whatever carries the
// packets); a pair on no shared socket (route nil) only stops the sending.
type directSRTP struct {
	interceptor.NoOp
	cipher atomic.Pointer[directCipher]
	dest   atomic.Pointer[directDest]
	bufs   *directBufPool // the SFU's; nil in unit tests: one of its own
	sent   *atomic.Uint64 // the SFU's count of packets sent directly; nil in unit tests
	// paused counts the packets of streams already sent directly that
	// found no path (a selected pair on no shared socket); nil in unit
	// tests.
	paused *atomic.Uint64
	// tcp learns the packet conns of this PeerConnection's ICE-TCP
	// connections on the shared TCP port (directsrtp_tcp.go); nil without
	// ICE-TCP.
	tcp *tcpRoutes
	// recv is the receive side: the publisher's RTP decrypted by the
	// shared socket's read loop (directsrtp_recv.go); nil in unit tests
	// of the send side.
	recv *directRecv
}

// receiver is d's receive side; nil when d is (direct SRTP off).
func (d *directSRTP) receiver() *directRecv {
	if d == nil {
		return nil
	}
	return d.recv
}

// directCipher is the SRTP context of one association. One context serves
// every stream of the PeerConnection: it keeps a rollover counter per SSRC.
// A context is not safe for concurrent use, and several layers' read loops
// write to one subscriber, hence mu.
type directCipher struct {
	mu  sync.Mutex
	ctx *srtp.Context
	hdr rtp.Header // scratch for EncryptRTP, under mu
	// bufs holds buffers of two halves, plaintext then ciphertext, so a
	// packet costs no allocation; the SFU's, shared by every association
	// (directsrtp_bufs.go).
	bufs *directBufPool
}

// directDest is where packets go: the shared UDP socket and the remote
// address of ICE's selected pair, or (tcp set) the packet conn of the
// pair's ICE-TCP connection and the connection's remote address.
type directDest struct {
	conn datagramWriter
	addr netip.AddrPort
	tcp  net.PacketConn
	to   net.Addr
}

// directBufHalf fits any RTP packet the SFU forwards (an Ethernet MTU) plus
// the longest SRTP trailer (GCM's 16-byte tag; HMAC-SHA1-80's 10 bytes).
const directBufHalf = 1500 + 64

func newDirectCipher(k srtpkeys.Keys, bufs *directBufPool) (*directCipher, error) {
	ctx, err := srtp.CreateContext(k.LocalKey, k.LocalSalt, k.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDirectSRTP, err)
	}
	return &directCipher{ctx: ctx, bufs: bufs}, nil
}

// arm installs the association's keys; the first call wins, since a DTLS
// association's keys do not change (a new association is a new
// PeerConnection here).
func (d *directSRTP) arm(k srtpkeys.Keys) error {
	c, err := newDirectCipher(k, d.buffers())
	if err != nil {
		return err
	}
	d.cipher.CompareAndSwap(nil, c)
	if d.recv != nil {
		return d.recv.arm(k)
	}
	return nil
}

// route follows ICE's selected pair onto the shared UDP socket; conn nil
// when the pair is on no shared socket: streams not yet sent directly stay
// on Pion's path, the others pause (their rollover counters are no longer
// Pion's).
func (d *directSRTP) route(conn datagramWriter, addr netip.AddrPort) {
	if conn == nil {
		d.dest.Store(nil)
		return
	}
	d.dest.Store(&directDest{conn: conn, addr: addr})
}

// routeTCP follows ICE's selected pair onto an ICE-TCP connection: conn is
// the packet conn Pion's ICE writes the pair's packets on, to its remote
// address.
func (d *directSRTP) routeTCP(conn net.PacketConn, to net.Addr) {
	d.dest.Store(&directDest{tcp: conn, to: to})
}

// BindLocalStream implements interceptor.Interceptor.
func (d *directSRTP) BindLocalStream(_ *interceptor.StreamInfo, next interceptor.RTPWriter) interceptor.RTPWriter {
	var direct atomic.Bool
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		c, dst := d.cipher.Load(), d.dest.Load()
		if c == nil || dst == nil {
			if direct.Load() {
				if d.paused != nil {
					d.paused.Add(1)
				}
				return 0, nil
			}
			return next.Write(h, payload, a)
		}
		if !direct.Load() {
			// Once: a store per packet would be a locked instruction
			// per forwarded packet.
			direct.Store(true)
		}
		n, err := c.write(dst, h, payload)
		if err == nil && d.sent != nil {
			d.sent.Add(1)
		}
		return n, err
	})
}

// write encrypts one packet and queues it on the UDP socket, or writes it
// to the ICE-TCP connection. The context's lock covers only the
// encryption; the socket write happens after it.
func (c *directCipher) write(dst *directDest, h *rtp.Header, payload []byte) (int, error) {
	bp := c.bufs.get()
	defer c.bufs.put(bp)
	buf := *bp
	// A probe's padding-only packet carries its padding in the header
	// (PaddingSize), which Header.MarshalTo leaves out: the octets go
	// after the payload, the last of them counting them all (RFC 3550
	// §5.1). Sent without, a probe put a tenth of its bits on the wire
	// and, its last header octet read as the count, was malformed.
	n := twcc.WireSize(h, payload)
	if n > directBufHalf-64 {
		return 0, fmt.Errorf("%w: packet of %d bytes", errDirectSRTP, n)
	}
	hl, err := h.MarshalTo(buf[:directBufHalf])
	if err != nil {
		return 0, err
	}
	end := hl + copy(buf[hl:n], payload)
	if end < n {
		clear(buf[end : n-1])
		buf[n-1] = h.PaddingSize
	}
	c.mu.Lock()
	out, err := c.ctx.EncryptRTP(buf[directBufHalf:directBufHalf], buf[:n], &c.hdr)
	c.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errDirectSRTP, err)
	}
	if dst.tcp != nil {
		// RFC 4571 framing and the write itself are the packet conn's
		// (pion/ice's tcpPacketConn, shared with Pion's STUN, DTLS and
		// SRTCP on the connection): it copies out before returning, so
		// the buffer goes back to the pool after.
		return dst.tcp.WriteTo(out, dst.to)
	}
	return dst.conn.WriteToAddrPort(out, dst.addr)
}
