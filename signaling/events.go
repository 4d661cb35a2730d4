package signaling

import (
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// events turns what the SFU tells a participant into protocol messages on
// its session's queue. Every method only queues, as sfu.Listener requires.
type events struct {
	s    *session
	room string
}

func trackInfo(t sfu.TrackInfo) protocol.TrackInfo {
	return protocol.TrackInfo{ID: t.ID, ParticipantID: t.ParticipantID, Kind: t.Kind, Source: t.Source, Muted: t.Muted}
}

func participantInfo(p sfu.ParticipantInfo) protocol.ParticipantInfo {
	out := protocol.ParticipantInfo{
		ID: p.ID, Name: p.Name, Identity: identityOf(p), Attributes: p.Attributes,
		Tracks: make([]protocol.TrackInfo, 0, len(p.Tracks)),
	}
	for _, t := range p.Tracks {
		out.Tracks = append(out.Tracks, trackInfo(t))
	}
	return out
}

// identityOf is p's identity, or its id where it has none (a participant
// of another node).
func identityOf(p sfu.ParticipantInfo) string {
	if p.Identity != "" {
		return p.Identity
	}
	return p.ID
}

func (e *events) Joined(self sfu.ParticipantInfo, others []sfu.ParticipantInfo) {
	msg := protocol.Joined{
		Type:          protocol.TypeJoined,
		Version:       e.s.joinedVersion(),
		ParticipantID: self.ID,
		Identity:      identityOf(self),
		Room:          e.room,
		Participants:  make([]protocol.ParticipantInfo, 0, len(others)),
		ICEServers:    e.s.iceServers(self.ID),
		Permissions: protocol.Permissions{
			Publish:       e.s.grant.Permissions.Publish,
			PublishScreen: e.s.grant.Permissions.PublishScreen,
			Subscribe:     e.s.grant.Permissions.Subscribe,
		},
	}
	for _, o := range others {
		msg.Participants = append(msg.Participants, participantInfo(o))
	}
	e.s.sendMsg(msg)
}

func (e *events) ParticipantJoined(p sfu.ParticipantInfo) {
	e.s.sendMsg(protocol.ParticipantJoined{Type: protocol.TypeParticipantJoined, Participant: participantInfo(p)})
}

func (e *events) ParticipantLeft(id string) {
	e.s.sendMsg(protocol.ParticipantLeft{Type: protocol.TypeParticipantLeft, ParticipantID: id})
}

func (e *events) TrackPublished(t sfu.TrackInfo) {
	e.s.sendMsg(protocol.TrackPublished{Type: protocol.TypeTrackPublished, Track: trackInfo(t)})
}

func (e *events) TrackUnpublished(participantID, trackID string) {
	e.s.sendMsg(protocol.TrackUnpublished{Type: protocol.TypeTrackUnpublished, ParticipantID: participantID, TrackID: trackID})
}

func (e *events) TrackMuted(participantID, trackID string, muted bool) {
	e.s.sendMsg(protocol.Mute{Type: protocol.TypeMute, ParticipantID: participantID, TrackID: trackID, Muted: muted})
}

func (e *events) Offer(sdp string, trackIDs map[string]string) {
	e.s.sendMsg(protocol.SessionDescription{Type: protocol.TypeOffer, SDP: sdp, TrackIDs: trackIDs})
}

func (e *events) Answer(sdp string, trackIDs map[string]string) {
	e.s.sendMsg(protocol.SessionDescription{Type: protocol.TypeAnswer, SDP: sdp, TrackIDs: trackIDs})
}

func (e *events) Candidate(c webrtc.ICECandidateInit) {
	e.s.sendMsg(protocol.Candidate{Type: protocol.TypeCandidate, Candidate: protocol.ICECandidate(c)})
}

func (e *events) Layers(mid string, active []string) {
	if active == nil {
		active = []string{}
	}
	e.s.sendMsg(protocol.Layers{Type: protocol.TypeLayers, Mid: mid, Active: active})
}

func (e *events) ActiveSpeakers(list []sfu.SpeakerInfo) {
	msg := protocol.Speakers{Type: protocol.TypeSpeakers, Speakers: make([]protocol.SpeakerInfo, len(list))}
	for i, s := range list {
		msg.Speakers[i] = protocol.SpeakerInfo{ParticipantID: s.ParticipantID, Level: s.Level}
	}
	e.s.sendMsg(msg)
}

func (e *events) Error(err error) { e.s.reject(err) }

// Closed ends the session: a bye on shutdown or a lost connection, a fatal
// error naming the cause when the client's own input made the participant
// unusable.
func (e *events) Closed(reason error) {
	switch {
	case errors.Is(reason, sfu.ErrShuttingDown):
		e.s.sendBye("server shutting down")
	case errors.Is(reason, sfu.ErrICEFailed), errors.Is(reason, sfu.ErrMediaClosed):
		e.s.sendBye("media connection lost")
	case errors.Is(reason, sfu.ErrReplaced):
		e.s.sendBye("joined again from another session")
	default:
		e.s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(reason), Message: reason.Error(), Fatal: true})
	}
	e.s.finish()
}
