package cluster

import (
	"sync/atomic"

	"github.com/switchboard-rtc/switchboard/internal/statstable"
)

// StatsOf is the table of a node's cluster figures, each declared once as
// the SFU's are (sfu.StatsOf, internal/statstable): its field, of type C if
// it is a counter and G if a gauge, tagged with its Prometheus series and
// help text. Stats is the snapshot Node.Stats returns and /metrics
// exposes (metrics.NewCollector); the node updates the live atomics.
type StatsOf[C, G any] struct {
	Nodes            G `metric:"switchboard_cluster_nodes" help:"Nodes in the cluster's registry at its last read, this one too."`
	RelayEnds        G `metric:"switchboard_cluster_relay_ends" help:"Relay ends (egress and ingress) this node has with other nodes."`
	MessagesRejected C `metric:"switchboard_cluster_messages_rejected_total" help:"Messages from other nodes refused: a bad signature, a sender not in the registry, or a body that does not parse."`
}

// Stats is a snapshot of a node's cluster figures.
type Stats = StatsOf[uint64, int]

// liveStats are the node's figures as it updates them.
type liveStats = StatsOf[atomic.Uint64, atomic.Int64]

// Stats returns a snapshot of the node's cluster figures: Nodes is how
// many nodes (this one too) the registry held at its last read, RelayEnds
// how many relay ends (egress and ingress) it has, MessagesRejected the
// messages from other nodes it refused.
func (n *Node) Stats() Stats {
	return statstable.Snapshot[Stats](&n.stats)
}
