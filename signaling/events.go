package signaling

import (
	"errors"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// events turns what the SFU tells a participant into protocol messages on
// its session's queue. Every method only queues, as sfu.Listener requires.
type events struct {
	s    atomic.Pointer[session] // the session the client is on now
	next atomic.Pointer[session] // a resuming session: current from its joined on (resume.go)
	seat atomic.Pointer[seat]    // nil while resume is off
	room string
}

func newEvents(s *session, room string) *events {
	e := &events{room: room}
	e.s.Store(s)
	return e
}

// cur is the session to tell.
func (e *events) cur() *session { return e.s.Load() }

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

// Joined comes at join, and again on resume (sfu.Participant.Resync), under
// the room's lock: from here on a resuming session hears every event, and
// the one before it nothing more.
func (e *events) Joined(self sfu.ParticipantInfo, others []sfu.ParticipantInfo) {
	s, resumed := e.cur(), false
	if n := e.next.Swap(nil); n != nil {
		e.s.Store(n)
		s, resumed = n, true
	}
	msg := protocol.Joined{
		Type:          protocol.TypeJoined,
		Version:       s.joinedVersion(),
		ParticipantID: self.ID,
		Identity:      identityOf(self),
		Room:          e.room,
		Participants:  make([]protocol.ParticipantInfo, 0, len(others)),
		ICEServers:    s.iceServers(self.ID),
		Permissions: protocol.Permissions{
			Publish:       s.grant.Permissions.Publish,
			PublishScreen: s.grant.Permissions.PublishScreen,
			Subscribe:     s.grant.Permissions.Subscribe,
		},
		ResumeToken: s.resumeToken,
		Resumed:     resumed,
	}
	for _, o := range others {
		msg.Participants = append(msg.Participants, participantInfo(o))
	}
	s.sendMsg(msg)
}

func (e *events) ParticipantJoined(p sfu.ParticipantInfo) {
	e.cur().sendMsg(protocol.ParticipantJoined{Type: protocol.TypeParticipantJoined, Participant: participantInfo(p)})
}

func (e *events) ParticipantLeft(id string) {
	e.cur().sendMsg(protocol.ParticipantLeft{Type: protocol.TypeParticipantLeft, ParticipantID: id})
}

func (e *events) TrackPublished(t sfu.TrackInfo) {
	e.cur().sendMsg(protocol.TrackPublished{Type: protocol.TypeTrackPublished, Track: trackInfo(t)})
}

func (e *events) TrackUnpublished(participantID, trackID string) {
	e.cur().sendMsg(protocol.TrackUnpublished{Type: protocol.TypeTrackUnpublished, ParticipantID: participantID, TrackID: trackID})
}

func (e *events) TrackMuted(participantID, trackID string, muted bool) {
	e.cur().sendMsg(protocol.Mute{Type: protocol.TypeMute, ParticipantID: participantID, TrackID: trackID, Muted: muted})
}

func (e *events) Offer(sdp string, trackIDs map[string]string) {
	e.cur().sendMsg(protocol.SessionDescription{Type: protocol.TypeOffer, SDP: sdp, TrackIDs: trackIDs})
}

func (e *events) Answer(sdp string, trackIDs map[string]string) {
	e.cur().sendMsg(protocol.SessionDescription{Type: protocol.TypeAnswer, SDP: sdp, TrackIDs: trackIDs})
}

func (e *events) Candidate(c webrtc.ICECandidateInit) {
	e.cur().sendMsg(protocol.Candidate{Type: protocol.TypeCandidate, Candidate: protocol.ICECandidate(c)})
}

func (e *events) Layers(mid string, active []string) {
	if active == nil {
		active = []string{}
	}
	e.cur().sendMsg(protocol.Layers{Type: protocol.TypeLayers, Mid: mid, Active: active})
}

func (e *events) ActiveSpeakers(list []sfu.SpeakerInfo) {
	msg := protocol.Speakers{Type: protocol.TypeSpeakers, Speakers: make([]protocol.SpeakerInfo, len(list))}
	for i, s := range list {
		msg.Speakers[i] = protocol.SpeakerInfo{ParticipantID: s.ParticipantID, Level: s.Level}
	}
	e.cur().sendMsg(msg)
}

func (e *events) ConnectionQuality(list []sfu.QualityInfo) {
	msg := protocol.Quality{Type: protocol.TypeQuality, Qualities: make([]protocol.QualityInfo, len(list))}
	for i, q := range list {
		msg.Qualities[i] = protocol.QualityInfo{ParticipantID: q.ParticipantID, Quality: q.Quality, Score: q.Score}
	}
	e.cur().sendMsg(msg)
}

func (e *events) Error(err error) { e.cur().reject(err) }

// Closed ends the session: a bye on shutdown or a lost connection, a fatal
// error naming the cause when the client's own input made the participant
// unusable.
func (e *events) Closed(reason error) {
	s := e.cur()
	if st := e.seat.Load(); st != nil {
		s.h.resume.drop(st) // held for resume: out of the table now
	}
	switch {
	case errors.Is(reason, sfu.ErrShuttingDown):
		s.sayBye("server shutting down")
	case errors.Is(reason, sfu.ErrICEFailed), errors.Is(reason, sfu.ErrMediaClosed):
		s.sayBye("media connection lost")
	case errors.Is(reason, sfu.ErrReplaced):
		s.sayBye("joined again from another session")
	default:
		s.end(protocol.Error{Type: protocol.TypeError, Code: errorCode(reason), Message: reason.Error(), Fatal: true})
	}
}
