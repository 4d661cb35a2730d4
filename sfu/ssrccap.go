package sfu

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/transport/v5"
)

// ssrcCap bounds the distinct RTP SSRCs each participant's ICE connection
// lets through to Pion. For every SSRC a PeerConnection has not seen, Pion
// (webrtc v4, undeclaredRTPMediaProcessor) opens an SRTP and an SRTCP read
// stream and keeps them until the PeerConnection closes, each buffering up
// to 1 MB that nothing reads once its 25 probing goroutines are taken: a
// publisher sending each packet under a new SSRC grew its PeerConnection
// by a pair of streams a packet (docs/reliability.md). The SSRC is in
// clear text under SRTP (RFC 3711 §3.1), so the connection reads it before
// Pion does and drops the packets of any SSRC past the first max; a
// legitimate publisher cannot use that many (SSRCsForTracks). Relays
// between nodes, which carry a room's every track, are not capped.
type ssrcCap struct {
	max     int            // 0: no cap
	dropped *atomic.Uint64 // Stats.SSRCCapDropped
	log     *slog.Logger
	// sets holds each participant's set by the local ICE username of its
	// connection (string → *ssrcSet; ssrcShare.register), so that the ICE
	// connections of one PeerConnection, an ICE restart's among them,
	// share one cap: Pion keeps its streams per PeerConnection, across
	// restarts. A connection whose username is not there, or whose own
	// socket could not learn it (learnUfrag), has a set of its own.
	sets *sync.Map
}

// Per published track, the most SSRCs a publisher sends: three simulcast
// layers, each with its RTX repair stream (RFC 4588).
const ssrcsPerTrack = 3 * 2

// ssrcMargin is added to a cap derived from tracks: Chromium's bandwidth
// probes on SSRC 0 of old, FEC streams, a track's sender changing its SSRC.
const ssrcMargin = 16

// SSRCsForTracks is the cap of WithMaxIncomingSSRCs for participants that
// may send tracks tracks at once (0: no cap): every track at full
// simulcast with RTX, each replaced once over the connection's life (a
// track unpublished and published again comes on a new transceiver, under
// new SSRCs, and the set does not forget), plus a margin.
func SSRCsForTracks(tracks int) int {
	if tracks <= 0 {
		return 0
	}
	return tracks*ssrcsPerTrack*2 + ssrcMargin
}

// gate is one ICE connection's filter, read by the connection's one
// reader goroutine (ICE's read loop of its candidate): its own fields need
// no lock.
type gate struct {
	cap    ssrcCap
	set    *ssrcSet // found or made at the first RTP packet
	last   uint64   // the last SSRC let in, as in ssrcSet's table
	ufrag  string
	logged bool
	// learn says the ufrag is not known when the gate is made (a
	// connection's own socket): it is taken from the client's STUN
	// Binding requests (learnUfrag), and kept at the first RTP packet
	// only if that comes from where the last of them came from (ufragFrom).
	learn     bool
	ufragFrom string
}

func (c ssrcCap) gate(ufrag string) *gate { return &gate{cap: c, ufrag: ufrag} }

// setFor is the set of the participant whose connection has the local ICE
// username ufrag, or a new one.
func (c ssrcCap) setFor(ufrag string) *ssrcSet {
	if c.sets != nil && ufrag != "" {
		if s, ok := c.sets.Load(ufrag); ok {
			return s.(*ssrcSet)
		}
	}
	return newSSRCSet(c.max)
}

// pass reports whether b may go on to Pion: anything but RTP, and RTP of
// an SSRC the set holds or has room for. A refusal is counted and, the
// first on this connection, logged. The set is looked up at the first
// RTP packet, which comes after DTLS, so after the participant registered
// its username.
func (g *gate) pass(b []byte, from func() any) bool {
	ssrc, ok := rtpSSRC(b)
	if !ok {
		if g.learn && g.set == nil {
			g.learnUfrag(b, from)
		}
		return true
	}
	if present|uint64(ssrc) == g.last {
		return true
	}
	if g.set == nil {
		if g.learn && g.ufrag != "" && fmt.Sprint(from()) != g.ufragFrom {
			// Not the address the username came from: a check anyone
			// could have sent does not choose the set (below).
			g.ufrag = ""
		}
		g.set = g.cap.setFor(g.ufrag)
	}
	if g.set.admit(ssrc) {
		g.last = present | uint64(ssrc)
		return true
	}
	g.cap.dropped.Add(1)
	if !g.logged {
		g.logged = true
		g.cap.log.Warn("RTP under more SSRCs than a publisher can use: dropping the packets of new ones",
			"ufrag", g.ufrag, "remote", from(), "max", g.cap.max, "ssrc", ssrc)
	}
	return false
}

func (g *gate) readFrom(c net.PacketConn, b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.ReadFrom(b)
		if err != nil || g.pass(b[:n], func() any { return addr }) {
			return n, addr, err
		}
	}
}

func (g *gate) readFromAddrPort(c ice.AddrPortReaderWriter, b []byte) (int, netip.AddrPort, error) {
	for {
		n, addr, err := c.ReadFromAddrPort(b)
		if err != nil || g.pass(b[:n], func() any { return addr }) {
			return n, addr, err
		}
	}
}

// wrap gates a connection ICE reads with ReadFrom (ICE-TCP's).
func (c ssrcCap) wrap(conn net.PacketConn, ufrag string) net.PacketConn {
	if c.max <= 0 {
		return conn
	}
	return &gatedConn{PacketConn: conn, g: c.gate(ufrag)}
}

type gatedConn struct {
	net.PacketConn
	g *gate
}

func (c *gatedConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.g.readFrom(c.PacketConn, b) }

// wrapUDP gates a UDP connection, keeping the allocation-free reads and
// writes by netip.AddrPort ICE prefers when the connection has them.
func (c ssrcCap) wrapUDP(conn net.PacketConn, ufrag string) net.PacketConn {
	if c.max <= 0 {
		return conn
	}
	g := c.gate(ufrag)
	if ap, ok := conn.(ice.AddrPortReaderWriter); ok {
		return &gatedAddrPortConn{gatedConn{conn, g}, addrPortGate{ap, g}}
	}
	return &gatedConn{conn, g}
}

type gatedAddrPortConn struct {
	gatedConn
	addrPortGate
}

// addrPortGate gives a gated connection the reads and writes by
// netip.AddrPort of the connection it wraps.
type addrPortGate struct {
	ap ice.AddrPortReaderWriter
	g  *gate
}

func (c addrPortGate) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.g.readFromAddrPort(c.ap, b)
}

func (c addrPortGate) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.ap.WriteToAddrPort(b, addr)
}

// GateUDP gates each ICE connection of the shared UDP port: the cap is the
// network.Gate that package network's Sockets.Use wraps the muxes in.
func (c ssrcCap) GateUDP(m ice.UDPMux) ice.UDPMux { return gatedUDPMux{UDPMux: m, cap: c} }

// GateTCP gates each ICE-TCP connection of the shared TCP port.
func (c ssrcCap) GateTCP(m *ice.TCPMuxDefault) ice.TCPMux { return gatedTCPMux{mux: m, cap: c} }

// gatedUDPMux gates each ICE connection of the shared UDP port.
type gatedUDPMux struct {
	ice.UDPMux
	cap ssrcCap
}

func (m gatedUDPMux) GetConn(ufrag string, addr net.Addr) (net.PacketConn, error) {
	c, err := m.UDPMux.GetConn(ufrag, addr)
	if err != nil {
		return nil, err
	}
	return m.cap.wrapUDP(c, ufrag), nil
}

// gatedTCPMux gates each ICE-TCP connection. It names its methods rather
// than embedding the mux: ICE asks the mux for LocalAddr, and must not
// find GetAllConns, which would hand out connections ungated.
type gatedTCPMux struct {
	mux *ice.TCPMuxDefault
	cap ssrcCap
	// routes, for a direct-SRTP PeerConnection (directsrtp_tcp.go), learns
	// which packet conn carries which remote TCP address; nil otherwise.
	routes *tcpRoutes
}

func (m gatedTCPMux) GetConnByUfrag(ufrag string, isIPv6 bool, local net.IP) (net.PacketConn, error) {
	c, err := m.mux.GetConnByUfrag(ufrag, isIPv6, local)
	if err != nil {
		return nil, err
	}
	return m.cap.wrap(m.routes.wrap(c), ufrag), nil
}

func (m gatedTCPMux) RemoveConnByUfrag(ufrag string) { m.mux.RemoveConnByUfrag(ufrag) }
func (m gatedTCPMux) LocalAddr() net.Addr            { return m.mux.LocalAddr() }
func (m gatedTCPMux) Close() error                   { return m.mux.Close() }

// gatedNet gates the UDP sockets a connection opens for itself (without
// WithUDPMux): ICE gathers its host candidates on them.
type gatedNet struct {
	transport.Net
	cap ssrcCap
}

func (n gatedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil || n.cap.max <= 0 {
		return c, err
	}
	// The socket is the connection's own: its ICE username comes with
	// the client's connectivity checks.
	g := n.cap.gate("")
	g.learn = true
	if ap, ok := c.(ice.AddrPortReaderWriter); ok {
		return &gatedUDPAddrPortConn{gatedUDPConn{c, g}, addrPortGate{ap, g}}, nil
	}
	return &gatedUDPConn{c, g}, nil
}

type gatedUDPConn struct {
	transport.UDPConn
	g *gate
}

func (c *gatedUDPConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.g.readFrom(c.UDPConn, b) }

type gatedUDPAddrPortConn struct {
	gatedUDPConn
	addrPortGate
}

// ssrcShare is a participant's part in its connection's SSRC cap: its set,
// registered under each local ICE username its PeerConnection takes. The
// participant's run goroutine registers, after each local description;
// teardown, after run has ended, unregisters.
type ssrcShare struct {
	set    *ssrcSet
	sets   *sync.Map
	ufrags [2]string // the current username and the one before
}

// newSSRCShare makes a participant's set, nil when there is no cap.
func (c ssrcCap) newSSRCShare() *ssrcShare {
	if c.max <= 0 || c.sets == nil {
		return nil
	}
	return &ssrcShare{set: newSSRCSet(c.max), sets: c.sets}
}

// register files the set under the local ICE username of sdp, a local
// description just set (RFC 8839 §5.4: a=ice-ufrag; an ICE restart's is
// new). It reads the description, not Pion's ICE transport, whose
// GetLocalParameters reads a field Pion's transport-starting goroutine
// writes. The username before stays, for the connections of before the
// restart; older ones go (their connections found the set at their first
// packet).
func (s *ssrcShare) register(sdp string) {
	if s == nil {
		return
	}
	_, rest, ok := strings.Cut(sdp, "a=ice-ufrag:")
	if !ok {
		return
	}
	ufrag, _, _ := strings.Cut(rest, "\n")
	ufrag = strings.TrimSuffix(ufrag, "\r")
	if ufrag == "" || ufrag == s.ufrags[0] {
		return
	}
	if old := s.ufrags[1]; old != "" {
		s.sets.Delete(old)
	}
	s.ufrags[1], s.ufrags[0] = s.ufrags[0], ufrag
	s.sets.Store(ufrag, s.set)
}

// unregister takes the set out of the registry.
func (s *ssrcShare) unregister() {
	if s == nil {
		return
	}
	for _, u := range s.ufrags {
		if u != "" {
			s.sets.Delete(u)
		}
	}
}

// learnUfrag takes the local ICE username from b if it is a STUN Binding
// request, a client's connectivity check: its USERNAME is the receiver's
// ufrag, a colon, and the sender's (RFC 8445 §7.2.2). With it, a
// connection's own socket finds its participant's set, as the shared
// port's connections do by the mux's ufrag: one cap across every socket
// an ICE restart opens. The request's integrity is Pion's to check, after
// this, so it is trusted only as far as pass does: the last request's
// username is kept, with the address it came from, and used only if the
// first RTP packet comes from there. A forged check (another
// participant's username sent to this socket, to make this connection
// fill that participant's set, or the other way round) then leaves the
// socket with a set of its own, as before the username was read. Only
// sockets whose set is not chosen yet parse STUN: until their first RTP
// packet.
func (g *gate) learnUfrag(b []byte, from func() any) {
	if !stun.IsMessage(b) {
		return
	}
	m := stun.Message{Raw: b}
	if m.Decode() != nil || m.Type != stun.BindingRequest {
		return
	}
	var u stun.Username
	if u.GetFrom(&m) != nil {
		return
	}
	if local, _, ok := strings.Cut(u.String(), ":"); ok && local != "" {
		g.ufrag, g.ufragFrom = local, fmt.Sprint(from())
	}
}
