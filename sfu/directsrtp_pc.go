package sfu

import (
	"net"
	"net/netip"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/sfu/srtpkeys"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// WithDirectSRTP has the SFU encrypt each subscriber's forwarded RTP itself
// and queue it on the shared batched UDP socket (WithUDPMux with
// WithSendBatching), past Pion's SRTP session, mux and ICE write path
// (directsrtp.go), or write it to the ICE-TCP connection (WithICETCP) while
// ICE's selected pair is there; and decrypt publishers' RTP in the shared
// UDP socket's read loop, handing each packet to its layer in one hop
// instead of Pion's five (directsrtp_recv.go). Experimental and off by
// default. It applies to participants (not relays) on the shared sockets;
// every other packet takes Pion's path as before.
func WithDirectSRTP(on bool) Option {
	return func(c *config) { c.directSRTP = on }
}

// directFactory hands the one directSRTP of a per-PeerConnection API to the
// interceptor chain.
type directFactory struct{ d *directSRTP }

// NewInterceptor implements interceptor.Factory.
func (f directFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return f.d, nil }

// pcConfiguration gathers at once, into Pion's candidate pool (handed out
// with the first local description), so that the ICE agent exists from the
// start. Created later, by the first description, it could be created by
// Pion's transport-starting goroutine after a Close that found no agent to
// close: Pion's gatherer then never closes it, and its goroutines outlive
// the PeerConnection (seen as a leak in the suite: a relay end closed while
// its first offer was being applied).
func pcConfiguration() webrtc.Configuration {
	return webrtc.Configuration{ICECandidatePoolSize: 1}
}

// newPeerConnection makes a participant's PeerConnection, and its direct
// SRTP paths (nil when off). With direct SRTP, a participant gets an API of
// its own: the DTLS hooks that capture the handshake carry no connection
// identity, so they must serve one PeerConnection only.
func (s *SFU) newPeerConnection(api *webrtc.API, role RelayRole) (*webrtc.PeerConnection, *directSRTP, error) {
	batched := s.sockets.Batched()
	if !s.cfg.directSRTP || role != notRelay || len(batched) == 0 {
		pc, err := api.NewPeerConnection(pcConfiguration())
		return pc, nil, err
	}
	d := &directSRTP{sent: &s.stats.DirectSRTPPackets, paused: &s.stats.DirectSRTPPaused,
		recv: newDirectRecv(&s.stats.DirectSRTPReceived, &s.stats.DirectSRTPDropped, &s.stats.DirectSRTCPReceived)}
	if s.sockets.SharesTCP() {
		d.tcp = newTCPRoutes()
	}
	d.bufs = &s.directBufs
	capture := &srtpkeys.Capture{}
	var onEstimator func(string, *bwe.SendSide)
	if s.cfg.estimateBW {
		onEstimator = func(id string, e *bwe.SendSide) { s.estimators.Store(id, e) }
	}
	m, err := newMediaEngine()
	if err != nil {
		return nil, nil, err
	}
	// First in the registry is innermost in the chain: the report and
	// transport-wide CC interceptors see each packet before it. The
	// receive side brackets the chain (directsrtp_chain.go): its source
	// innermost, its tap outermost, added last.
	reg, err := newInterceptors(m, &s.stats.SequenceJumpsDropped, recvSource{},
		append([]interceptor.Factory{directFactory{d}}, s.cfg.interceptors...), onEstimator)
	if err != nil {
		return nil, nil, err
	}
	reg.Add(&recvTap{recv: d.recv})
	// The shared sockets are open already: the engine gathers on them
	// (sfu/network) rather than opening its own.
	se, err := s.newSettingEngine(false)
	if err != nil {
		return nil, nil, err
	}
	// The gate learns this connection's ICE-TCP packet conns, for a
	// selected pair on ICE-TCP (directsrtp_tcp.go).
	s.sockets.Use(&se, directGate{ssrcCap: s.ssrcs, tcp: d.tcp})
	se.SetDTLSKeyLogWriter(capture)
	se.SetDTLSServerHelloMessageHook(capture.ServerHello)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)).
		NewPeerConnection(pcConfiguration())
	if err != nil {
		return nil, nil, err
	}
	dt := pc.SCTP().Transport()
	dt.OnStateChange(func(st webrtc.DTLSTransportState) {
		if st == webrtc.DTLSTransportStateClosed || st == webrtc.DTLSTransportStateFailed {
			s.demux.route(d.recv, netip.AddrPort{}) // the association is over
			return
		}
		if st != webrtc.DTLSTransportStateConnected {
			return
		}
		keys, err := capture.Keys()
		if err == nil {
			err = d.arm(keys)
		}
		if err != nil {
			s.log.Warn("direct srtp off for this connection", "pc", pc.ID(), "err", err)
		}
	})
	// Following the selected pair (ICE restart, a nominated pair that
	// changes, UDP to ICE-TCP and back) keeps packets going where Pion's
	// ICE would send them.
	dt.ICETransport().OnSelectedCandidatePairChange(func(pair *webrtc.ICECandidatePair) {
		// The receive path takes what comes from a pair on the shared
		// UDP socket; on ICE-TCP, Pion's path reads it.
		conn, addr, onUDP := directRoute(pair, batched)
		s.demux.route(d.recv, addr)
		if pair != nil && pair.Local != nil && pair.Local.Protocol == webrtc.ICEProtocolTCP {
			if rt, ok := selectedTCPRoute(pair, d.tcp); ok {
				d.routeTCP(rt.conn, rt.to)
				return
			}
		} else if onUDP {
			d.route(conn, addr)
			return
		}
		d.route(nil, netip.AddrPort{})
		// Streams already sent directly pause until a pair on a shared
		// socket is selected (Stats.DirectSRTPPaused counts their
		// packets): their rollover counters (RFC 3711 §3.3.1) are ours,
		// and Pion's SRTP context cannot be handed them.
		s.log.Warn("direct srtp: selected ICE pair on no shared socket, direct streams pause",
			"pc", pc.ID(), "pair", pair)
	})
	return pc, d, nil
}

// selectedTCPRoute finds the packet conn of a selected ICE-TCP pair: the SFU's
// local candidates on TCP are the shared port's passive ones (RFC 6544
// §4.5), and the pair's remote address, the client's active end, is the
// address of the TCP connection it accepted (a peer-reflexive candidate
// learnt from the check on it), which routes has seen read.
func selectedTCPRoute(pair *webrtc.ICECandidatePair, routes *tcpRoutes) (tcpRoute, bool) {
	if routes == nil || pair.Remote == nil || pair.Local.TCPType != ice.TCPTypePassive.String() {
		return tcpRoute{}, false
	}
	remote, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return tcpRoute{}, false
	}
	return routes.lookup(netip.AddrPortFrom(remote.Unmap(), pair.Remote.Port))
}

// directRoute finds the shared socket and remote address of a selected
// pair. It declines pairs off the shared UDP socket (TCP, relayed) and
// ambiguous ones (several sockets on the pair's port and family, none bound
// to its address): a packet from the wrong source address would not match
// the pair ICE checked (RFC 8445 §7.2.5.2.1).
func directRoute(pair *webrtc.ICECandidatePair, socks []*udpbatch.Conn) (*udpbatch.Conn, netip.AddrPort, bool) {
	if pair == nil || pair.Local == nil || pair.Remote == nil ||
		pair.Local.Protocol != webrtc.ICEProtocolUDP || pair.Local.Typ == webrtc.ICECandidateTypeRelay {
		return nil, netip.AddrPort{}, false
	}
	remote, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return nil, netip.AddrPort{}, false // an mDNS name: not an address to send to
	}
	local, _ := netip.ParseAddr(pair.Local.Address)
	var found *udpbatch.Conn
	matches := 0
	for _, c := range socks {
		la, ok := c.LocalAddr().(*net.UDPAddr)
		if !ok || la.Port != int(pair.Local.Port) {
			continue
		}
		a := la.AddrPort().Addr().Unmap()
		if a == local.Unmap() {
			found, matches = c, 1
			break
		}
		if a.IsUnspecified() || a.Is4() == remote.Unmap().Is4() {
			found = c
			matches++
		}
	}
	if matches != 1 {
		return nil, netip.AddrPort{}, false
	}
	return found, netip.AddrPortFrom(remote.Unmap(), pair.Remote.Port), true
}
