package sfu

import "sync/atomic"

// Stats is a snapshot of the SFU's counters.
type Stats struct {
	Rooms             int
	Participants      int
	Tracks            int
	PacketsIn         uint64
	BytesIn           uint64
	PacketsOut        uint64
	BytesOut          uint64
	DuplicatesDropped uint64
	// IngressDropped counts packets of publishers past their ingress cap
	// (WithIngressCap), dropped before any subscriber got them.
	IngressDropped uint64
	// SequenceJumpsDropped counts incoming RTP packets dropped for a
	// sequence number far ahead of their stream's (seqguard.go).
	SequenceJumpsDropped uint64
	NACKsReceived        uint64
	PacketsRetransmitted uint64
	// RetransmitsSkipped counts NACKed packets not resent: resent too
	// recently or too often already (package resend).
	RetransmitsSkipped   uint64
	PLIsReceived         uint64
	KeyframeRequestsSent uint64
	LayerSwitches        uint64
	PaddingPackets       uint64
	EstimateChanges      uint64
	// On the shared UDP port with batched sends (WithSendBatching): the
	// sendmmsg calls made and the datagrams they carried.
	SendCalls     uint64
	SendDatagrams uint64
	// DirectSRTPPackets are the packets the SFU encrypted and queued on
	// the shared socket itself (WithDirectSRTP).
	DirectSRTPPackets uint64
	// Relays between nodes (relay.go): streams (one per layer of a track)
	// received from and sent to other nodes now, and what crossed.
	RelayStreamsIn  int
	RelayStreamsOut int
	RelayPacketsIn  uint64
	RelayBytesIn    uint64
	RelayPacketsOut uint64
	RelayBytesOut   uint64
	RelayNACKsIn    uint64 // NACKs other nodes sent for what they lost on a relay
	// Panics recovered on a participant's or session's path, each of which
	// ended that participant alone.
	Panics uint64
	// CacheStarts counts video subscribers started (or switched layer) on
	// the cached packets since a keyframe, with no keyframe asked for.
	CacheStarts uint64
}

// counters are updated on the packet path, so they are plain atomics.
type counters struct {
	packetsIn            atomic.Uint64
	bytesIn              atomic.Uint64
	packetsOut           atomic.Uint64
	bytesOut             atomic.Uint64
	duplicatesDropped    atomic.Uint64
	ingressDropped       atomic.Uint64
	seqJumpsDropped      atomic.Uint64 // seqguard.go
	nacksReceived        atomic.Uint64
	packetsRetransmitted atomic.Uint64
	retransmitsSkipped   atomic.Uint64
	plisReceived         atomic.Uint64
	keyframeRequestsSent atomic.Uint64
	layerSwitches        atomic.Uint64
	paddingPackets       atomic.Uint64
	estimateChanges      atomic.Uint64
	relayPacketsIn       atomic.Uint64
	relayBytesIn         atomic.Uint64
	relayPacketsOut      atomic.Uint64
	relayBytesOut        atomic.Uint64
	relayNACKsIn         atomic.Uint64
	panics               atomic.Uint64
	cacheStarts          atomic.Uint64
	directSRTP           atomic.Uint64 // directsrtp.go
}

func (c *counters) snapshot() Stats {
	return Stats{
		PacketsIn:            c.packetsIn.Load(),
		BytesIn:              c.bytesIn.Load(),
		PacketsOut:           c.packetsOut.Load(),
		BytesOut:             c.bytesOut.Load(),
		DuplicatesDropped:    c.duplicatesDropped.Load(),
		IngressDropped:       c.ingressDropped.Load(),
		SequenceJumpsDropped: c.seqJumpsDropped.Load(),
		NACKsReceived:        c.nacksReceived.Load(),
		PacketsRetransmitted: c.packetsRetransmitted.Load(),
		RetransmitsSkipped:   c.retransmitsSkipped.Load(),
		PLIsReceived:         c.plisReceived.Load(),
		KeyframeRequestsSent: c.keyframeRequestsSent.Load(),
		LayerSwitches:        c.layerSwitches.Load(),
		PaddingPackets:       c.paddingPackets.Load(),
		DirectSRTPPackets:    c.directSRTP.Load(),
		EstimateChanges:      c.estimateChanges.Load(),
		RelayPacketsIn:       c.relayPacketsIn.Load(),
		RelayBytesIn:         c.relayBytesIn.Load(),
		RelayPacketsOut:      c.relayPacketsOut.Load(),
		RelayBytesOut:        c.relayBytesOut.Load(),
		RelayNACKsIn:         c.relayNACKsIn.Load(),
		Panics:               c.panics.Load(),
		CacheStarts:          c.cacheStarts.Load(),
	}
}
