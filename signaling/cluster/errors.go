package cluster

import "errors"

// Errors of the cluster; callers test them with errors.Is.
var (
	// ErrUnavailable: the shared state (Redis) cannot be reached now.
	ErrUnavailable = errors.New("cluster: shared state unavailable")
	// ErrBadSignature: a message between nodes was not signed with the
	// cluster secret.
	ErrBadSignature = errors.New("cluster: bad message signature")
	// ErrUnknownNode: a message came from a node not in the registry.
	ErrUnknownNode = errors.New("cluster: unknown node")
	// ErrNoSecret: a cluster needs a secret to authenticate its nodes.
	ErrNoSecret = errors.New("cluster: no cluster secret")
)
