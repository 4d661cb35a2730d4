package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// session is one client's WebSocket. Its reader goroutine (run) decodes and
// dispatches messages; its writer goroutine drains a bounded queue, so the
// SFU never waits on a client's network.
type session struct {
	h       *Handler
	conn    *websocket.Conn
	log     *slog.Logger
	limiter *rate.Limiter
	// refusals bounds the data messages refused for their limits before
	// the client is disconnected (data.go).
	refusals *rate.Limiter
	offers   *rate.Limiter // nil: no offer limit (offers.go)

	send     *sendQueue    // to the writer, at most cfg.sendQueue messages
	sendMu   sync.Mutex    // held to queue on send; never across I/O
	saidLast bool          // under sendMu: the last word is queued (end)
	done     chan struct{} // closed by finish: writer flushes, then closes
	finishMu sync.Once
	writerWG sync.WaitGroup
	bad      atomic.Int32

	participant *sfu.Participant // reader goroutine only
	room        string           // reader goroutine only, set at join
	version     atomic.Int32     // the protocol version the client named at join
	grant       Grant            // reader goroutine only, set at join (auth.go)
	host        string           // the request's Host, for ICE servers (ice.go)
	addr        netip.Addr       // the client's address for the per-address limits (addrlimit.go)
	addrCounted bool             // addr is set: the per-address limits apply
	heldRoom    string           // reader goroutine only: the room counted in h.rooms (limits.go)
	seat        *seat            // reader goroutine only; nil while resume is off (resume.go)
	resumeToken string           // set before the joined that carries it, by the reader
	unconfirmed bool             // reader only: resumed, the client has sent nothing since (resume.go)
}

func newSession(h *Handler, conn *websocket.Conn, remote string) *session {
	s := &session{
		h:        h,
		conn:     conn,
		log:      h.log.With("remote", remote),
		limiter:  rate.NewLimiter(rate.Limit(h.cfg.messageRate), h.cfg.messageBurst),
		refusals: rate.NewLimiter(rate.Limit(h.cfg.messageRate), refusalBurstFactor*h.cfg.messageBurst),
		offers:   newOfferLimiter(h.cfg),
		send:     newSendQueue(h.cfg.sendQueue),
		done:     make(chan struct{}),
	}
	s.writerWG.Add(1)
	go s.writer()
	return s
}

// run reads until the connection ends, then takes the participant out.
func (s *session) run() {
	dropped := false // the connection broke without a word: resumable
	defer s.wait()
	defer s.finish()
	defer func() {
		if s.participant != nil {
			s.endSeat(dropped)
		}
		s.releaseRoom()
	}()
	// A panic on this client's path ends this client alone, told why.
	defer func() {
		if v := recover(); v != nil {
			s.h.sfu.RecordPanic("signaling", v, debug.Stack())
			s.end(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeInternal, Message: "internal error", Fatal: true})
		}
	}()
	_ = s.conn.SetReadDeadline(time.Now().Add(s.h.cfg.joinTimeout))
	s.conn.SetPongHandler(func(string) error {
		// Before join, only joining keeps the connection: a client that
		// answers pings but never joins is still dropped.
		s.keepAlive()
		return nil
	})
	for {
		data, err := s.read()
		if errors.Is(err, ErrTooLarge) {
			s.fail(err)
			return
		}
		if err != nil {
			if s.participant == nil && isTimeout(err) {
				s.fail(ErrJoinTimedOut)
			}
			dropped = !isCloseFrame(err) && !s.finished()
			return
		}
		s.keepAlive()
		msg, err := protocol.DecodeClient(data)
		if _, isData := msg.(*protocol.Data); !isData && !s.limiter.AllowN(s.h.cfg.clock.Now(), 1) {
			// Data messages have limits of their own (sfu.DataLimits).
			s.refuse(ErrRateLimited)
			continue
		}
		if err != nil {
			s.refuse(err)
			continue
		}
		if leave := s.dispatch(msg); leave {
			return
		}
	}
}

// keepAlive gives a joined client pongTimeout more to show a sign of life.
func (s *session) keepAlive() {
	if s.participant != nil {
		_ = s.conn.SetReadDeadline(time.Now().Add(s.h.cfg.pongTimeout))
	}
}

// read returns one text message of at most the configured size.
func (s *session) read() ([]byte, error) {
	typ, r, err := s.conn.NextReader()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(s.h.cfg.maxMessageSize)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > s.h.cfg.maxMessageSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, s.h.cfg.maxMessageSize)
	}
	if typ != websocket.TextMessage {
		return []byte("binary"), nil // fails to decode: a bad message like any other
	}
	return data, nil
}

// isCloseFrame tells a clean close (the client sent a close frame: it
// left) from a broken connection, which gorilla/websocket reports as 1006
// (abnormal closure: RFC 6455 §7.1.5, never sent in a frame).
func isCloseFrame(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
}

// finished reports whether the server ended the session (finish).
func (s *session) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// endSeat takes the participant out when its session ends, unless the
// connection dropped and resume holds it (resume.go), or another session
// took it over.
func (s *session) endSeat(dropped bool) {
	st := s.seat
	if st == nil {
		s.participant.Leave()
		if c := s.h.cfg.cluster; c != nil {
			c.Left(s.room, s.participant.ID())
		}
		return
	}
	if dropped && s.h.resume.hold(s, st) {
		s.log.Info("connection dropped: held for resume", "window", s.h.cfg.resumeWindow)
		return
	}
	if s.h.resume.release(s, st) {
		s.h.leaveSeat(st)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// refuse tells the client its message was refused and disconnects a client
// that keeps sending bad ones.
func (s *session) refuse(err error) {
	if n := s.bad.Add(1); int(n) > s.h.cfg.maxBadMessages {
		s.fail(fmt.Errorf("%w: %v", ErrTooManyBad, err))
		return
	}
	s.log.Debug("refused message", "err", err)
	s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(err), Message: err.Error()})
}

// fail sends a fatal error and ends the session.
func (s *session) fail(err error) { s.failAt(slog.LevelInfo, err) }

// failAt is fail logging at level: Debug for what a flood repeats, such as
// the refusals of the per-address limits.
func (s *session) failAt(level slog.Level, err error) {
	s.log.Log(context.Background(), level, "closing session", "err", err)
	s.end(protocol.Error{Type: protocol.TypeError, Code: errorCode(err), Message: err.Error(), Fatal: true})
}

// leaving tells the client the server is shutting down: go to target (a
// client of version 2, when there is a target), else bye. Safe from any
// goroutine: version is set before the session joins its handler's set.
func (s *session) leaving(target string) {
	if target != "" && s.joinedVersion() >= 2 {
		s.end(protocol.Redirect{Type: protocol.TypeRedirect, URL: target, Reason: "server shutting down"})
	} else {
		s.sayBye("server shutting down")
	}
}

func (s *session) joinedVersion() int { return int(s.version.Load()) }

// sayBye ends the session with a bye naming reason.
func (s *session) sayBye(reason string) {
	s.end(protocol.Bye{Type: protocol.TypeBye, Reason: reason})
}

// sendMsg queues a message without ever blocking; a client whose queue is
// full is too slow to keep and is disconnected. Nothing is queued after the
// session's last word (end): a client that read bye, a redirect or a fatal
// error reads nothing more, such as its room-mates leaving on shutdown.
func (s *session) sendMsg(v any) { s.queue(v, false) }

// end queues v as the session's last word and ends the session: the
// writer flushes what is queued, v last, and closes the connection.
func (s *session) end(v any) {
	s.queue(v, true)
	s.finish()
}

func (s *session) queue(v any, last bool) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encoding message", "err", err)
		return
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.saidLast || s.finished() {
		return
	}
	if !s.send.push(data) {
		s.log.Warn("send queue full", "err", ErrSlowClient)
		s.finish()
		return
	}
	s.saidLast = last
}

// finish makes the writer flush what is queued and close the connection.
func (s *session) finish() {
	s.finishMu.Do(func() { close(s.done) })
}

func (s *session) wait() { s.writerWG.Wait() }

func (s *session) writer() {
	defer s.writerWG.Done()
	defer s.conn.Close()
	ping := time.NewTicker(s.h.cfg.pingInterval)
	defer ping.Stop()
	for {
		select {
		case <-s.send.wake:
			data, ok := s.send.pop()
			if ok && s.write(websocket.TextMessage, data) != nil {
				return
			}
		case <-ping.C:
			if s.write(websocket.PingMessage, nil) != nil {
				return
			}
		case <-s.done:
			s.flush()
			return
		}
	}
}

// flush writes what is still queued, then a close frame, so a client learns
// why it was disconnected.
func (s *session) flush() {
	for {
		data, ok := s.send.pop()
		if !ok {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		}
		if s.write(websocket.TextMessage, data) != nil {
			return
		}
	}
}

func (s *session) write(typ int, data []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.h.cfg.writeTimeout))
	if typ == websocket.PingMessage {
		return s.conn.WriteControl(typ, nil, time.Now().Add(s.h.cfg.writeTimeout))
	}
	return s.conn.WriteMessage(typ, bytes.TrimSpace(data))
}
