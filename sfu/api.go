package sfu

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/sfu/twcc"
)

// videoFeedback is what every video codec offers: NACK and PLI for loss
// (RFC 4585 §6.2.1, §6.3.1), FIR (RFC 5104 §4.3.1), transport-wide CC.
func videoFeedback() []webrtc.RTCPFeedback {
	return []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
}

// newMediaEngine registers the codecs the SFU forwards: Opus; VP8, and VP9
// and H.264 where both ends support them; each video codec with RTX
// (RFC 4588) so that Chromium's retransmissions and probes arrive on a repair
// stream that Pion folds back into the track.
func newMediaEngine() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	audio := []webrtc.RTPCodecParameters{{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1;usedtx=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: 111,
	}, {
		// Redundant audio (RFC 2198), as Chromium offers it: each packet
		// carries the previous frame too, so a lost packet costs nothing
		// audible. Forwarded as is to subscribers that negotiated it,
		// unwrapped to the primary Opus for the others (downtrack.go).
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: MimeTypeRED, ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111",
		},
		PayloadType: 63,
	}}
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	video := []struct {
		mime, fmtp string
		pt, rtx    webrtc.PayloadType
	}{
		{webrtc.MimeTypeVP8, "", 96, 97},
		{webrtc.MimeTypeVP9, "profile-id=0", 98, 99},
		{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102, 103},
		{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 104, 105},
	}
	for _, v := range video {
		codec := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: v.mime, ClockRate: 90000, SDPFmtpLine: v.fmtp, RTCPFeedback: videoFeedback(),
			},
			PayloadType: v.pt,
		}
		rtx := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", v.pt),
			},
			PayloadType: v.rtx,
		}
		if err := m.RegisterCodec(codec, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
		if err := m.RegisterCodec(rtx, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	// sdes:mid, rtp-stream-id and repaired-rtp-stream-id (RFC 8852): how
	// simulcast layers are told apart.
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	for _, ext := range []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{uriAudioLevel, webrtc.RTPCodecTypeAudio},
		{uriVideoOrientation, webrtc.RTPCodecTypeVideo},
	} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: ext.uri}, ext.kind); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newInterceptors keeps only what the SFU needs per PeerConnection: NACKs for
// gaps in what publishers send, receiver and sender reports, transport-wide
// CC feedback so that publishers' browsers can estimate their uplink, and a
// send-side estimate of each subscriber's downlink (sfu/twcc's sender: sequence
// numbers out, feedback in, a delay and loss detector; no pacer: the SFU
// must not delay every packet). There is deliberately no NACK responder:
// retransmissions come from the shared PacketCache, never from
// per-subscriber copies. onEstimator receives each PeerConnection's
// estimator, by PeerConnection id; nil turns estimation off. First of all
// (innermost: it sees each packet first) comes seqGuard, counting in
// dropped what it drops; inner, when not nil, comes before it: the direct
// receive path's source of decrypted packets (directsrtp_chain.go).
func newInterceptors(m *webrtc.MediaEngine, dropped *atomic.Uint64, inner interceptor.Factory, extra []interceptor.Factory, onEstimator func(pcID string, e *bwe.SendSide)) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	if inner != nil {
		reg.Add(inner)
	}
	// The direct receive path's chains are read by two goroutines.
	reg.Add(seqGuard{dropped: dropped, shared: inner != nil})
	for _, f := range extra {
		reg.Add(f)
	}
	if onEstimator != nil {
		// Before the interceptors that parse RTCP: it reads each
		// packet first and reads past transport-wide feedback alone,
		// which it reads without pion/rtcp's allocation per packet
		// reported (sfu/twcc). On the way out it numbers each packet
		// after the sender reports counted it.
		send, err := twcc.NewSenderInterceptor(twcc.WithEstimatorHook(onEstimator))
		if err != nil {
			return nil, err
		}
		reg.Add(send)
	}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorMaxNacksPerPacket(maxNACKsPerPacket))
	if err != nil {
		return nil, err
	}
	reg.Add(lazyNACK{inner: gen})
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	if err := configureTWCCFeedback(m, reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// configureTWCCFeedback is webrtc.ConfigureTWCCSender with sfu/twcc's
// receiver in place of Pion's: the same feedback, without a goroutine
// hand-off per packet received (sfu/twcc/receiver_interceptor.go).
func configureTWCCFeedback(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, kind)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return err
		}
	}
	reg.Add(twcc.NewReceiverInterceptor(twcc.DefaultFeedbackInterval))
	return nil
}

// Bounds of a subscriber's bandwidth estimate, bits per second. It starts
// generous, so a meeting opens with video for everyone at once: the delay
// and loss detectors cut it within a second or two where the link is
// narrower.
const (
	initialEstimate = 3_000_000
	minEstimate     = 50_000
	maxEstimate     = 50_000_000
)

// maxNACKsPerPacket bounds how often the NACK generator asks a publisher
// for one lost packet (RFC 4585 §6.2.1), as sfu/resend bounds what the
// SFU resends. Pion's generator asks every 100 ms until the packet is
// read on its stream, but a repair that comes on RTX (RFC 4588), as
// Chromium's do, is read on the RTX stream: the generator never learns of
// it and asked for each lost packet until it left its 512-packet window,
// about 25 times (TestDirectSRTPReceiveNACK: 533 asks for 21 losses), and
// a browser answers each ask it gets an RTT apart: a publisher on a lossy
// uplink resent every lost packet many times over, into the same link.
// Three asks 100 ms apart repair a loss unless three resends in a row
// are lost too.
const maxNACKsPerPacket = 3

// srtpReplayWindow is libwebrtc's SRTP replay window, in packets.
const srtpReplayWindow = 1024

// newSettingEngine makes a setting engine. shared says it is for
// participants' connections: they gather on the shared sockets (sfu/network)
// when there are any, and their sockets are capped in SSRCs either way.
func (s *SFU) newSettingEngine(shared bool) (webrtc.SettingEngine, error) {
	cfg := &s.cfg
	se := webrtc.SettingEngine{}
	se.SetICETimeouts(cfg.iceDisconnected, cfg.iceFailed, cfg.iceDisconnected/2)
	// The SFU is always the DTLS server: it answers a=setup:passive (RFC
	// 8842 §5.3), so the roles set up by the first exchange hold whichever
	// side offers next. Left to itself, Pion answers a client's re-offer
	// as active even when it was passive so far, after a server offer, and
	// Chromium refuses that ("Failed to set SSL role for the transport").
	if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
		return se, err
	}
	// The SRTP replay window of libwebrtc (1024 packets) rather than Pion's
	// 64: a relay's retransmissions come on the stream itself (no RTX), and
	// one answering a loss in a burst (a subscriber's start from the cache)
	// arrives more than 64 packets behind the newest and would be dropped
	// as a replay.
	se.SetSRTPReplayProtectionWindow(srtpReplayWindow)
	// What Pion's read streams queue packets in (streambufs.go).
	se.BufferFactory = streamBuffer
	nw := s.systemNet()
	if nw != nil && shared && s.ssrcs.max > 0 {
		// Participants' connections on sockets of their own (without
		// WithUDPMux) are capped in their SSRCs there (ssrccap.go).
		nw = gatedNet{Net: nw, cap: s.ssrcs}
	}
	if nw != nil {
		se.SetNet(nw)
	}
	// Addresses, interfaces, the NAT's public addresses, the port range.
	if err := s.network.Apply(&se); err != nil {
		return se, err
	}
	if shared {
		s.sockets.Use(&se, s.ssrcs)
	}
	return se, nil
}

// newAPI makes the API PeerConnections are made with; shared says whether
// they gather on the shared sockets (WithUDPMux, WithICETCP) or each on
// sockets of its own.
func (s *SFU) newAPI(onEstimator func(pcID string, e *bwe.SendSide), shared bool) (*webrtc.API, error) {
	m, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	reg, err := newInterceptors(m, &s.stats.SequenceJumpsDropped, nil, s.cfg.interceptors, onEstimator)
	if err != nil {
		return nil, err
	}
	se, err := s.newSettingEngine(shared)
	if err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}
