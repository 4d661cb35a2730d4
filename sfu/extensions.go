package sfu

// Header extensions the SFU forwards, rewriting their IDs per subscriber.
const (
	uriAudioLevel       = "urn:ietf:params:rtp-hdrext:ssrc-audio-level" // RFC 6464
	uriVideoOrientation = "urn:3gpp:video-orientation"                  // 3GPP TS 26.114 §7.4.5
)
