package sfu

import (
	"net"

	"github.com/pion/transport/v5"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// batchingNet opens the UDP mux's sockets with batched writes: every
// subscriber shares them, so the packets of one fan-out leave in one
// sendmmsg (package udpbatch) rather than one sendto each.
type batchingNet struct {
	transport.Net
	sockets *sharedSockets
}

func (b batchingNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := b.Net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	raw, ok := c.(*net.UDPConn)
	if !ok {
		return c, nil
	}
	batched, err := udpbatch.New(raw)
	if err != nil {
		// Not a socket the system can batch on: it still works unbatched.
		return c, nil
	}
	b.sockets.batched = append(b.sockets.batched, batched)
	return batched, nil
}
