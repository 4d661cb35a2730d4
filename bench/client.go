// Package bench is a Go client of Switchboard's signaling protocol (README,
// "Signaling protocol"), built on Pion: it joins a room over the WebSocket,
// publishes synthetic audio and video, receives everyone else's media and
// counts what arrives. It talks to a server only through the public
// protocol, so it can load-test any deployment; it is the core of
// cmd/switchboard-bench and of the in-process integration tests.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

const (
	// readLimit is lenient: the protocol caps messages at 64 KiB, but a
	// load generator should report a server that sends more, not choke.
	readLimit    = 1 << 20
	writeTimeout = 5 * time.Second
	inboxSize    = 64
)

// Client is one participant: one WebSocket and one PeerConnection.
type Client struct {
	opts options
	log  *slog.Logger
	url  string // the signaling URL it joined at, after any redirect
	pc   *webrtc.PeerConnection

	// writeMu guards ws, which Cut and Resume replace, and its writes:
	// gorilla/websocket allows one writer at a time.
	writeMu sync.Mutex
	ws      *websocket.Conn // nil between Cut and Resume

	ctx    context.Context // the session's lifetime; cancelled by Close
	cancel context.CancelCauseFunc
	inbox  chan any      // server messages, readLoop → run
	calls  chan func()   // work that must run on the signaling goroutine
	wake   chan struct{} // the PeerConnection connected: held negotiation may go on
	ended  chan struct{}
	ctrl   sync.WaitGroup // readLoop, run
	media  sync.WaitGroup // sources, RTCP readers, remote track readers

	neg           negotiation // owned by run
	collisions    atomic.Int64
	reliableDC    *webrtc.DataChannel // set at dial (WithDataChannels)
	lossyDC       *webrtc.DataChannel
	connectedOnce atomic.Bool

	mu           sync.Mutex
	closed       bool
	id           string
	identity     string
	room         string
	participants map[string]protocol.ParticipantInfo
	tracks       map[string]protocol.TrackInfo // others' tracks by id
	midTrackIDs  map[string]string             // the server's trackIds
	remote       []*RemoteTrack
	pubs         []*publication
	counts       map[string]int
	connState    webrtc.PeerConnectionState
	redirectedTo string                          // where the server sent the client mid-session
	resumeToken  string                          // the last joined's (resume.go)
	speakers     []protocol.SpeakerInfo          // the last speakers message's list
	data         dataState                       // data.go
	quality      map[string]protocol.QualityInfo // the newest level of each participant
	err          error
}

// maxRedirects bounds how many servers a join may be sent on to.
const maxRedirects = 3

// Dial connects to the signaling WebSocket at url (ws:// or wss://), joins
// room and returns once the server said joined; a server that sends the
// client elsewhere (redirect, protocol version 2) is followed. The
// PeerConnection is created then; nothing is negotiated until Publish or a
// server offer.
func Dial(ctx context.Context, url, room string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	for range maxRedirects + 1 {
		c, next, err := dial(ctx, url, room, o)
		if err != nil || next == "" {
			return c, err
		}
		if url, err = protocol.SignalingURL(next); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnexpectedMessage, err)
		}
		o.logger.Debug("redirected", "to", url)
	}
	return nil, fmt.Errorf("%w: more than %d redirects", ErrJoinRefused, maxRedirects)
}

// dial is one try of Dial: a client, or where the server sent it instead.
func dial(ctx context.Context, url, room string, o options) (*Client, string, error) {
	ws, _, err := o.dialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("bench: dialing %s: %w", url, err)
	}
	ws.SetReadLimit(readLimit)
	c := &Client{
		opts: o, log: o.logger, ws: ws, url: url,
		inbox: make(chan any, inboxSize), calls: make(chan func()), ended: make(chan struct{}),
		wake:         make(chan struct{}, 1),
		participants: make(map[string]protocol.ParticipantInfo),
		tracks:       make(map[string]protocol.TrackInfo),
		midTrackIDs:  make(map[string]string),
		counts:       make(map[string]int),
		data:         dataState{attributes: make(map[string]map[string]string)},
	}
	// Reads block without a context: closing the socket is what unblocks
	// them when ctx ends during the join.
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	joined, redirect, err := c.join(room)
	if !stop() {
		err = fmt.Errorf("bench: joining %s: %w", room, context.Cause(ctx))
	}
	if err == nil && redirect != "" {
		_ = ws.Close()
		return nil, redirect, nil
	}
	if err == nil {
		c.log = c.log.With("participant", joined.ParticipantID)
		c.pc, err = c.newPeerConnection(joined.ICEServers)
	}
	if err == nil && o.dataChannels {
		err = c.openDataChannels()
	}
	if err != nil {
		_ = ws.Close()
		return nil, "", err
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.ctrl.Add(2)
	go c.readLoop(ws)
	go c.run()
	return c, "", nil
}

// join sends the join message and reads the server's reply: joined, or the
// server to go to instead.
func (c *Client) join(room string) (*protocol.Joined, string, error) {
	err := c.send(protocol.Join{
		Type: protocol.TypeJoin, Version: protocol.Version, Room: room, Name: c.opts.name, Token: c.opts.token,
	})
	if err != nil {
		return nil, "", fmt.Errorf("bench: sending join: %w", err)
	}
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, "", fmt.Errorf("%w: waiting for joined: %v", ErrSessionEnded, err)
	}
	msg, err := protocol.DecodeServer(data)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrUnexpectedMessage, err)
	}
	switch m := msg.(type) {
	case *protocol.Joined:
		c.mu.Lock()
		defer c.mu.Unlock()
		c.id, c.room, c.identity, c.resumeToken = m.ParticipantID, m.Room, m.Identity, m.ResumeToken
		c.counts[m.Type]++
		for _, p := range m.Participants {
			c.addParticipant(p)
		}
		return m, "", nil
	case *protocol.Redirect:
		return nil, m.URL, nil
	case *protocol.Error:
		return nil, "", fmt.Errorf("%w: %s: %s", ErrJoinRefused, m.Code, m.Message)
	}
	return nil, "", fmt.Errorf("%w: %T before joined", ErrUnexpectedMessage, msg)
}

// send writes one protocol message.
func (c *Client) send(msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.ws == nil {
		c.log.Debug("not connected: message lost", "type", fmt.Sprintf("%T", msg))
		return nil // as on a broken connection: resume makes it good
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// Close leaves the room, closes the WebSocket and the PeerConnection and
// waits for every goroutine the client started. It is safe to call twice.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	select {
	case <-c.ended: // the server already ended the session
	default:
		if err := c.send(protocol.Leave{Type: protocol.TypeLeave}); err != nil {
			c.log.Debug("sending leave", "err", err)
		}
	}
	c.cancel(ErrClosed)
	c.ctrl.Wait()
	// GracefulClose, unlike Close, waits for Pion's own goroutines.
	err := c.pc.GracefulClose()
	c.media.Wait()
	return err
}

// Done is closed when the session ended: Close, the server's bye or fatal
// error, a broken connection or a failed negotiation. Err tells which.
func (c *Client) Done() <-chan struct{} { return c.ended }

// Err is why the session ended, nil while it runs or after a plain Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail records the first reason the session ends and ends it.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err == nil && !c.closed {
		c.err = err
	}
	c.mu.Unlock()
	c.cancel(err)
}

// WaitUntil returns nil once cond holds, checking it every 10 ms; an error
// if ctx ends or the session ends first. cond runs on the caller's goroutine
// and may call the Client's accessors.
func (c *Client) WaitUntil(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-c.ended:
			if cond() {
				return nil
			}
			if err := c.Err(); err != nil {
				return err
			}
			return ErrClosed
		case <-tick.C:
		}
	}
}

// call runs f on the signaling goroutine and returns its error.
func (c *Client) call(ctx context.Context, f func() error) error {
	res := make(chan error, 1)
	select {
	case c.calls <- func() { res <- f() }:
	case <-c.ended:
		return ErrClosed
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	select {
	case err := <-res:
		return err
	case <-c.ended:
		return ErrClosed
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Drop closes the client's WebSocket as a killed tab's closes: the TCP
// connection goes, with no leave and no close frame. The PeerConnection is
// left as it is (Close ends it).
func (c *Client) Drop() {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.ws != nil {
		_ = c.ws.UnderlyingConn().Close()
	}
}
