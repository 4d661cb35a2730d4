package bench

import (
	"context"
	"fmt"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// isConn reports whether ws is the client's socket now.
func (c *Client) isConn(ws *websocket.Conn) bool {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws == ws
}

// closeConn closes the client's socket on the way out.
func (c *Client) closeConn() {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.ws != nil {
		_ = c.ws.Close()
	}
}

// ResumeToken is the resume token of the last joined ("" when the server
// does not resume sessions).
func (c *Client) ResumeToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resumeToken
}

// Cut breaks the client's WebSocket as a network failure does: the TCP
// connection goes, with no leave and no close frame. Unlike Drop, the
// session goes on, its PeerConnection with it, until Resume connects again;
// what it sends meanwhile is lost.
func (c *Client) Cut() {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.ws != nil {
		_ = c.ws.UnderlyingConn().Close()
		c.ws = nil
	}
}

// Resume connects a new WebSocket (after Cut) and takes the session over
// with the last joined's resume token: the server answers joined, resumed,
// with the room as it is now. A refusal (resume-failed) returns an
// ErrJoinRefused error and leaves the client cut.
func (c *Client) Resume(ctx context.Context) (*protocol.Joined, error) {
	ws, _, err := c.opts.dialer.DialContext(ctx, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: dialing %s: %w", c.url, err)
	}
	ws.SetReadLimit(readLimit)
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	joined, err := c.resumeOn(ws)
	if !stop() {
		err = fmt.Errorf("bench: resuming: %w", context.Cause(ctx))
	}
	if err != nil {
		_ = ws.Close()
		return nil, err
	}
	c.writeMu.Lock()
	c.ws = ws
	c.writeMu.Unlock()
	c.ctrl.Add(1)
	go c.readLoop(ws)
	return joined, nil
}

// resumeOn sends the resuming join on ws and reads the answer, which
// replaces what the client knew of the room.
func (c *Client) resumeOn(ws *websocket.Conn) (*protocol.Joined, error) {
	c.mu.Lock()
	join := protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: c.room, Name: c.opts.name, Resume: c.resumeToken}
	c.mu.Unlock()
	if err := ws.WriteJSON(join); err != nil {
		return nil, fmt.Errorf("bench: sending join: %w", err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		return nil, fmt.Errorf("%w: waiting for joined: %v", ErrSessionEnded, err)
	}
	msg, err := protocol.DecodeServer(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnexpectedMessage, err)
	}
	switch m := msg.(type) {
	case *protocol.Joined:
		c.mu.Lock()
		defer c.mu.Unlock()
		c.resumeToken = m.ResumeToken
		c.counts[m.Type]++
		clear(c.participants)
		clear(c.tracks)
		for _, p := range m.Participants {
			c.addParticipant(p)
		}
		return m, nil
	case *protocol.Error:
		return nil, fmt.Errorf("%w: %s: %s", ErrJoinRefused, m.Code, m.Message)
	}
	return nil, fmt.Errorf("%w: %T before joined", ErrUnexpectedMessage, msg)
}
