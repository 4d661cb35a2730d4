package signaling

import (
	"crypto/rand"
	"errors"
	"sync"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// Reconnect and resume: a participant whose WebSocket drops without a word
// (read error, ping timeout, TCP reset) keeps its place, its PeerConnection,
// its tracks and its subscriptions for the resume window. A new WebSocket
// whose join names the resumeToken of the last joined takes the place over;
// the others see nothing. A leave, a close frame or the server's own ending
// of the session still take the participant out at once.

// DefaultMaxPendingResumes bounds the dropped sessions held for resume at
// once: past it, the oldest leaves at once, so that a flood of abandoned
// sessions cannot grow memory.
const DefaultMaxPendingResumes = 10_000

// ErrResumeFailed refuses a resume whose token is unknown, used already,
// expired or for another room; the client joins afresh.
var ErrResumeFailed = errors.New("cannot resume: unknown, used or expired token")

// seat is a participant's place in its room: it outlives the WebSocket that
// took it, passing from one session to the next on resume.
type seat struct {
	p        *sfu.Participant
	ev       *events
	room     string
	grant    Grant
	heldRoom string // counted in h.rooms (limits.go); released when the seat ends

	mu    sync.Mutex
	owner *session // nil while held for resume
	token string   // the token that resumes it now
	// prev is the token the last resume used: it resumes the seat too until
	// the client shows it got the new one (confirm), so that a client whose
	// joined was lost with its connection can resume again.
	prev  string
	ended bool
}

// disown takes st from s, held for resume or ended for good, and returns
// its token; false when s does not own it (any more).
func (st *seat) disown(s *session, end bool) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.owner != s || st.ended {
		return "", false
	}
	st.owner, st.ended = nil, end
	return st.token, true
}

// tokens are the tokens that resume st now.
func (st *seat) tokens() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return []string{st.token, st.prev}
}

// resumeTable finds seats by token: live ones (their WebSocket may be
// half-open, unknown to the server yet) in a map, dropped ones in an
// expirable LRU whose expiry takes the participant out. The LRU's callback
// runs under its lock, so it only hands the seat to a goroutine.
type resumeTable struct {
	h    *Handler
	mu   sync.Mutex
	live map[string]*seat
	held *expirable.LRU[string, *seat]
	wg   sync.WaitGroup // expiries in progress
}

func newResumeTable(h *Handler) *resumeTable {
	t := &resumeTable{h: h, live: make(map[string]*seat)}
	// golang-lru v2 runs a goroutine per expirable LRU that it never stops
	// (see IgnoreJoinBucketExpiry): one per Handler with resume on.
	t.held = expirable.NewLRU(max(h.cfg.maxPendingResumes, 1), t.evicted, h.cfg.resumeWindow)
	return t
}

// newResumeToken returns 256 random bits: unguessable (rand.Text gives 128
// bits; two of them leave no doubt), URL-safe.
func newResumeToken() string { return rand.Text() + rand.Text() }

// seat makes the seat of a participant that just joined through s, under
// the token s handed its client in joined.
func (t *resumeTable) seat(s *session, ev *events) *seat {
	st := &seat{p: s.participant, ev: ev, room: s.room, grant: s.grant, heldRoom: s.heldRoom, owner: s, token: s.resumeToken}
	s.heldRoom = "" // the seat holds the room's count now, and releases it when it ends
	t.mu.Lock()
	t.live[st.token] = st
	t.mu.Unlock()
	ev.seat.Store(st)
	return st
}

// hold keeps st, whose WebSocket dropped, for the resume window. It reports
// false when s no longer owns st (another session took it over) or st
// ended: then s has nothing to do.
func (t *resumeTable) hold(s *session, st *seat) bool {
	if s.h.draining.Load() {
		return false // shutting down: nothing will come back here
	}
	token, ok := st.disown(s, false)
	if !ok {
		return false
	}
	st.p.Detach()
	// Into the LRU first, out of the live map after: a resume between the
	// two finds it in either.
	t.held.Add(token, st)
	t.forget(token) // a prev stays: the client may never have read token
	return true
}

// claim hands the seat of token in room to s, whether it is held or still
// live under a session that has not noticed its connection is gone (that
// one is finished, without taking the participant out), and gives it a
// fresh token, next: the one claimed resumes nothing any more.
func (t *resumeTable) claim(s *session, token, room, next string) (*seat, error) {
	t.mu.Lock()
	st := t.live[token]
	t.mu.Unlock()
	if st == nil {
		st, _ = t.held.Peek(token)
	}
	if st == nil || st.room != room {
		return nil, ErrResumeFailed
	}
	st.mu.Lock()
	if st.ended || (token != st.token && token != st.prev) {
		st.mu.Unlock()
		return nil, ErrResumeFailed
	}
	owner, stale := st.owner, st.token
	st.owner, st.prev, st.token = s, token, next
	st.mu.Unlock()
	t.mu.Lock()
	if stale != token {
		delete(t.live, stale) // sent in a joined the client never read
	}
	t.live[token] = st
	t.live[next] = st
	t.mu.Unlock()
	t.held.Remove(stale) // its expiry sees the token changed: a no-op
	if owner != nil {
		owner.finish()
	}
	return st, nil
}

// confirm retires the token a resume used, once the client sent something
// on its new connection: it has read the joined with the next token.
func (t *resumeTable) confirm(st *seat) {
	st.mu.Lock()
	prev := st.prev
	st.prev = ""
	st.mu.Unlock()
	t.forget(prev)
}

// forget takes tokens out of the live map.
func (t *resumeTable) forget(tokens ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range tokens {
		delete(t.live, k)
	}
}

// release ends s's ownership of st for good: the caller takes the
// participant out. It reports false when another session owns st now.
func (t *resumeTable) release(s *session, st *seat) bool {
	if _, ok := st.disown(s, true); !ok {
		return false
	}
	t.forget(st.tokens()...)
	return true
}

// evicted is the LRU's callback, under its lock: on expiry, on eviction
// past the bound, on removal and on purge.
func (t *resumeTable) evicted(token string, st *seat) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.expire(token, st)
	}()
}

// expire takes out a seat held under token, unless it was resumed since.
func (t *resumeTable) expire(token string, st *seat) {
	st.mu.Lock()
	if st.owner != nil || st.ended || st.token != token {
		st.mu.Unlock()
		return
	}
	st.ended = true
	st.mu.Unlock()
	t.forget(st.tokens()...) // a prev still in the live map
	t.h.leaveSeat(st)
}

// drop ends a held seat whose participant the SFU removed meanwhile.
func (t *resumeTable) drop(st *seat) {
	st.mu.Lock()
	token, held := st.token, st.owner == nil && !st.ended
	st.mu.Unlock()
	if held {
		t.held.Remove(token)
	}
}

// close takes out every held seat and waits until they are out.
func (t *resumeTable) close() {
	t.held.Purge()
	t.wg.Wait()
}

// PendingResumes is the number of dropped sessions held for resume now.
func (h *Handler) PendingResumes() int {
	if h.resume == nil {
		return 0
	}
	return h.resume.held.Len()
}

// leaveSeat takes a seat's participant out, as a session's end does.
func (h *Handler) leaveSeat(st *seat) {
	st.p.Leave()
	if c := h.cfg.cluster; c != nil {
		c.Left(st.room, st.p.ID())
	}
	h.releaseRoom(st.heldRoom)
}
