// Package clustermodel turns what a cluster benchmark measured into what a
// big room would cost: relay bandwidth and CPU per node, and Redis work per
// join and per second, for a full mesh of relays (today: every node sends
// each of its published tracks to every other node of the room) against a
// tree (a node relays a track on to at most K others). It is arithmetic on
// its inputs, nothing more: the figures are as good as the measurements
// and the assumptions stated with each.
package clustermodel

import (
	"errors"
	"fmt"
)

// ErrBadParams means the model cannot be computed from its inputs.
var ErrBadParams = errors.New("clustermodel: bad parameters")

// Params are the model's inputs.
type Params struct {
	Participants int // in the one room
	Nodes        int // that share it, participants spread evenly
	Publishers   int // of the participants; each publishes one stream (audio + video)
	// Stage puts every publisher on one node (a webinar's stage, as the
	// benchmark pins them); otherwise they are spread evenly.
	Stage bool
	// Fanout is how many nodes a node relays a stream on to in a tree; 0
	// or at least Nodes-1 is the full mesh.
	Fanout int

	StreamMbps float64 // one published stream as relayed, all its layers
	StreamPPS  float64 // its packets per second
	// Measured CPU time per relayed packet: sent by the node that has the
	// publisher (or relays on), and received by a node that forwards it to
	// its subscribers, each beyond what the same node spends without
	// relays (see Measure).
	RelaySendMicros float64
	RelayRecvMicros float64
	// One relay hop's added one-way latency.
	HopP50Ms, HopP99Ms float64

	MemberBytes int // one participant's entry in the room's Redis hash
}

// Result is what the model computes for one Params.
type Result struct {
	Params
	LocalParticipants float64 // per node
	Hops              int     // the most relay hops a packet takes
	// The busiest node's relays.
	RelayOutMbps  float64
	RelayInMbps   float64
	RelayOutPPS   float64
	RelayInPPS    float64
	RelayCPUCores float64 // RelayOutPPS·send + RelayInPPS·receive, in cores
	// The latency relays add to the farthest subscriber.
	AddedP50Ms, AddedP99Ms float64
	Redis                  Redis
}

// Redis is the Redis work of the room, as signaling/cluster does it today.
type Redis struct {
	// A join, on the joining node: PING (admission), HSET of the member,
	// PUBLISH of the join. Only a node's first participant of the room
	// also subscribes to the room and reads it whole (FillFieldsRead).
	JoinCommands      float64
	JoinFieldsRead    float64 // hash fields read by a join on a node already in the room
	JoinBytesRead     float64
	JoinPublishFanout int // nodes the PUBLISH is delivered to
	// Every heartbeat (1 s), every node: SET + SADD (registration),
	// SMEMBERS + MGET (registry, one key per node); every ResyncEvery
	// heartbeats, per room, one HSET of its local participants and an
	// HGETALL of the room (the safety net under the join and leave
	// messages).
	CommandsPerSecond   float64
	FieldsReadPerSecond float64 // HGETALL's and MGET's
	BytesReadPerSecond  float64
	// Filling the room from empty, participants spread round-robin: each
	// node's first join reads the room as it is then.
	FillFieldsRead float64
}

// Validate reports what makes p unusable.
func (p Params) Validate() error {
	switch {
	case p.Participants < 1 || p.Nodes < 1:
		return fmt.Errorf("%w: need participants and nodes", ErrBadParams)
	case p.Publishers < 0 || p.Publishers > p.Participants:
		return fmt.Errorf("%w: %d publishers of %d participants", ErrBadParams, p.Publishers, p.Participants)
	case p.Fanout < 0:
		return fmt.Errorf("%w: negative fan-out", ErrBadParams)
	case p.StreamMbps < 0 || p.StreamPPS < 0 || p.RelaySendMicros < 0 || p.RelayRecvMicros < 0 || p.MemberBytes < 0:
		return fmt.Errorf("%w: negative rate or cost", ErrBadParams)
	}
	return nil
}

// Mesh tells whether p is the full mesh.
func (p Params) Mesh() bool { return p.Fanout == 0 || p.Fanout >= p.Nodes-1 }

// Hops is the most relay hops from a stream's home node to the farthest
// node: 1 in a full mesh; in a tree of fan-out K, the depth d at which
// K + K² + … + K^d reaches the other nodes.
func Hops(nodes, fanout int) int {
	if nodes <= 1 {
		return 0
	}
	if fanout <= 0 || fanout >= nodes-1 {
		return 1
	}
	reached, level, d := 0, 1, 0
	for reached < nodes-1 {
		level *= fanout
		reached += level
		d++
	}
	return d
}

// Compute runs the model.
func Compute(p Params) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	m := float64(p.Nodes)
	pubs := float64(p.Publishers)
	r := Result{Params: p, LocalParticipants: float64(p.Participants) / m, Hops: Hops(p.Nodes, p.Fanout)}
	// Streams the busiest node sends and receives over relays. Every
	// other node receives every stream once, whatever the topology.
	var out, in float64
	fan := m - 1
	if !p.Mesh() {
		fan = float64(p.Fanout)
	}
	switch {
	case p.Nodes == 1:
	case p.Stage && p.Mesh():
		// The stage's node sends every stream to every other node.
		out, in = pubs*fan, 0
	case p.Stage:
		// The stage's node sends each stream to K nodes; an inner node of
		// the tree receives it and sends it to K more.
		out, in = pubs*fan, pubs
	default:
		// Spread: each node is home to P/M streams and receives the rest.
		// A mesh sends each home stream to the M−1 others; in a tree each
		// stream still makes M−1 transmissions in all, shared by the nodes
		// its tree passes through: a node sends P/M·(M−1) streams on
		// average, at most P/M·K of its own plus those it passes on, so
		// the mean is the figure (balanced trees).
		out, in = pubs/m*(m-1), pubs-pubs/m
	}
	r.RelayOutMbps, r.RelayInMbps = out*p.StreamMbps, in*p.StreamMbps
	r.RelayOutPPS, r.RelayInPPS = out*p.StreamPPS, in*p.StreamPPS
	r.RelayCPUCores = (r.RelayOutPPS*p.RelaySendMicros + r.RelayInPPS*p.RelayRecvMicros) / 1e6
	r.AddedP50Ms, r.AddedP99Ms = float64(r.Hops)*p.HopP50Ms, float64(r.Hops)*p.HopP99Ms
	r.Redis = redisWork(p)
	return r, nil
}

// ResyncEvery is signaling/cluster's resyncEvery: heartbeats between two
// full reads of a room.
const ResyncEvery = 10

// redisWork counts the Redis commands of signaling/cluster (rooms.go,
// registry.go) for one room of p.Participants over p.Nodes.
func redisWork(p Params) Redis {
	n, m := float64(p.Participants), float64(p.Nodes)
	b := float64(p.MemberBytes)
	var rd Redis
	rd.JoinCommands = 3 // PING, HSET, PUBLISH
	rd.JoinFieldsRead = 0
	rd.JoinBytesRead = 0
	rd.JoinPublishFanout = p.Nodes
	perNode := 2 + 2 + 2.0/ResyncEvery // SET, SADD, SMEMBERS, MGET; HSET + HGETALL per resync
	rd.CommandsPerSecond = m * perNode
	rd.FieldsReadPerSecond = m * (m + n/ResyncEvery)
	rd.BytesReadPerSecond = m * n * b / ResyncEvery // the MGET's registrations are few
	rd.FillFieldsRead = m * (m - 1) / 2             // node k's first join finds k others
	return rd
}
