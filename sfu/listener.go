package sfu

import "github.com/pion/webrtc/v4"

// TrackInfo describes a published track.
type TrackInfo struct {
	ID            string
	ParticipantID string
	Kind          string // "audio" or "video"
	Source        string // "camera", "microphone" or "screen"
	Muted         bool
}

// ParticipantInfo describes a participant and what it publishes.
type ParticipantInfo struct {
	ID   string
	Name string
	// Identity is the access token's subject; empty for a participant of
	// another node, named by its ID.
	Identity   string
	Attributes map[string]string // nil for a participant of another node
	Tracks     []TrackInfo
}

// SpeakerInfo is one participant of a room's list of speakers: its id (on
// whichever node it is) and its level from 0 (-60 dBov or less) to 1.
type SpeakerInfo struct {
	ParticipantID string
	Level         float64
}

// Listener is told everything its participant must hear. The SFU calls it
// from its own goroutines, sometimes while holding a room's lock, so an
// implementation must never block: queue the event and return.
//
// Joined is always the first call; Closed is the last.
type Listener interface {
	Joined(self ParticipantInfo, others []ParticipantInfo)
	ParticipantJoined(p ParticipantInfo)
	ParticipantLeft(participantID string)
	TrackPublished(t TrackInfo)
	TrackUnpublished(participantID, trackID string)
	TrackMuted(participantID, trackID string, muted bool)
	// Offer and Answer carry the server's session descriptions; trackIDs maps
	// the mid of each transceiver the server sends on to its track's id.
	Offer(sdp string, trackIDs map[string]string)
	Answer(sdp string, trackIDs map[string]string)
	Candidate(c webrtc.ICECandidateInit)
	// Layers tells a publisher which simulcast layers (rids) of its track on
	// mid anyone needs; it should stop encoding the others (dynacast).
	Layers(mid string, active []string)
	// ActiveSpeakers is the room's list of who is speaking, the dominant
	// speaker first, then from the loudest; empty when nobody is. It comes
	// when the list changes, at most every 200 ms, and once at join when
	// someone is speaking. The slice is shared by every listener: read it,
	// never change it.
	ActiveSpeakers(speakers []SpeakerInfo)
	// Error reports something wrong with what the client sent; the
	// participant stays in the room.
	Error(err error)
	// Closed reports that the SFU removed the participant (ICE failure,
	// shutdown). It is not called when the client itself left.
	Closed(reason error)
}
