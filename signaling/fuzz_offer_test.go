package signaling

import (
	"errors"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// permsFrom reads the publishing permissions from the low two bits.
func permsFrom(b uint8) sfu.Permissions {
	return sfu.Permissions{Publish: b&1 != 0, PublishScreen: b&2 != 0, Subscribe: true}
}

// FuzzOffer feeds a client's offer message through what the server does
// before Pion sees it: decoding, the sources check of dispatch, and the
// permission check that reads the SDP (checkOffer). Seeds
// (testdata/fuzz/FuzzOffer) are the offers Chromium made in the browser
// tests, with each set of permissions.
//
// Properties: it refuses only as forbidden or as bad SDP; every permission
// admits everything; more permissions never refuse what fewer admitted;
// and an accepted offer without the publish permission has no audio or
// video section Pion would receive on (RFC 8866 §6.7 directions, read as
// Pion reads them) but those listed as screens, with that permission.
func FuzzOffer(f *testing.F) {
	f.Add([]byte(`{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n","tracks":[{"mid":"0","source":"microphone"}]}`), uint8(0))
	f.Add([]byte(`{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=sendonly\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=bundle-only\r\na=mid:1\r\n","tracks":[{"mid":"1","source":"screen"}]}`), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, bits uint8) {
		msg, err := protocol.DecodeClient(data)
		if err != nil {
			return
		}
		m, ok := msg.(*protocol.SessionDescription)
		if !ok || m.Type != protocol.TypeOffer || m.SDP == "" {
			return
		}
		for _, tr := range m.Tracks {
			if !sfu.ValidSource(tr.Source) {
				return // dispatch refuses it as a bad source
			}
		}
		perms := permsFrom(bits)
		err = checkOffer(perms, 0, m)
		if err != nil && !errors.Is(err, ErrForbidden) && !errors.Is(err, sfu.ErrBadSDP) {
			t.Fatalf("refused with %v", err)
		}
		if all := checkOffer(sfu.AllPermissions(), 0, m); all != nil {
			t.Fatalf("every permission, refused: %v", all)
		}
		if err == nil {
			for more := range uint8(4) {
				if more&bits == bits {
					if e := checkOffer(permsFrom(more), 0, m); e != nil {
						t.Fatalf("admitted with %+v, refused with more (%+v): %v", perms, permsFrom(more), e)
					}
				}
			}
		}
		if err != nil || perms.Publish {
			return
		}
		var d sdp.SessionDescription
		if d.UnmarshalString(m.SDP) != nil {
			t.Fatal("admitted an offer whose SDP does not parse without the publish permission")
		}
		// What Pion will receive on, read as Pion reads it: the media kind
		// case-insensitively, the section's first direction attribute, and
		// the port not at all.
		for _, md := range d.MediaDescriptions {
			if webrtc.NewRTPCodecType(md.MediaName.Media) == 0 {
				continue
			}
			dir := pionDirection(md.Attributes)
			if dir != webrtc.RTPTransceiverDirectionSendrecv && dir != webrtc.RTPTransceiverDirectionSendonly {
				continue
			}
			mid, _ := md.Attribute("mid")
			if !perms.PublishScreen || !listedAs(m.Tracks, mid, sfu.SourceScreen) {
				t.Fatalf("admitted %q mid %q that says %s, with %+v", md.MediaName.Media, mid, dir, perms)
			}
		}
	})
}

// pionDirection is the direction Pion takes from a media section: its
// first direction attribute.
func pionDirection(attrs []sdp.Attribute) webrtc.RTPTransceiverDirection {
	for _, a := range attrs {
		if d := webrtc.NewRTPTransceiverDirection(a.Key); d != webrtc.RTPTransceiverDirectionUnknown {
			return d
		}
	}
	return webrtc.RTPTransceiverDirectionUnknown
}

func listedAs(tracks []protocol.PublishedTrack, mid, source string) bool {
	found := false
	for _, t := range tracks {
		if t.Mid == mid {
			// The last listing wins, as in checkOffer's map.
			found = t.Source == source
		}
	}
	return found
}
