package signaling

import "github.com/switchboard-rtc/switchboard/signaling/protocol"

// resumeSeat takes over the seat a join's resume token names: same
// participant, PeerConnection and subscriptions. The SFU then tells the
// client the room as it is now (joined, resumed) and makes good the
// negotiation it may have missed (sfu.Participant.Resync). A token that
// resumes nothing is refused, not fatally: the client may join afresh on
// the same connection.
func (s *session) resumeSeat(j *protocol.Join) {
	next := newResumeToken()
	st, err := s.h.resume.claim(s, j.Resume, j.Room, next)
	if err != nil {
		s.log.Debug("resume refused", "err", err)
		s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(err), Message: err.Error()})
		return
	}
	s.participant, s.room, s.grant, s.seat, s.resumeToken = st.p, st.room, st.grant, st, next
	s.unconfirmed = true
	s.log = s.log.With("participant", st.p.ID(), "room", st.room)
	st.ev.next.Store(s)
	if !st.p.Resync() {
		// The SFU removed it meanwhile (ICE failed, replaced): gone.
		st.ev.next.Store(nil)
		if s.h.resume.release(s, st) {
			s.h.leaveSeat(st)
		}
		s.participant, s.seat = nil, nil
		s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(ErrResumeFailed), Message: ErrResumeFailed.Error()})
		return
	}
	s.log.Info("resumed")
}

// leaveHeld takes out, from a new connection, the session a leave's resume
// token names: held for resume, or still live under a connection the server
// has not yet seen die. Its client left while reconnecting and could not
// send leave on the connection it lost; without this the others would see
// it leave only when the window passes. A token that names nothing is
// refused; the connection closes either way.
func (s *session) leaveHeld(l *protocol.Leave) {
	if s.h.resume == nil {
		s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(ErrResumeFailed), Message: ErrResumeFailed.Error()})
		return
	}
	st, err := s.h.resume.claim(s, l.Resume, l.Room, newResumeToken())
	if err != nil {
		s.log.Debug("leave by resume token refused", "err", err)
		s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(err), Message: err.Error()})
		return
	}
	if s.h.resume.release(s, st) {
		s.h.leaveSeat(st)
	}
	s.log.Info("left while reconnecting", "participant", st.p.ID(), "room", st.room)
}
