package signaling

import (
	"fmt"

	"github.com/pion/sdp/v3"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// checkOffer refuses an offer that would send more than the participant
// may: a listed track of a source it may not publish, any media section it
// would send on that it did not list as such a source (the SFU takes an
// unlisted track for a camera or a microphone), or more sending sections
// than maxTracks (0: no limit; a simulcast track is one section). Sending
// is read from the SDP's direction attributes (RFC 8866 §6.7), not from the
// list, so a client cannot slip media past the checks by leaving it out.
func checkOffer(perms sfu.Permissions, maxTracks int, m *protocol.SessionDescription) error {
	if perms.Publish && perms.PublishScreen && maxTracks <= 0 {
		return nil
	}
	listed := make(map[string]string, len(m.Tracks))
	for _, t := range m.Tracks {
		if !perms.MayPublish(t.Source) {
			return fmt.Errorf("%w: publishing a %s track", ErrForbidden, t.Source)
		}
		listed[t.Mid] = t.Source
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(m.SDP); err != nil {
		return fmt.Errorf("%w: %w", sfu.ErrBadSDP, err)
	}
	sending := 0
	for _, md := range d.MediaDescriptions {
		if !sends(&d, md) {
			continue
		}
		sending++
		mid, _ := md.Attribute("mid")
		source, ok := listed[mid]
		if !ok {
			source = sfu.SourceCamera
			if md.MediaName.Media == "audio" {
				source = sfu.SourceMicrophone
			}
		}
		if !perms.MayPublish(source) {
			return fmt.Errorf("%w: sending %s on mid %q", ErrForbidden, md.MediaName.Media, mid)
		}
	}
	if maxTracks > 0 && sending > maxTracks {
		return fmt.Errorf("%w: the offer sends %d tracks, this server allows %d per participant", ErrTooManyTracks, sending, maxTracks)
	}
	return nil
}

// sends tells whether the offerer would send RTP on an audio or video
// section: sendrecv or sendonly, where sendrecv is the default (RFC 8866
// §6.7). The port is not read: RFC 8866 §5.14 calls a section with port 0
// rejected, but Pion receives on it as on any other, so a client could
// otherwise publish past this check on port 0 (seen writing FuzzOffer).
func sends(d *sdp.SessionDescription, md *sdp.MediaDescription) bool {
	if kind := md.MediaName.Media; kind != "audio" && kind != "video" {
		return false
	}
	for _, dir := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
		if _, ok := md.Attribute(dir); ok {
			return dir == "sendrecv" || dir == "sendonly"
		}
	}
	for _, a := range d.Attributes {
		switch a.Key {
		case "recvonly", "inactive":
			return false
		case "sendrecv", "sendonly":
			return true
		}
	}
	return true
}
