// Package signaling speaks Switchboard's WebSocket protocol (see package
// protocol and the README) and drives the sfu: authentication, validation
// and per-connection limits live here, media in sfu.
package signaling

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// Handler upgrades HTTP requests to signaling sessions.
type Handler struct {
	sfu      *sfu.SFU
	cfg      config
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup
	draining atomic.Bool // placement.go: shutting down, joins go elsewhere

	addrs  *addrLimits  // addrlimit.go
	rooms  roomCount    // limits.go
	resume *resumeTable // resume.go; nil: resume off
}

// NewHandler returns a Handler that joins clients to rooms of s.
func NewHandler(s *sfu.SFU, opts ...Option) *Handler {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	h := &Handler{sfu: s, cfg: cfg, log: cfg.logger, sessions: make(map[*session]struct{}), addrs: newAddrLimits(&cfg)}
	if cfg.resumeWindow > 0 {
		h.resume = newResumeTable(h)
	}
	h.upgrader = websocket.Upgrader{
		// No ReadBufferSize: the connection reads through the 4 KB reader
		// net/http made for the request, not a second one of its own.
		WriteBufferSize: 4096,
		// A session holds a write buffer only while it writes a message,
		// not for its lifetime: most sessions are silent most of the time
		// (4 KB per participant otherwise).
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.checkOrigin,
	}
	return h
}

// checkOrigin allows clients without an Origin (not browsers), same-host
// pages, and the configured origins.
func (h *Handler) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if slices.Contains(h.cfg.allowedOrigins, "*") || slices.Contains(h.cfg.allowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// ServeHTTP upgrades the request and runs the session until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr, counted := h.addrs.clientAddr(r)
	var overLimit error
	if counted {
		if overLimit = h.addrs.connect(addr); overLimit == nil {
			defer h.addrs.disconnect(addr)
		}
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Debug("websocket upgrade", "err", err, "remote", r.RemoteAddr)
		return
	}
	s := newSession(h, conn, r.RemoteAddr)
	s.host = r.Host
	s.addr, s.addrCounted = addr, counted
	if overLimit != nil {
		// Refused after the upgrade, so that the client can read why.
		s.failAt(slog.LevelDebug, overLimit)
		s.wait()
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.sayBye("server shutting down")
		s.wait()
		return
	}
	h.sessions[s] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.sessions, s)
		h.mu.Unlock()
		h.wg.Done()
	}()
	s.run()
}

// Shutdown tells every client the server is going away, ends every session
// and waits for them until ctx is done. In a cluster, the other nodes stop
// sending clients here first, and a client that speaks version 2 is
// redirected to another node, where it joins again at once.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.draining.Store(true)
	target := ""
	if c := h.cfg.cluster; c != nil {
		c.SetDraining()
		target, _ = c.Elsewhere()
	}
	if h.addrs.joins != nil {
		h.addrs.joins.Purge() // its goroutine outlives the handler; its buckets need not
	}
	h.mu.Lock()
	h.closed = true
	for s := range h.sessions {
		s.leaving(target)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		if h.resume != nil {
			h.resume.close() // the held sessions leave too
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
