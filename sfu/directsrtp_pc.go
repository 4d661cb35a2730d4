package sfu

import (
	"net/netip"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/sfu/srtpkeys"
)

// WithDirectSRTP has the SFU encrypt each subscriber's forwarded RTP itself
// and queue it on the shared batched UDP socket (WithUDPMux with
// WithSendBatching), past Pion's SRTP session, mux and ICE write path
// (directsrtp.go), or write it to the ICE-TCP connection (WithICETCP) while
// ICE's selected pair is there; and decrypt publishers' RTP in the shared
// UDP socket's read loop, handing each packet to its layer in one hop
// instead of Pion's five (directsrtp_recv.go). Off by default in the
// package (cmd/switchboard turns it on unless --direct-srtp=false). It
// applies to participants (not relays) on the shared sockets, and only
// where it can follow every pair ICE may select (enableDirectSRTP): with
// ports per connection, or batching off, it does nothing; every other
// packet takes Pion's path as before.
func WithDirectSRTP(on bool) Option {
	return func(c *config) { c.directSRTP = on }
}

// enableDirectSRTP turns direct SRTP on for the participants' connections
// when it can carry every pair ICE may select for them; else it logs why
// not, and they keep Pion's path. It must be certain before any stream goes
// direct: a stream that has cannot go back (directsrtp.go).
func (s *SFU) enableDirectSRTP() {
	batched := s.sockets.Batched()
	if len(batched) == 0 {
		s.log.Info("direct srtp off: no shared batched UDP port (a port per connection, or batching off); Pion's path")
		return
	}
	socks, err := directSockets(batched, s.sockets.Announced)
	if err != nil {
		s.log.Warn("direct srtp off; Pion's path", "err", err)
		return
	}
	s.log.Info("direct srtp on", "sockets", len(socks))
	s.direct = socks
	s.demux = newRecvDemux()
	for _, c := range batched {
		c.SetTap(s.demux)
	}
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
	if s.direct == nil || role != notRelay {
		pc, err := api.NewPeerConnection(pcConfiguration())
		return pc, nil, err
	}
	d := &directSRTP{sent: &s.stats.DirectSRTPPackets, paused: &s.stats.DirectSRTPPaused,
		recv: newDirectRecv(&s.stats.DirectSRTPReceived, &s.stats.DirectSRTPDropped, &s.stats.DirectSRTCPReceived)}
	if s.sockets.SharesTCP() {
		d.tcp = newTCPRoutes(d.recv)
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
	// A remote candidate named by mDNS (a browser hiding its address)
	// would be a pair whose address direct SRTP cannot send to: without
	// name resolution the agent drops such candidates, and learns the
	// client's address as a peer-reflexive candidate from its checks
	// instead (RFC 8445 §7.3.1.3), which the SFU, always reachable at its
	// own candidates, gets from every client that reaches it.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
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
		// UDP socket here; on ICE-TCP, the gate's reads hand it over
		// (directsrtp_tcp.go).
		conn, addr, onUDP := directRoute(pair, s.direct)
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
		if pair == nil {
			return // ICE closing: nothing more is sent either way
		}
		// Not expected: every local candidate of this connection is on a
		// shared socket that names it alone (enableDirectSRTP), every
		// remote one an address (no mDNS, above), and a TCP pair is
		// selected only after a check read through the gate. Should it
		// happen, streams already sent directly pause until a pair on a
		// shared socket is selected (Stats.DirectSRTPPaused counts their
		// packets): their rollover counters (RFC 3711 §3.3.1) are ours,
		// and Pion's SRTP context cannot be handed them. Streams not yet
		// direct stay on Pion's path.
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
