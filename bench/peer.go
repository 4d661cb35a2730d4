package bench

import (
	"fmt"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/iceaddr"
	"github.com/switchboard-rtc/switchboard/internal/rawudp"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// maxNACKsPerPacket bounds how often Pion's NACK generator asks for one
// packet. With RTX negotiated, Pion folds repaired packets into the track
// after the generator, which never learns they arrived and would otherwise
// ask again every 100 ms until they leave its 512-packet window.
const maxNACKsPerPacket = 5

// newPeerConnection builds the client's PeerConnection the way a browser's
// is: Pion's default codecs and interceptors (NACK, reports, TWCC), plus
// the caller's interceptors nearest the network.
func (c *Client) newPeerConnection(servers []protocol.ICEServer) (*webrtc.PeerConnection, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if c.opts.red {
		if err := m.RegisterCodec(redCodec, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	// mid and rid header extensions (RFC 8852): how the server tells
	// simulcast layers apart, as browsers send them.
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	// The audio level of each packet (RFC 6464), which browsers send and
	// the server reads to tell who is speaking.
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	for _, f := range c.opts.interceptors {
		reg.Add(f)
	}
	logs := pionLogs{c.log}
	err := webrtc.RegisterDefaultInterceptorsWithOptions(m, reg,
		webrtc.WithInterceptorLoggerFactory(logs),
		webrtc.WithNackGeneratorOptions(nack.GeneratorMaxNacksPerPacket(maxNACKsPerPacket)))
	if err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	filter, loopback, err := iceaddr.Filter(c.opts.iceIPs)
	if err != nil {
		return nil, fmt.Errorf("%w: ICE IP: %w", ErrBadOption, err)
	}
	if filter != nil {
		se.SetIPFilter(filter)
	}
	se.SetIncludeLoopbackCandidate(loopback)
	// Servers send no .local candidates, and a load generator runs many
	// clients: no multicast sockets per client.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A browser's SRTP replay window (libwebrtc: 1024 packets), not Pion's
	// 64: a retransmission on the stream itself that answers a loss in a
	// burst arrives more than 64 packets late, and a browser takes it.
	se.SetSRTPReplayProtectionWindow(1024)
	se.DisableSRTPReplayProtection(c.opts.noReplayCheck)
	if c.opts.iceTCP {
		se.SetNetworkTypes([]webrtc.NetworkType{
			webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6,
		})
	}
	if c.opts.net != nil {
		se.SetNet(c.opts.net)
	} else if n, err := rawudp.NewNet(); err == nil {
		// A load generator's clients are woken by every packet: through
		// raw system calls, each wakeup no longer also wakes the
		// runtime's sysmon (9 % of the generator's CPU, perf).
		se.SetNet(n)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	cfg := webrtc.Configuration{}
	if c.opts.relayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	for _, s := range servers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{
			URLs: s.URLs, Username: s.Username, Credential: s.Credential,
		})
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, err
	}
	pc.OnICECandidate(c.onICECandidate)
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(c.onConnectionState)
	return pc, nil
}

func (c *Client) onICECandidate(cand *webrtc.ICECandidate) {
	if cand == nil {
		return // end of candidates needs no message
	}
	if err := c.send(protocol.Candidate{Type: protocol.TypeCandidate, Candidate: protocol.ICECandidate(cand.ToJSON())}); err != nil {
		c.log.Debug("sending candidate", "err", err)
	}
}

func (c *Client) onConnectionState(s webrtc.PeerConnectionState) {
	c.log.Debug("connection state", "state", s.String())
	c.mu.Lock()
	c.connState = s
	c.mu.Unlock()
	if s == webrtc.PeerConnectionStateConnected && !c.connectedOnce.Swap(true) {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// onTrack runs on a goroutine of its own (Pion starts one per track) and
// reads the track until it ends.
func (c *Client) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	mid := ""
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Receiver() == r {
			mid = tr.Mid()
			break
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	id := c.midTrackIDs[mid]
	pid := t.StreamID()
	if info, ok := c.tracks[id]; ok {
		pid = info.ParticipantID
	}
	rt := newRemoteTrack(t, id, pid, mid)
	c.remote = append(c.remote, rt)
	c.media.Add(1) // under mu and before closed: Close's Wait comes after
	c.mu.Unlock()
	defer c.media.Done()
	c.log.Debug("remote track", "id", id, "mid", mid, "kind", t.Kind().String(), "from", pid)
	var askKeyframe func(rtcp.Packet) error
	if c.opts.keyframeAsker {
		askKeyframe = func(p rtcp.Packet) error { return c.pc.WriteRTCP([]rtcp.Packet{p}) }
	}
	rt.read(c.ctx, askKeyframe)
}
