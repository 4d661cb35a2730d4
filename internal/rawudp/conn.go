package rawudp

import (
	"net"
	"net/netip"
)

// Conn is a *net.UDPConn whose AddrPort reads and writes are raw system
// calls. Pion's ICE uses those methods of any conn that has them
// (ice.AddrPortReaderWriter); everything else goes to the socket as it is.
type Conn struct {
	*net.UDPConn
	r *Reader
	w *Writer
}

// NewConn wraps conn.
func NewConn(conn *net.UDPConn) (*Conn, error) {
	r, err := NewReader(conn)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(conn)
	if err != nil {
		return nil, err
	}
	return &Conn{UDPConn: conn, r: r, w: w}, nil
}

// ReadFromAddrPort reads one datagram and its source.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) { return c.r.ReadFrom(b) }

// WriteToAddrPort sends b to addr.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.w.WriteTo(b, addr)
}

// ReadFrom reads one datagram and its source as a *net.UDPAddr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.r.ReadFrom(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// WriteTo sends b to addr, a *net.UDPAddr.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.UDPConn.WriteTo(b, addr)
	}
	return c.w.WriteTo(b, a.AddrPort())
}
