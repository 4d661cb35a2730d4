package signaling

import "context"

// Cluster is what the signaling asks of the other nodes of a cluster
// (package signaling/cluster's Node); a single node has none.
type Cluster interface {
	// Admit tells whether a client may join now: nil, or why not.
	Admit(ctx context.Context) error
	// Joined and Left record this node's participants for the others.
	Joined(room, participantID, name, identity string)
	Left(room, participantID string)
	// Elsewhere names another node that can take one more participant
	// (its base URL): where a full or draining node sends a client.
	Elsewhere() (url string, ok bool)
	// SetDraining stops the other nodes sending clients here.
	SetDraining()
}

// WithCluster makes the handler's node one of a cluster: joins are
// recorded for the other nodes, and refused (unavailable) while the
// cluster's shared state cannot be reached.
func WithCluster(c Cluster) Option { return func(cfg *config) { cfg.cluster = c } }
