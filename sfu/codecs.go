package sfu

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// MimeTypeRED is redundant audio (RFC 2198) over Opus, as Chromium names it.
const MimeTypeRED = "audio/red"

// bindCodec picks the codec a subscriber is sent the publisher's track in:
// the publisher's own (matchCodec), or for RED audio that the subscriber
// did not negotiate, plain Opus: unwrap is then true, and each packet's
// primary block is sent alone (red.Primary).
func bindCodec(offered []webrtc.RTPCodecParameters, want webrtc.RTPCodecParameters) (c webrtc.RTPCodecParameters, unwrap, ok bool) {
	if c, ok := matchCodec(offered, want); ok {
		return c, false, true
	}
	if !strings.EqualFold(want.MimeType, MimeTypeRED) {
		return webrtc.RTPCodecParameters{}, false, false
	}
	c, ok = matchCodec(offered, webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}})
	return c, ok, ok
}

// matchCodec picks, among what the subscriber negotiated, the codec the
// publisher sends: the same fmtp first (H.264 profiles), else the same
// mime type with the same H.264 packetization mode.
func matchCodec(offered []webrtc.RTPCodecParameters, want webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var fallback *webrtc.RTPCodecParameters
	for i := range offered {
		c := &offered[i]
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if c.SDPFmtpLine == want.SDPFmtpLine {
			return *c, true
		}
		if fallback == nil && fmtpParam(c.SDPFmtpLine, "packetization-mode") == fmtpParam(want.SDPFmtpLine, "packetization-mode") {
			fallback = c
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return webrtc.RTPCodecParameters{}, false
}

// fmtpParam returns one parameter of an a=fmtp line (RFC 4566 §6).
func fmtpParam(line, key string) string {
	for _, kv := range strings.Split(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// extensionMapping renames one header extension from the publisher's ID to
// the subscriber's.
type extensionMapping struct{ from, to uint8 }

// forwardedExtensions are the header extensions worth passing on: audio
// level for active-speaker display, orientation for phones' video.
func forwardedExtension(uri string) bool {
	return uri == uriAudioLevel || uri == uriVideoOrientation
}

func mapExtensions(pub, sub []webrtc.RTPHeaderExtensionParameter) []extensionMapping {
	var out []extensionMapping
	for _, p := range pub {
		if !forwardedExtension(p.URI) {
			continue
		}
		for _, s := range sub {
			if s.URI == p.URI {
				out = append(out, extensionMapping{from: uint8(p.ID), to: uint8(s.ID)})
			}
		}
	}
	return out
}
