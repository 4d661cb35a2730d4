package rawudp

import (
	"net"
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sockaddr is one destination as a socket of either family takes it, for
// sendto(2) or a msghdr.
type Sockaddr struct {
	v4 unix.RawSockaddrInet4
	v6 unix.RawSockaddrInet6
}

// Put stores to for an AF_INET6 socket (v6) or an AF_INET one, and
// returns the name and length to pass.
func (s *Sockaddr) Put(to netip.AddrPort, v6 bool) (*byte, uint32) {
	if v6 {
		putInet6(&s.v6, to)
		return (*byte)(unsafe.Pointer(&s.v6)), unix.SizeofSockaddrInet6
	}
	putInet4(&s.v4, to)
	return (*byte)(unsafe.Pointer(&s.v4)), unix.SizeofSockaddrInet4
}

// putInet4 writes to into sa. An address that is not IPv4 gets a family
// the kernel refuses (EAFNOSUPPORT): an IPv4 socket cannot send there, and
// the datagram fails alone.
func putInet4(sa *unix.RawSockaddrInet4, to netip.AddrPort) {
	if ip := to.Addr().Unmap(); ip.Is4() {
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
	} else {
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET6}
	}
	putPort(&sa.Port, to.Port())
}

// putInet6 writes to into sa, IPv4 addresses as IPv4-mapped.
func putInet6(sa *unix.RawSockaddrInet6, to netip.AddrPort) {
	ip := to.Addr()
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16(), Scope_id: scopeID(ip.Zone())}
	putPort(&sa.Port, to.Port())
}

// addrPort reads a sockaddr as net.UDPConn gives it: IPv4-mapped on an
// IPv6 socket.
func addrPort(sa *unix.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), port(in.Port))
	case unix.AF_INET6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		ip := netip.AddrFrom16(in.Addr)
		if in.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(in.Scope_id)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(ip, port(in.Port))
	}
	return netip.AddrPort{}
}

// putPort stores port in network byte order, as sockaddr wants it.
func putPort(dst *uint16, p uint16) {
	*(*[2]byte)(unsafe.Pointer(dst)) = [2]byte{byte(p >> 8), byte(p)}
}

// port reads a sockaddr's port, stored in network byte order.
func port(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// scopeID is the interface index of a link-local address's zone.
func scopeID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// IsIPv6 reports whether conn's socket is AF_INET6 (dual-stack included).
func IsIPv6(conn *net.UDPConn) (bool, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false, err
	}
	var family int
	var sockErr error
	if err := raw.Control(func(fd uintptr) {
		family, sockErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return false, err
	}
	return family == unix.AF_INET6, sockErr
}
