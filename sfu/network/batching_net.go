package network

import (
	"net"

	"github.com/pion/transport/v5"
	"github.com/switchboard-rtc/switchboard/internal/rawudp"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// batchingNet opens the UDP mux's sockets with batched writes: every
// subscriber shares them, so the packets of one fan-out leave in one
// sendmmsg (package udpbatch) rather than one sendto each.
type batchingNet struct {
	transport.Net
	sockets *Sockets
}

// ListenUDP opens a socket of the mux and batches its writes. A socket the
// system cannot batch on still works, unbatched.
func (b batchingNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	return rawudp.ListenWrapped(b.Net, network, addr, func(raw *net.UDPConn) (transport.UDPConn, error) {
		batched, err := udpbatch.New(raw)
		if err != nil {
			return nil, err
		}
		b.sockets.batched = append(b.sockets.batched, batched)
		return batched, nil
	})
}
