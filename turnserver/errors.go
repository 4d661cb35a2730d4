package turnserver

import "errors"

// Errors New reports; callers test them with errors.Is.
var (
	ErrNoSecret   = errors.New("turnserver: a shared secret is required")
	ErrNoListener = errors.New("turnserver: nothing to listen on")
	ErrNoRelayIP  = errors.New("turnserver: no relay address")
	ErrNoPeers    = errors.New("turnserver: no peer to relay to")
	ErrBadPeer    = errors.New("turnserver: bad peer")
	// errNotPeer is what a relay socket reports for a packet to anything
	// but the SFU: it is dropped.
	errNotPeer = errors.New("turnserver: not a permitted peer")
	// errTCPRelay refuses TCP allocations (RFC 6062): browsers never ask
	// for them, and the SFU takes media over UDP from the relay.
	errTCPRelay = errors.New("turnserver: TCP relaying is not offered")
)
