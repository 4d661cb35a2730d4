package rawudp

import (
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// Net is the host's network (pion/transport's stdnet) with the UDP
// sockets Pion's ICE gathers on wrapped in Conn. Everything else (TCP,
// the sockets of STUN and TURN, mDNS's reads through x/net) is stdnet's.
//
// stdnet reads the host's interfaces once, when made, and Pion makes one
// per connection unless given a Net; a Net shared by every connection of
// a server must not hand out the interfaces of its start, so Net reads
// them afresh each time it is asked.
type Net struct{ transport.Net }

// NewNet wraps the host's network.
func NewNet() (*Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &Net{n}, nil
}

// ListenUDP opens a socket as stdnet does and wraps it; a socket that
// cannot be wrapped is returned as it is, and works as before.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	return ListenWrapped(n.Net, network, laddr, func(raw *net.UDPConn) (transport.UDPConn, error) {
		c, err := NewConn(raw)
		if err != nil {
			return nil, err
		}
		return c, nil
	})
}

// ListenWrapped opens a UDP socket on n, with SocketBuffer bytes of
// kernel buffer each way, and hands it to wrap, which makes it a
// connection of its own kind (this package's Conn; sfu/network's
// batched one). A socket that is not the system's own (a vnet's), or that
// wrap refuses, is returned as it is: it still works, through Go's net
// package.
func ListenWrapped(n transport.Net, network string, laddr *net.UDPAddr, wrap func(*net.UDPConn) (transport.UDPConn, error)) (transport.UDPConn, error) {
	c, err := n.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	raw, ok := c.(*net.UDPConn)
	if !ok {
		return c, nil
	}
	setBuffers(raw, SocketBuffer)
	if wrapped, err := wrap(raw); err == nil {
		return wrapped, nil
	}
	return c, nil
}

// Interfaces are the host's interfaces now.
func (n *Net) Interfaces() ([]*transport.Interface, error) {
	fresh, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return fresh.Interfaces()
}

// InterfaceByIndex is the host's interface of that index now.
func (n *Net) InterfaceByIndex(index int) (*transport.Interface, error) {
	fresh, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return fresh.InterfaceByIndex(index)
}

// InterfaceByName is the host's interface of that name now.
func (n *Net) InterfaceByName(name string) (*transport.Interface, error) {
	fresh, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return fresh.InterfaceByName(name)
}
