// Package speakers decides who is speaking in a room from the audio levels
// publishers write in their packets (RFC 6464 ssrc-audio-level), and which
// of them holds the floor: the dominant speaker.
//
// The packet path only adds each packet's amplitude to a Meter (one atomic
// add). Every tick (100 ms) the room takes each Meter's sample and hands it
// to its Detector, which is owned by the room's one goroutine:
//
//   - A tick is voiced when the mean amplitude of what the participant
//     sent in it (missing packets, as with Opus DTX, count as silence) is
//     at least ActiveLevel: -45 dBov by default.
//   - A participant is speaking while any of its last Window ticks (1 s)
//     was voiced; its level is a smoothed amplitude (quick to rise, slower
//     to fall) on a 0 to 1 scale, -60 dBov and below being 0.
//   - The floor goes to a participant voiced in at least MinVoiced of the
//     last Window ticks (half a second of the last second) and in at least
//     Margin more of them than the holder. So a cough, a door or a laugh
//     under 300 ms (at most 4 ticks) never takes it, and two people talking
//     at once leave it with the one who had it (hysteresis).
//
// The list of speakers puts the dominant speaker first when it is speaking,
// then the others from the loudest.
//
// It borrows from LiveKit's audio level (a share of an observation window
// above a level, smoothed) and from the dominant speaker identification of
// Volfin and Cohen that Jitsi uses (a challenger must beat the holder on
// speech activity over a longer window, not on one loud moment), in a much
// smaller form.
package speakers

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// Config tunes a Detector; DefaultConfig is what the SFU uses.
type Config struct {
	// Tick is how often the room calls Tick; Frame how much audio one packet
	// carries (20 ms for browsers' Opus). Together they say how many packets
	// a tick should have: fewer is silence.
	Tick, Frame time.Duration
	// ActiveLevel (-dBov) is the mean level at or above which a tick is
	// voiced.
	ActiveLevel uint8
	// Window is how many ticks of history count (at most 16).
	Window int
	// MinVoiced is how many voiced ticks of the window take the floor;
	// Margin how many more than the holder's.
	MinVoiced, Margin int
	// Rise and Fall are the smoothing factors of the level when it goes up
	// and when it goes down (0 to 1: the share of the new tick taken).
	Rise, Fall float64
}

// DefaultConfig: 100 ms ticks, -45 dBov, a one second window, half of it
// voiced to take the floor.
func DefaultConfig() Config {
	return Config{
		Tick: 100 * time.Millisecond, Frame: 20 * time.Millisecond,
		ActiveLevel: 45, Window: 10, MinVoiced: 5, Margin: 2,
		Rise: 0.6, Fall: 0.3,
	}
}

// Speaker is one participant in the list: Level from 0 to 1.
type Speaker struct {
	ID    string
	Level float64
}

// forgetAfter is how many ticks a participant that sends nothing at all
// (no track: it left, or unpublished) is kept.
const forgetAfter = 20

type state struct {
	voiced  uint16  // bit i: tick i ago was voiced
	level   float64 // smoothed amplitude, 0 to 1
	pending float64 // this tick's mean amplitude (the loudest of its tracks)
	seen    bool    // observed this tick
	unseen  int     // ticks in a row not observed
}

// Detector keeps the history of each participant of one room. It is not
// safe for concurrent use: one goroutine calls Observe and Tick.
type Detector struct {
	cfg       Config
	perTick   float64 // packets a tick should have
	threshold float64 // amplitude of ActiveLevel
	mask      uint16  // the window's bits
	states    map[string]*state
	dominant  string
}

// New returns a Detector.
func New(cfg Config) *Detector {
	cfg.Window = min(max(cfg.Window, 1), 16)
	return &Detector{
		cfg:       cfg,
		perTick:   max(1, float64(cfg.Tick)/float64(cfg.Frame)),
		threshold: math.Pow(10, -float64(cfg.ActiveLevel)/20),
		mask:      uint16(1<<cfg.Window - 1),
		states:    make(map[string]*state),
	}
}

// Observe adds what one of id's audio tracks sent this tick; with several
// tracks (a microphone and a screen share's sound) the loudest counts. A
// muted track should be observed as the zero Sample: the participant is
// there and silent.
func (d *Detector) Observe(id string, s Sample) {
	st := d.states[id]
	if st == nil {
		st = &state{}
		d.states[id] = st
	}
	mean := float64(s.amplitude) / 65535 / max(float64(s.Packets), d.perTick)
	st.pending = max(st.pending, mean)
	st.seen = true
}

// Tick closes the tick: every participant observed in it gets its history
// moved on, the floor is decided, and the list of speakers returned (a new
// slice, the dominant speaker first, then by level).
func (d *Detector) Tick() []Speaker {
	for id, st := range d.states {
		if !st.seen {
			if st.unseen++; st.unseen >= forgetAfter {
				delete(d.states, id)
				if d.dominant == id {
					d.dominant = ""
				}
				continue
			}
		} else {
			st.unseen = 0
		}
		st.voiced <<= 1
		if st.pending >= d.threshold {
			st.voiced |= 1
		}
		f := d.cfg.Fall
		if st.pending > st.level {
			f = d.cfg.Rise
		}
		st.level += f * (st.pending - st.level)
		st.pending, st.seen = 0, false
	}
	d.decideFloor()
	return d.list()
}

func (d *Detector) score(st *state) int {
	if st == nil {
		return 0
	}
	return bits.OnesCount16(st.voiced & d.mask)
}

// decideFloor gives the floor to the participant most voiced over the
// window if that is enough and enough more than the holder.
func (d *Detector) decideFloor() {
	best, bestScore, bestLevel := "", -1, 0.0
	for id, st := range d.states {
		s := d.score(st)
		if s > bestScore || s == bestScore && (st.level > bestLevel || st.level == bestLevel && id < best) {
			best, bestScore, bestLevel = id, s, st.level
		}
	}
	if best == "" || best == d.dominant || bestScore < d.cfg.MinVoiced {
		return
	}
	if bestScore >= d.score(d.states[d.dominant])+d.cfg.Margin {
		d.dominant = best
	}
}

func (d *Detector) list() []Speaker {
	var out []Speaker
	for id, st := range d.states {
		if st.voiced&d.mask != 0 {
			out = append(out, Speaker{ID: id, Level: scale(st.level)})
		}
	}
	slices.SortFunc(out, func(a, b Speaker) int {
		switch {
		case a.ID == d.dominant:
			return -1
		case b.ID == d.dominant:
			return 1
		case a.Level != b.Level:
			if a.Level > b.Level {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Dominant is the participant holding the floor, speaking or not; "" before
// anyone took it.
func (d *Detector) Dominant() string { return d.dominant }

// floorDB is the level shown as 0.
const floorDB = 60

// scale maps an amplitude (0 to 1) to a level from 0 (-60 dBov or less) to
// 1 (0 dBov), linear in decibels, rounded to hundredths.
func scale(amp float64) float64 {
	if amp <= 0 {
		return 0
	}
	v := (floorDB + 20*math.Log10(amp)) / floorDB
	return math.Round(min(max(v, 0), 1)*100) / 100
}

// Changed reports whether list b differs from a enough to tell the clients:
// other participants, another order, or a level that moved by a tenth.
func Changed(a, b []Speaker) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		if a[i].ID != b[i].ID || math.Abs(a[i].Level-b[i].Level) >= 0.1 {
			return true
		}
	}
	return false
}
