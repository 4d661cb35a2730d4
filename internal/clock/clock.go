// Package clock is where the SFU reads the time: the real clock in a
// server, a manual one (Fake) in tests, which then let the SFU's hold
// times, throttles and allocation intervals pass at once and in a known
// order instead of sleeping through them.
package clock

import "time"

// Clock tells the time and makes tickers.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on C, as a time.Ticker does.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Real is the system's clock: time.Now and time.NewTicker.
type Real struct{}

// Now is time.Now: with its monotonic reading, which comparisons use.
func (Real) Now() time.Time { return time.Now() }

// NewTicker is time.NewTicker.
func (Real) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }
