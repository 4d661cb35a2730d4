package signaling_test

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/vnet"
)

// roamingNet is a host whose network changes under it, as a laptop's does
// moving from Wi-Fi to a phone's hotspot: everything opened from now on
// goes through the vnet.Net it was last moved to; what was opened before
// stays on the old one (which the test may cut off).
type roamingNet struct{ cur atomic.Pointer[vnet.Net] }

func newRoamingNet(n *vnet.Net) *roamingNet {
	r := &roamingNet{}
	r.cur.Store(n)
	return r
}

func (r *roamingNet) moveTo(n *vnet.Net) { r.cur.Store(n) }

func (r *roamingNet) net() *vnet.Net { return r.cur.Load() }

func (r *roamingNet) ListenPacket(network, address string) (net.PacketConn, error) {
	return r.net().ListenPacket(network, address)
}

func (r *roamingNet) ListenUDP(network string, locAddr *net.UDPAddr) (transport.UDPConn, error) {
	return r.net().ListenUDP(network, locAddr)
}

func (r *roamingNet) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	return r.net().ListenTCP(network, laddr)
}

func (r *roamingNet) Dial(network, address string) (net.Conn, error) {
	return r.net().Dial(network, address)
}

func (r *roamingNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	return r.net().DialUDP(network, laddr, raddr)
}

func (r *roamingNet) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	return r.net().DialTCP(network, laddr, raddr)
}

func (r *roamingNet) ResolveIPAddr(network, address string) (*net.IPAddr, error) {
	return r.net().ResolveIPAddr(network, address)
}

func (r *roamingNet) ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	return r.net().ResolveUDPAddr(network, address)
}

func (r *roamingNet) ResolveTCPAddr(network, address string) (*net.TCPAddr, error) {
	return r.net().ResolveTCPAddr(network, address)
}

func (r *roamingNet) Interfaces() ([]*transport.Interface, error) { return r.net().Interfaces() }

func (r *roamingNet) InterfaceByIndex(index int) (*transport.Interface, error) {
	return r.net().InterfaceByIndex(index)
}

func (r *roamingNet) InterfaceByName(name string) (*transport.Interface, error) {
	return r.net().InterfaceByName(name)
}

func (r *roamingNet) CreateDialer(d *net.Dialer) transport.Dialer { return r.net().CreateDialer(d) }

func (r *roamingNet) CreateListenConfig(c *net.ListenConfig) transport.ListenConfig {
	return r.net().CreateListenConfig(c)
}

var _ transport.Net = (*roamingNet)(nil)
