//go:build !linux

package rawudp

import (
	"net"
	"net/netip"
)

// Reader reads datagrams from one socket: net.UDPConn's reads here.
type Reader struct{ conn *net.UDPConn }

// NewReader reads from conn.
func NewReader(conn *net.UDPConn) (*Reader, error) { return &Reader{conn}, nil }

// ReadFrom is net.UDPConn.ReadFromUDPAddrPort.
func (r *Reader) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	return r.conn.ReadFromUDPAddrPort(b)
}

// Writer sends datagrams on one socket: net.UDPConn's writes here.
type Writer struct{ conn *net.UDPConn }

// NewWriter writes to conn.
func NewWriter(conn *net.UDPConn) (*Writer, error) { return &Writer{conn}, nil }

// WriteTo is net.UDPConn.WriteToUDPAddrPort.
func (w *Writer) WriteTo(b []byte, addr netip.AddrPort) (int, error) {
	return w.conn.WriteToUDPAddrPort(b, addr)
}
