// Package load runs a load test against any Switchboard server through its
// public signaling protocol: rooms of publishers sending synthetic media and
// receive-only subscribers, joining at a set rate, for a set time. It
// samples what every client received once a second and, when the server
// exposes metrics, the server's counters, CPU and memory, and returns it
// all for package report to summarise.
package load

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// ErrBadScenario means a scenario cannot be run as given.
var ErrBadScenario = errors.New("load: bad scenario")

// Role is what a participant does in a room.
type Role string

// Roles.
const (
	Publisher  Role = "publisher"  // publishes audio and video, receives the others
	Subscriber Role = "subscriber" // receives only
)

// Scenario is one load run.
type Scenario struct {
	URL         string        `json:"url"`         // the signaling WebSocket, ws:// or wss://
	Rooms       int           `json:"rooms"`       // rooms, run side by side
	Publishers  int           `json:"publishers"`  // per room
	Subscribers int           `json:"subscribers"` // per room
	Duration    time.Duration `json:"duration"`    // from the first join to the leave
	JoinRate    float64       `json:"joinRate"`    // participants joining per second; 0: all at once
	Bitrate     int           `json:"bitrate"`     // video bits per second per publisher, all layers
	Simulcast   bool          `json:"simulcast"`   // three layers per video track
	ICEIPs      []string      `json:"iceIPs,omitempty"`
	RoomPrefix  string        `json:"roomPrefix"` // rooms are named prefix-1, prefix-2, …
}

// Expected is how many participants the scenario has.
func (s Scenario) Expected() int { return s.Rooms * (s.Publishers + s.Subscribers) }

// SubscribedTracks is how many tracks the server sends once everyone is
// in: every participant receives audio and video of every publisher but
// itself.
func (s Scenario) SubscribedTracks() int {
	perRoom := s.Subscribers*2*s.Publishers + s.Publishers*2*(s.Publishers-1)
	return s.Rooms * perRoom
}

// Validate reports what makes the scenario unusable.
func (s Scenario) Validate() error {
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "":
		return fmt.Errorf("%w: URL %q is not ws://host/path or wss://host/path", ErrBadScenario, s.URL)
	case s.Rooms < 1:
		return fmt.Errorf("%w: at least one room", ErrBadScenario)
	case s.Publishers < 1:
		return fmt.Errorf("%w: at least one publisher per room", ErrBadScenario)
	case s.Subscribers < 0:
		return fmt.Errorf("%w: negative subscribers", ErrBadScenario)
	case s.Duration <= 0:
		return fmt.Errorf("%w: duration must be positive", ErrBadScenario)
	case s.JoinRate < 0:
		return fmt.Errorf("%w: negative join rate", ErrBadScenario)
	case s.Bitrate < 10_000:
		return fmt.Errorf("%w: video bitrate %d below 10 kbit/s", ErrBadScenario, s.Bitrate)
	case s.RoomPrefix == "":
		return fmt.Errorf("%w: empty room prefix", ErrBadScenario)
	}
	return nil
}

// spec is one participant to be.
type spec struct {
	room  string
	role  Role
	index int // within its role and room
}

// plan orders the joins: publishers before subscribers, so that a
// subscriber's first offer carries tracks, and the rooms filled side by
// side rather than one after another.
func (s Scenario) plan() []spec {
	var out []spec
	for i := range s.Publishers + s.Subscribers {
		for r := range s.Rooms {
			sp := spec{room: fmt.Sprintf("%s-%d", s.RoomPrefix, r+1), role: Publisher, index: i}
			if i >= s.Publishers {
				sp.role, sp.index = Subscriber, i-s.Publishers
			}
			out = append(out, sp)
		}
	}
	return out
}
