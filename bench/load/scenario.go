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
	URL string `json:"url"` // the signaling WebSocket, ws:// or wss://
	// URLs, when it has more than one, are the nodes of a cluster that
	// share rooms: participants are spread over them (see Node). URL is
	// then its first.
	URLs []string `json:"urls,omitempty"`
	// PinPublishers puts every publisher on the first node, however many
	// there are: a cluster's relays then all leave from one node.
	PinPublishers bool          `json:"pinPublishers,omitempty"`
	Rooms         int           `json:"rooms"`       // rooms, run side by side
	Publishers    int           `json:"publishers"`  // per room
	Subscribers   int           `json:"subscribers"` // per room
	Duration      time.Duration `json:"duration"`    // from the first join to the leave
	JoinRate      float64       `json:"joinRate"`    // participants joining per second; 0: all at once
	Bitrate       int           `json:"bitrate"`     // video bits per second per publisher, all layers
	Simulcast     bool          `json:"simulcast"`   // three layers per video track
	ICEIPs        []string      `json:"iceIPs,omitempty"`
	// ICETCP lets the clients reach the server over ICE-TCP too (RFC
	// 6544), as browsers do; UDP pairs still win where UDP gets through.
	ICETCP bool `json:"iceTCP,omitempty"`
	// Churn is how many subscribers a second vanish, as a killed tab does
	// (the WebSocket dropped without a leave), each replaced at once by a
	// new one, for the whole run; 0: none. Publishers stay, so that the
	// media load is the same throughout.
	Churn      float64 `json:"churn,omitempty"`
	RoomPrefix string  `json:"roomPrefix"` // rooms are named prefix-1, prefix-2, …
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

// Nodes is the servers participants join: URLs, or URL alone.
func (s Scenario) Nodes() []string {
	if len(s.URLs) > 0 {
		return s.URLs
	}
	return []string{s.URL}
}

// Node is the index in Nodes of the server that the index-th participant
// of a role joins, counting that role's participants in join order over
// every room (see plan): participants of each role go round-robin over the
// nodes, publishers and subscribers each starting at the first node, so
// that with one room of P publishers and S subscribers over N nodes,
// publisher i joins node i mod N and subscriber j node j mod N. With
// PinPublishers every publisher joins the first node.
func (s Scenario) Node(role Role, index int) int {
	n := len(s.Nodes())
	if n <= 1 || (role == Publisher && s.PinPublishers) {
		return 0
	}
	return index % n
}

// Validate reports what makes the scenario unusable.
func (s Scenario) Validate() error {
	if len(s.URLs) > 0 && s.URL != s.URLs[0] {
		return fmt.Errorf("%w: URL %q is not the first of URLs %q", ErrBadScenario, s.URL, s.URLs)
	}
	for _, raw := range s.Nodes() {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return fmt.Errorf("%w: URL %q is not ws://host/path or wss://host/path", ErrBadScenario, raw)
		}
	}
	switch {
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
	case s.Churn < 0:
		return fmt.Errorf("%w: negative churn", ErrBadScenario)
	case s.Churn > 0 && s.Subscribers == 0:
		return fmt.Errorf("%w: churn needs subscribers", ErrBadScenario)
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
	node  int // index in Scenario.Nodes of the server it joins
}

// name is the display name of the spec's first participant: room, role
// and index.
func (sp spec) name() string { return fmt.Sprintf("%s-%s-%d", sp.room, sp.role, sp.index+1) }

// plan orders the joins: publishers before subscribers, so that a
// subscriber's first offer carries tracks, and the rooms filled side by
// side rather than one after another.
// Each role's participants are spread over the nodes in that order.
func (s Scenario) plan() []spec {
	var out []spec
	seen := map[Role]int{} // participants of each role planned so far
	for i := range s.Publishers + s.Subscribers {
		for r := range s.Rooms {
			sp := spec{room: fmt.Sprintf("%s-%d", s.RoomPrefix, r+1), role: Publisher, index: i}
			if i >= s.Publishers {
				sp.role, sp.index = Subscriber, i-s.Publishers
			}
			sp.node = s.Node(sp.role, seen[sp.role])
			seen[sp.role]++
			out = append(out, sp)
		}
	}
	return out
}
