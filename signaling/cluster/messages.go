package cluster

import (
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// nodeInfo is a node's registration.
type nodeInfo struct {
	ID           string `json:"id"`
	URL          string `json:"url,omitempty"`
	Participants int    `json:"participants"`
	Tracks       int    `json:"tracks"`
	Max          int    `json:"max,omitempty"` // participants it takes at most; 0: no limit
	Draining     bool   `json:"draining,omitempty"`
}

// hasRoom tells whether the node can take one more participant.
func (i nodeInfo) hasRoom() bool {
	return i.URL != "" && !i.Draining && (i.Max == 0 || i.Participants < i.Max)
}

// member is one participant in a room's hash.
type member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Identity is the access token's subject (the id without tokens).
	Identity   string            `json:"identity,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Node       string            `json:"node"`
}

// Kinds of message between nodes.
const (
	kindJoin      = "join"       // room channel: a participant joined
	kindLeave     = "leave"      // room channel: a participant left
	kindData      = "data"       // room channel: a participant's data message (data.go)
	kindAttrs     = "attributes" // room channel: a participant's attributes changed (data.go)
	kindQuality   = "quality"    // room channel: connection quality of a node's participants (quality.go)
	kindOffer     = "offer"      // inbox: egress end → ingress end
	kindAnswer    = "answer"     // inbox: ingress end → egress end
	kindCandidate = "candidate"  // inbox: either end's ICE candidate
	kindLayers    = "layers"     // inbox: ingress end → egress end: layers wanted
	kindMute      = "mute"       // inbox: egress end → ingress end
	kindClose     = "close"      // inbox: an end went away
)

// Which end of a relay sent an inbox message.
const (
	fromEgress  = "egress"
	fromIngress = "ingress"
)

// message is every message between nodes; kind says which fields count.
type message struct {
	Kind      string                   `json:"kind"`
	Room      string                   `json:"room"`
	Member    *member                  `json:"member,omitempty"`
	End       string                   `json:"end,omitempty"`     // which end of a relay sent it
	Session   string                   `json:"session,omitempty"` // the egress end's id: one relay's life
	SDP       string                   `json:"sdp,omitempty"`
	Tracks    []sfu.RelayTrack         `json:"tracks,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	TrackID   string                   `json:"trackId,omitempty"`
	Active    []string                 `json:"active,omitempty"`
	Muted     bool                     `json:"muted,omitempty"`
	Data      *dataMessage             `json:"data,omitempty"`
	Changed   map[string]string        `json:"changed,omitempty"` // kindAttrs: Member.ID's changed attributes
	Quality   []sfu.QualityInfo        `json:"quality,omitempty"` // kindQuality
}
