// Package turnserver is Switchboard's embedded TURN server (RFC 8656, on
// pion/turn): the way in for clients whose networks let no media through to
// the SFU directly, such as a symmetric NAT or a firewall that blocks UDP.
//
// It serves UDP and TCP on one port, and TURN over TLS on the same TCP port
// when given a certificate. It accepts only the time-limited credentials of
// the TURN REST convention (draft-uberti-behave-turn-rest, coturn's
// use-auth-secret), which the signaling server mints for each participant,
// so no long-lived password ever reaches a browser. It relays only to the
// SFU's own media sockets (Peer): it is the way in to this SFU, never an
// open relay into the host's network or anywhere else.
package turnserver
