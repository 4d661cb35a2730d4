package signaling

import (
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// TestCheckPublishReadsSDPAsPionDoes: the permission check sees every
// section Pion will receive on. Pion ignores the port of an audio or video
// section, so port 0 must not hide a sending one (RFC 8866 §5.14 calls such
// a section rejected; Pion does not).
// A kind in capitals does not parse (pion/sdp), so it is refused as bad SDP.
func TestCheckPublishReadsSDPAsPionDoes(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	tests := []struct {
		name    string
		section string
		tracks  []protocol.PublishedTrack
		perms   sfu.Permissions
		want    error // nil: admitted
	}{
		{"sendonly video", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n", nil, sfu.Permissions{}, ErrForbidden},
		{"upper-case kind", "m=VIDEO 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n", nil, sfu.Permissions{}, sfu.ErrBadSDP},
		{"mixed-case audio", "m=Audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n", nil, sfu.Permissions{}, sfu.ErrBadSDP},
		{"port 0", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n", nil, sfu.Permissions{}, ErrForbidden},
		{"port 0, bundle-only", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=bundle-only\r\na=mid:1\r\na=sendonly\r\n", nil, sfu.Permissions{}, ErrForbidden},
		{"recvonly", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\n", nil, sfu.Permissions{}, nil},
		{"stopped", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=inactive\r\n", nil, sfu.Permissions{}, nil},
		{"data channel", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n", nil, sfu.Permissions{}, nil},
		{"screen allowed", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n",
			[]protocol.PublishedTrack{{Mid: "1", Source: sfu.SourceScreen}}, sfu.Permissions{PublishScreen: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOffer(tt.perms, 0, &protocol.SessionDescription{Type: protocol.TypeOffer, SDP: head + tt.section, Tracks: tt.tracks})
			if !errors.Is(err, tt.want) {
				t.Fatalf("checkOffer: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCheckOfferCountsSendingSections: the track cap counts the audio and
// video sections the offer sends on, whatever their listing says; a
// simulcast track is one section.
func TestCheckOfferCountsSendingSections(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	const (
		audio     = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\na=sendonly\r\n"
		simulcast = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:%d\r\na=sendonly\r\na=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send q;h;f\r\n"
		sendrecv  = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:%d\r\n" // the default direction
		recvonly  = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:%d\r\na=recvonly\r\n"
		inactive  = "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:%d\r\na=inactive\r\n"
		data      = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:%d\r\n"
	)
	tests := []struct {
		name     string
		sections []string
		max      int
		refused  bool
	}{
		{"no limit", []string{audio, audio, audio, audio}, 0, false},
		{"at the limit", []string{audio, simulcast}, 2, false},
		{"over the limit", []string{audio, simulcast, audio}, 2, true},
		{"a simulcast track is one", []string{simulcast}, 1, false},
		{"sendrecv by default counts", []string{audio, sendrecv}, 1, true},
		{"receiving, stopped and data sections do not count", []string{audio, recvonly, inactive, data, recvonly}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdp := head
			for i, s := range tt.sections {
				sdp += fmt.Sprintf(s, i)
			}
			err := checkOffer(sfu.AllPermissions(), tt.max, &protocol.SessionDescription{Type: protocol.TypeOffer, SDP: sdp})
			if got := errors.Is(err, ErrTooManyTracks); got != tt.refused || (!tt.refused && err != nil) {
				t.Fatalf("checkOffer: %v, want refused %v", err, tt.refused)
			}
		})
	}
}
