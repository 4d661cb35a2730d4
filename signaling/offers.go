package signaling

import (
	"fmt"

	"golang.org/x/time/rate"
)

// Defaults of the per-connection offer limit. A browser offers once per
// change of what it publishes (camera, microphone, screen) and once per
// ICE restart: a handful in a second at most. Each offer costs the server
// about 2 ms of CPU (Pion's SetRemoteDescription and CreateAnswer,
// docs/reliability.md), which the message limit alone (50 a second)
// lets one client spend 46 times a second.
const (
	DefaultOfferRate  = 5.0 // a second
	DefaultOfferBurst = 10
)

// WithOfferRate limits each connection to rate offers a second after a
// burst of burst; an offer past it is refused with rate-limited, as any
// other refused message (and counted toward WithMaxBadMessages). rate 0:
// no limit beyond WithMessageRate's.
func WithOfferRate(r float64, burst int) Option {
	return func(c *config) { c.offerRate, c.offerBurst = r, burst }
}

// newOfferLimiter is a connection's offer limiter; nil when there is none.
func newOfferLimiter(c config) *rate.Limiter {
	if c.offerRate <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(c.offerRate), max(1, c.offerBurst))
}

// allowOffer takes one offer from the connection's allowance, or says why
// not.
func (s *session) allowOffer() error {
	if s.offers == nil || s.offers.AllowN(s.h.cfg.clock.Now(), 1) {
		return nil
	}
	return fmt.Errorf("%w: at most %g offers a second (bursts of %d)", ErrRateLimited, s.h.cfg.offerRate, s.offers.Burst())
}
