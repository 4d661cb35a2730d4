package network

import (
	"fmt"
	"net/netip"
	"strings"
)

// NATMapping is one address of a 1:1 NAT in front of the host (what coturn
// calls external-ip): candidates for local addresses it maps announce
// Public instead of the local address, so that clients reach the server
// without STUN.
type NATMapping struct {
	Public netip.Addr
	// Local is the one local address mapped to Public; the zero Addr maps
	// every local address of Public's family.
	Local netip.Addr
}

// ParseNATMapping reads "PUBLIC" or "PUBLIC/LOCAL", two addresses of one
// family. It is the one parser of --nat-ip (cmd/switchboard calls it as
// the flag is set): everything after it takes the NATMapping, so a bad
// address stops the server at its flags, not at its first PeerConnection.
func ParseNATMapping(s string) (NATMapping, error) {
	public, local, pinned := strings.Cut(s, "/")
	p, err := netip.ParseAddr(public)
	if err != nil {
		return NATMapping{}, fmt.Errorf("%w: NAT IP %q", ErrBadConfig, s)
	}
	m := NATMapping{Public: p.Unmap()}
	if !pinned {
		return m, nil
	}
	l, err := netip.ParseAddr(local)
	if err != nil || l.Unmap().Is4() != m.Public.Is4() {
		return NATMapping{}, fmt.Errorf("%w: NAT IP %q: want PUBLIC/LOCAL of one family", ErrBadConfig, s)
	}
	m.Local = l.Unmap()
	return m, nil
}

// String gives the mapping back in ParseNATMapping's form.
func (m NATMapping) String() string {
	if m.Local.IsValid() {
		return m.Public.String() + "/" + m.Local.String()
	}
	return m.Public.String()
}

// Maps tells whether the local address ip is announced as m.Public.
func (m NATMapping) Maps(ip netip.Addr) bool {
	if m.Public.Is4() != ip.Is4() {
		return false
	}
	return !m.Local.IsValid() || m.Local == ip
}
