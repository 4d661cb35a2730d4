package sfu

import (
	"github.com/pion/transport/v5"
	"github.com/switchboard-rtc/switchboard/internal/rawudp"
)

// systemNet is the transport.Net every setting engine of the SFU uses: the
// one of WithNet, else the system's through raw system calls (a
// connection's own UDP sockets, without WithUDPMux, read and write through
// them: through Go's net package, each packet that woke the idle server
// also woke the runtime's sysmon); nil if the system's cannot be had, and
// Pion takes its own. Made once: with direct SRTP each participant gets a
// setting engine of its own (directsrtp_pc.go), and each system Net holds
// the interface list of a netlink dump whose buffer the interfaces'
// hardware addresses keep alive (about 6.6 KB per participant in the
// standard scenario's heap profile). A rawudp.Net is read-only once made
// (ICE refreshes only a *stdnet.Net's interfaces), so PeerConnections
// share it, as those of one API always did.
func (s *SFU) systemNet() transport.Net {
	s.sysNetOnce.Do(func() {
		if s.cfg.net != nil {
			s.sysNet = s.cfg.net
			return
		}
		if n, err := rawudp.NewNet(); err == nil {
			s.sysNet = n
		}
	})
	return s.sysNet
}
