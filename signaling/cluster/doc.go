// Package cluster lets several Switchboard nodes share rooms through Redis:
// any node takes any participant, and a room spans the nodes its
// participants are on.
//
// Redis is the only shared state, and every key expires or is rebuilt, so
// a node that dies vanishes by itself and a Redis that restarts empty is
// filled again within seconds (keys under the configured prefix, default
// "switchboard:"):
//
//	node:{id}       the node's registration (id, advertised URL, load),
//	                refreshed every heartbeat, gone TTL after the last one
//	room:{name}     hash: participant id → {id, name, node}; each node
//	                writes its own at join and again at every full read of
//	                the room (every 10 heartbeats, or at once after Redis
//	                was away or lost its data)
//	room:{name}     pub/sub channel: joins and leaves, as they happen
//	inbox:{id}      pub/sub channel: messages to one node (relay
//	                negotiation, layers wanted, mutes)
//
// Every message between nodes is signed with the cluster secret
// (HMAC-SHA256) and taken only from a node in the registry.
//
// A participant's PeerConnection stays on the node it connected to. Media
// crosses between two nodes that share rooms over one relay (package sfu's
// RelayEgress and RelayIngress ends, a PeerConnection each way) carrying
// every room they share, negotiated through the nodes' inboxes: each track
// crosses once per node, however many subscribers are there.
package cluster
