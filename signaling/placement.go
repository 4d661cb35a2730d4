package signaling

import (
	"context"
	"fmt"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// placement decides whether this node takes a joining client. It returns
// "" and nil to take it, a URL to send it elsewhere (a client that speaks
// version 2 is redirected there), or an error that refuses it.
func (h *Handler) placement(ctx context.Context) (redirect string, err error) {
	c := h.cfg.cluster
	full := h.cfg.maxNodeParticipants > 0 && h.sfu.Stats().Participants >= h.cfg.maxNodeParticipants
	if h.draining.Load() || full {
		if c != nil {
			if url, ok := c.Elsewhere(); ok {
				return url, nil
			}
		}
		return "", ErrNodeFull
	}
	if c != nil {
		if err := c.Admit(ctx); err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return "", nil
}

// redirect sends the client to another node and ends the session; a client
// of version 1, which knows no redirect, is told why it cannot stay.
func (s *session) redirect(url, reason string, fallback error) {
	if s.joinedVersion() < 2 {
		s.fail(fallback)
		return
	}
	s.log.Info("redirecting client", "to", url, "reason", reason)
	s.sendMsg(protocol.Redirect{Type: protocol.TypeRedirect, URL: url, Reason: reason})
	s.finish()
}
