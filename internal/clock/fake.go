package clock

import (
	"sync"
	"time"
)

// Fake is a clock that moves only when told (Advance). Its tickers fire as
// it passes their times, in time order, each tick carrying its own time.
// Like a time.Ticker's, a tick is dropped when the last one has not been
// read: a test that needs every tick handled advances a tick's period at a
// time and waits for its effect before the next. Safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
	made    int // tickers made, stopped ones too
}

// NewFake returns a Fake that reads start until advanced. From time.Now
// (with its monotonic reading), its times compare with the real clock's
// as the package time documents.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now is the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTicker returns a ticker that fires every d of fake time from now.
// It panics on d <= 0, as time.NewTicker does.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTicker{f: f, c: make(chan time.Time, 1), period: d, next: f.now.Add(d)}
	f.tickers = append(f.tickers, t)
	f.made++
	return t
}

// Advance moves the time on by d, firing every tick due on the way, the
// earliest first.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := f.now.Add(d)
	for {
		t := f.earliest()
		if t == nil || t.next.After(end) {
			break
		}
		f.now = t.next
		t.next = t.next.Add(t.period)
		select {
		case t.c <- f.now:
		default: // the last tick is still unread: dropped, as time.Ticker does
		}
	}
	f.now = end
}

// Tickers is how many tickers are running, and how many were ever made: a
// test waits on them to know a goroutine has reached its loop, or started
// (and stopped) one of its own.
func (f *Fake) Tickers() (running, made int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tickers), f.made
}

// earliest is the running ticker due first. Called with f.mu held.
func (f *Fake) earliest() *fakeTicker {
	var first *fakeTicker
	for _, t := range f.tickers {
		if first == nil || t.next.Before(first.next) {
			first = t
		}
	}
	return first
}

type fakeTicker struct {
	f      *Fake
	c      chan time.Time
	period time.Duration
	next   time.Time // under f.mu
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }

// Stop ends the ticks; one already sent stays readable, as after
// time.Ticker's Stop before Go 1.23.
func (t *fakeTicker) Stop() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, o := range t.f.tickers {
		if o == t {
			t.f.tickers = append(t.f.tickers[:i], t.f.tickers[i+1:]...)
			return
		}
	}
}
