package sfu

import "sync/atomic"

// StatsOf is the table of the SFU's node-wide figures, each declared once:
// its field, of type C if it is a counter and G if a gauge, tagged with its
// Prometheus series and help text. Stats (StatsOf[uint64, int]) is the
// snapshot callers read; counters (StatsOf[atomic.Uint64, computed]) the
// live counters of the packet path, lock-free and without allocation;
// /metrics (package metrics) and the tests derive their series and rows
// from it (internal/statstable). Adding a figure is one line here, and its
// increment: s.stats.Field.Add(n).
//
// The series' names are what dashboards read: keep them.
type StatsOf[C, G any] struct {
	// Figures computed at snapshot time from the rooms.
	Rooms        G `metric:"switchboard_rooms" help:"Rooms with at least one participant."`
	Participants G `metric:"switchboard_participants" help:"Participants in all rooms."`
	Tracks       G `metric:"switchboard_tracks" help:"Published tracks in all rooms."`

	PacketsIn         C `metric:"switchboard_packets_in_total" help:"RTP packets received from publishers."`
	BytesIn           C `metric:"switchboard_bytes_in_total" help:"RTP bytes received from publishers."`
	PacketsOut        C `metric:"switchboard_packets_out_total" help:"RTP packets forwarded to subscribers, retransmissions excluded."`
	BytesOut          C `metric:"switchboard_bytes_out_total" help:"RTP bytes forwarded to subscribers, retransmissions excluded."`
	DuplicatesDropped C `metric:"switchboard_duplicates_dropped_total" help:"Packets received twice from a publisher and dropped."`
	// Packets of publishers past their ingress cap (WithIngressCap),
	// dropped before any subscriber got them.
	IngressDropped C `metric:"switchboard_ingress_dropped_total" help:"Packets of publishers past their ingress cap, dropped."`
	// Incoming RTP packets far ahead of their stream's newest (seqguard.go).
	SequenceJumpsDropped C `metric:"switchboard_sequence_jumps_dropped_total" help:"Incoming RTP packets dropped for a sequence number more than 3000 ahead of their stream's newest."`
	// Incoming RTP packets under an SSRC past its connection's cap of
	// distinct SSRCs (ssrccap.go), dropped before Pion opens streams for it.
	SSRCCapDropped       C `metric:"switchboard_ssrc_cap_dropped_total" help:"Incoming RTP packets dropped for an SSRC past their connection's cap of distinct SSRCs (a publisher's tracks x 3 layers x media and RTX, twice, + 16)."`
	NACKsReceived        C `metric:"switchboard_nacks_received_total" help:"NACK messages received from subscribers."`
	PacketsRetransmitted C `metric:"switchboard_packets_retransmitted_total" help:"Packets resent from the packet cache in answer to NACKs."`
	// NACKed packets not resent: resent too recently or too often already
	// (package resend).
	RetransmitsSkipped   C `metric:"switchboard_retransmits_skipped_total" help:"NACKed packets not resent: resent less than 100 ms before, three times already, past the subscriber's retransmission budget (a quarter of its estimate), or no longer held (padding, or sent before a layer switch)."`
	PLIsReceived         C `metric:"switchboard_plis_received_total" help:"Keyframe requests (PLI, FIR) received from subscribers."`
	KeyframeRequestsSent C `metric:"switchboard_keyframe_requests_sent_total" help:"Keyframe requests (PLI) sent to publishers, after throttling."`
	LayerSwitches        C `metric:"switchboard_layer_switches_total" help:"Simulcast layer switches made for subscribers."`
	// Switches down that left the layer forwarded at once, not at the new
	// layer's keyframe: the estimate could not carry it (downtrack_leave.go).
	LayersLeftAtOnce C `metric:"switchboard_layers_left_at_once_total" help:"Switches down that stopped the layer forwarded at once, not at the next keyframe of the lower one, because the subscriber's estimate could not carry it even at its lowest frame rate."`
	PaddingPackets   C `metric:"switchboard_padding_packets_total" help:"Padding packets sent to probe subscribers' bandwidth."`
	// On the shared UDP port with batched sends (WithSendBatching): the
	// sendmmsg calls made and the datagrams they carried, which each
	// socket counts (udpbatch.Conn.Sent) and Stats adds up.
	SendCalls     C `metric:"switchboard_send_calls_total" help:"sendmmsg system calls on the shared UDP port (batched sends)."`
	SendDatagrams C `metric:"switchboard_send_datagrams_total" help:"Datagrams sent by those sendmmsg calls."`
	// Packets the SFU encrypted and sent itself (WithDirectSRTP).
	DirectSRTPPackets C `metric:"switchboard_direct_srtp_packets_total" help:"RTP packets the SFU encrypted and sent itself, on the shared UDP port or an ICE-TCP connection (--direct-srtp)."`
	// Packets of streams sent directly that found no path: ICE's selected
	// pair was on no shared socket (directsrtp_pc.go). Such a stream cannot
	// go back to Pion's SRTP path, whose rollover counter did not follow.
	DirectSRTPPaused C `metric:"switchboard_direct_srtp_paused_total" help:"RTP packets of streams sent directly (--direct-srtp) dropped while ICE's selected pair was on no shared socket."`
	// Publishers' packets the SFU decrypted itself in the shared socket's
	// read loop (directsrtp_recv.go), past Pion's receive goroutines.
	DirectSRTPReceived C `metric:"switchboard_direct_srtp_received_total" help:"RTP packets of publishers the SFU decrypted itself in the shared UDP socket's read loop, past Pion's receive path (--direct-srtp)."`
	// Of those, the packets a layer's queue had no room for: its direct
	// loop was blocked, as a full socket buffer drops (layer_in.go).
	DirectSRTPDropped C `metric:"switchboard_direct_srtp_dropped_total" help:"RTP packets received directly (--direct-srtp) dropped because their layer's queue was full."`
	// Subscribers' and publishers' compound RTCP packets the SFU decrypted
	// itself in the shared socket's read loop and handled there
	// (directsrtp_rtcp.go), past Pion's receive goroutines.
	DirectSRTCPReceived C `metric:"switchboard_direct_srtcp_received_total" help:"Compound RTCP packets the SFU decrypted and handled itself in the shared UDP socket's read loop, past Pion's receive path (--direct-srtp)."`

	// Relays between nodes (relay.go): streams (one per layer of a track)
	// received from and sent to other nodes now, and what crossed.
	RelayStreamsIn  G `metric:"switchboard_relay_streams_in" help:"Streams (one per layer of a track) relayed in from other nodes now."`
	RelayStreamsOut G `metric:"switchboard_relay_streams_out" help:"Streams (one per layer of a track) relayed out to other nodes now."`
	RelayPacketsIn  C `metric:"switchboard_relay_packets_in_total" help:"RTP packets received from other nodes' relays."`
	RelayBytesIn    C `metric:"switchboard_relay_bytes_in_total" help:"RTP bytes received from other nodes' relays."`
	RelayPacketsOut C `metric:"switchboard_relay_packets_out_total" help:"RTP packets sent to other nodes over relays, retransmissions excluded."`
	RelayBytesOut   C `metric:"switchboard_relay_bytes_out_total" help:"RTP bytes sent to other nodes over relays, retransmissions excluded."`
	// NACKs other nodes sent for what they lost on a relay.
	RelayNACKsIn C `metric:"switchboard_relay_nacks_received_total" help:"NACKs other nodes sent for packets their relays lost."`

	// Video subscribers started (or switched layer) on the cached packets
	// since a keyframe, with no keyframe asked for.
	CacheStarts C `metric:"switchboard_cache_starts_total" help:"Video subscribers started, or switched layer, on the cached packets since a keyframe, with no keyframe asked for."`
	// Panics recovered on a participant's or session's path, each of which
	// ended that participant alone.
	Panics          C `metric:"switchboard_panics_total" help:"Panics recovered on a participant's path; each ended that participant alone."`
	EstimateChanges C `metric:"switchboard_estimate_changes_total" help:"Changes of subscribers' bandwidth estimates that reached the layer allocator."`
}

// Stats is a snapshot of the SFU's figures.
type Stats = StatsOf[uint64, int]

// counters are the live figures, updated on the packet path: plain atomics,
// one add each, no lock.
type counters = StatsOf[atomic.Uint64, computed]

// computed stands for a gauge in the live counters: gauges are computed
// when a snapshot is taken (SFU.Stats), not counted.
type computed struct{}
