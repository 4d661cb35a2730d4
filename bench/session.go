package bench

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// connEnded is readLoop's last word on its socket: why it closed.
type connEnded struct {
	ws  *websocket.Conn
	err error
}

// readLoop hands every message of ws to run. It ends when the socket
// closes: the server hung up, run closed it on the way out, or Cut. Why
// it ended is for run to report once it has handled every message before
// (a fatal error says more than the close after it), unless the socket was
// replaced meanwhile (resume.go).
func (c *Client) readLoop(ws *websocket.Conn) {
	defer c.ctrl.Done()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			select {
			case c.inbox <- connEnded{ws: ws, err: fmt.Errorf("%w: %v", ErrSessionEnded, err)}:
			case <-c.ctx.Done():
			}
			return
		}
		msg, err := protocol.DecodeServer(data)
		if err != nil {
			c.log.Warn("undecodable message", "err", err)
			continue
		}
		select {
		case c.inbox <- msg:
		case <-c.ctx.Done():
			return
		}
	}
}

// run is the signaling goroutine: it handles server messages and calls in
// order, so negotiation never interleaves, then offers if something changed.
func (c *Client) run() {
	defer c.ctrl.Done()
	defer close(c.ended)
	defer c.closeConn()
	for {
		select {
		case <-c.ctx.Done():
			return
		case msg := <-c.inbox:
			if end, ok := msg.(connEnded); ok {
				if c.isConn(end.ws) {
					c.fail(end.err)
					return
				}
				continue // a socket Cut or replaced: the session goes on
			}
			c.handle(msg)
		case f := <-c.calls:
			f()
		case <-c.wake:
		}
		if c.ctx.Err() == nil {
			c.resumeHeld()
		}
		if c.ctx.Err() == nil {
			c.maybeOffer()
		}
	}
}

// handle applies one server message to the client's state.
func (c *Client) handle(msg any) {
	switch m := msg.(type) {
	case *protocol.SessionDescription:
		c.count(m.Type)
		switch m.Type {
		case protocol.TypeOffer:
			c.receiveOffer(m)
		case protocol.TypeAnswer:
			c.handleAnswer(m)
		}
	case *protocol.Candidate:
		c.count(m.Type)
		c.addCandidate(m)
	case *protocol.Error:
		c.count(m.Type)
		c.mu.Lock()
		c.updateData(m)
		c.mu.Unlock()
		c.log.Warn("server error", "code", m.Code, "message", m.Message, "fatal", m.Fatal)
		switch {
		case m.Fatal:
			c.fail(fmt.Errorf("%w: %s: %s", ErrServerError, m.Code, m.Message))
		case m.Code == protocol.CodeBadSDP:
			// The server refused our offer or answer: the two sides no
			// longer agree on the session, and nothing will repair it.
			c.fail(fmt.Errorf("%w: server refused our description: %s", ErrNegotiation, m.Message))
		}
	case *protocol.Bye:
		c.count(m.Type)
		c.fail(fmt.Errorf("%w: bye: %s", ErrSessionEnded, m.Reason))
	case *protocol.Layers:
		c.count(m.Type)
		c.setActiveLayers(m.Mid, m.Active)
	case *protocol.Redirect:
		// The server is going away and names another: this session ends
		// (a caller that wants to stay dials RedirectedTo with Dial).
		c.count(m.Type)
		c.mu.Lock()
		c.redirectedTo = m.URL
		c.mu.Unlock()
		c.fail(fmt.Errorf("%w: redirected to %s: %s", ErrSessionEnded, m.URL, m.Reason))
	default:
		c.updateRoom(msg)
	}
	if c.opts.onMessage != nil {
		c.opts.onMessage(msg)
	}
}

func (c *Client) count(typ string) {
	c.mu.Lock()
	c.counts[typ]++
	c.mu.Unlock()
}

// updateRoom applies the messages that describe the room.
func (c *Client) updateRoom(msg any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m := msg.(type) {
	case *protocol.ParticipantJoined:
		c.counts[m.Type]++
		c.addParticipant(m.Participant)
	case *protocol.ParticipantLeft:
		c.counts[m.Type]++
		delete(c.participants, m.ParticipantID)
		for id, t := range c.tracks {
			if t.ParticipantID == m.ParticipantID {
				delete(c.tracks, id)
			}
		}
	case *protocol.TrackPublished:
		c.counts[m.Type]++
		c.tracks[m.Track.ID] = m.Track
	case *protocol.TrackUnpublished:
		c.counts[m.Type]++
		delete(c.tracks, m.TrackID)
	case *protocol.Mute:
		c.counts[m.Type]++
		if t, ok := c.tracks[m.TrackID]; ok {
			t.Muted = m.Muted
			c.tracks[m.TrackID] = t
		}
	case *protocol.Speakers:
		c.counts[m.Type]++
		c.speakers = slices.Clone(m.Speakers)
		if c.speakers == nil {
			c.speakers = []protocol.SpeakerInfo{}
		}
	case *protocol.Quality:
		c.counts[m.Type]++
		if c.quality == nil {
			c.quality = make(map[string]protocol.QualityInfo)
		}
		for _, q := range m.Qualities {
			c.quality[q.ParticipantID] = q
		}
	case *protocol.Data, *protocol.Attributes:
		c.updateData(m)
	case *protocol.Joined:
		c.counts[m.Type]++
		c.log.Warn("joined twice")
	default:
		c.log.Warn("unhandled message", "type", fmt.Sprintf("%T", msg))
	}
}

// addParticipant records p and its tracks; c.mu held.
func (c *Client) addParticipant(p protocol.ParticipantInfo) {
	c.participants[p.ID] = p
	if len(p.Attributes) > 0 {
		c.data.attributes[p.ID] = maps.Clone(p.Attributes)
	}
	for _, t := range p.Tracks {
		c.tracks[t.ID] = t
	}
}
