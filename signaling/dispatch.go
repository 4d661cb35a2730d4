package signaling

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// maxTileSide bounds a reported tile side, in device pixels (8K).
const maxTileSide = 8192

// dispatch handles one decoded message; it reports true when the client
// left.
func (s *session) dispatch(msg any) (leave bool) {
	if j, ok := msg.(*protocol.Join); ok {
		s.join(j)
		return false
	}
	if l, ok := msg.(*protocol.Leave); ok && s.participant == nil && l.Resume != "" {
		// Left while reconnecting: from a new connection (resume_join.go).
		s.leaveHeld(l)
		return true
	}
	if s.participant == nil {
		s.refuse(ErrNotJoined)
		return false
	}
	if s.unconfirmed {
		// The client read the joined of its resume: the token it used is done.
		s.unconfirmed = false
		s.h.resume.confirm(s.seat)
	}
	p := s.participant
	switch m := msg.(type) {
	case *protocol.SessionDescription:
		if m.SDP == "" {
			s.refuse(fmt.Errorf("%w: empty sdp", sfu.ErrBadSDP))
			return false
		}
		if m.Type == protocol.TypeAnswer {
			p.HandleAnswer(m.SDP)
			return false
		}
		tracks := make([]sfu.PublishedTrack, 0, len(m.Tracks))
		for _, t := range m.Tracks {
			if !sfu.ValidSource(t.Source) {
				s.refuse(fmt.Errorf("%w: %q", ErrBadSource, t.Source))
				return false
			}
			tracks = append(tracks, sfu.PublishedTrack{Mid: t.Mid, Source: t.Source, Muted: t.Muted})
		}
		if err := checkOffer(s.grant.Permissions, s.h.cfg.maxTracks, m); err != nil {
			s.refuse(err)
			return false
		}
		if err := s.allowOffer(); err != nil {
			s.refuse(err)
			return false
		}
		p.HandleOffer(m.SDP, tracks)
	case *protocol.Candidate:
		p.AddICECandidate(webrtc.ICECandidateInit(m.Candidate))
	case *protocol.Mute:
		if err := p.SetMuted(m.Mid, m.Muted); err != nil {
			s.refuse(fmt.Errorf("%w: mid %q", err, m.Mid))
		}
	case *protocol.TrackSettings:
		if m.Width < 0 || m.Height < 0 || m.Width > maxTileSide || m.Height > maxTileSide {
			s.refuse(fmt.Errorf("%w: tile %dx%d", ErrBadSettings, m.Width, m.Height))
			return false
		}
		if err := p.SetTrackSettings(m.TrackID, sfu.TrackSettings{Width: m.Width, Height: m.Height, Paused: m.Paused}); err != nil {
			s.refuse(fmt.Errorf("%w: track %q", err, m.TrackID))
		}
	case *protocol.Data:
		s.publishData(m)
	case *protocol.Attributes:
		if err := p.SetAttributes(m.Attributes); err != nil {
			s.reject(err)
		}
	case *protocol.Leave:
		return true
	}
	return false
}

func (s *session) join(j *protocol.Join) {
	if s.participant != nil {
		s.refuse(ErrJoined)
		return
	}
	if j.Version < protocol.MinVersion || j.Version > protocol.Version {
		s.fail(fmt.Errorf("%w: %d (this server speaks %d to %d)", ErrVersion, j.Version, protocol.MinVersion, protocol.Version))
		return
	}
	s.version.Store(int32(j.Version))
	if !validRoom(j.Room) {
		s.refuse(ErrInvalidRoom)
		return
	}
	if j.Resume != "" {
		s.resumeSeat(j)
		return
	}
	if s.addrCounted {
		if err := s.h.addrs.join(s.addr); err != nil {
			s.failAt(slog.LevelDebug, err)
			return
		}
	}
	g, err := s.h.authorize(j)
	if err != nil {
		s.fail(err)
		return
	}
	if g.Name == "" {
		g.Name = j.Name
	}
	name, ok := cleanName(g.Name)
	if !ok {
		s.refuse(ErrInvalidName)
		return
	}
	s.grant = g
	if url, err := s.h.placement(context.Background()); err != nil {
		s.fail(err)
		return
	} else if url != "" {
		s.redirect(url, "this server is full", ErrNodeFull)
		return
	}
	if err := s.holdRoom(j.Room); err != nil {
		s.fail(err)
		return
	}
	if s.h.resume != nil {
		s.resumeToken = newResumeToken() // in joined
	}
	ev := newEvents(s, j.Room)
	p, err := s.h.sfu.Join(j.Room, name, ev,
		sfu.WithPermissions(g.Permissions), sfu.WithIdentity(g.Identity))
	if err != nil {
		s.releaseRoom()
		s.fail(err)
		return
	}
	s.participant, s.room = p, j.Room
	s.log = s.log.With("participant", p.ID(), "room", j.Room)
	if s.h.resume != nil {
		s.seat = s.h.resume.seat(s, ev)
	}
	if c := s.h.cfg.cluster; c != nil {
		c.Joined(j.Room, p.ID(), name, p.Identity())
	}
}
