package udpbatch

import (
	"net"
	"net/netip"
)

// Tap sees each datagram the socket reads before its reader does: one it
// takes (Take returns true) is not returned to the reader, which reads the
// next. b is the reader's buffer, valid only during the call. The SFU's
// direct SRTP receive path (sfu/directsrtp_recv.go) takes its publishers'
// RTP there, in the reading goroutine, past Pion's UDP mux, ICE, mux and
// SRTP session goroutines.
type Tap interface {
	Take(b []byte, from netip.AddrPort) bool
}

// SetTap installs t (nil: none) for the reads that follow.
func (c *Conn) SetTap(t Tap) {
	if t == nil {
		c.tap.Store(nil)
		return
	}
	c.tap.Store(&t)
}

// ReadFromAddrPort reads the next datagram the tap does not take. Pion's
// UDP mux reads through it.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := c.Conn.ReadFromAddrPort(b)
		if err != nil {
			return n, from, err
		}
		if t := c.tap.Load(); t == nil || !(*t).Take(b[:n], from) {
			return n, from, nil
		}
	}
}

// ReadFrom is ReadFromAddrPort with the source as a *net.UDPAddr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}
