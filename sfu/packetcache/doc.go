// Package packetcache keeps the most recent RTP packets of one stream (one
// simulcast layer) so that an SFU can answer NACKs (RFC 4585 §6.2.1) from
// memory and recognise packets it has already seen.
//
// One cache is shared by every subscriber of the stream: one goroutine (the
// stream's read loop) stores, any number of goroutines (the subscribers' RTCP
// handlers) read. Duplicate detection matters because Chromium's bandwidth
// probes re-send media packets with sequence numbers the SFU already received;
// forwarding them again would waste the subscribers' bandwidth.
//
// A cache holds a fixed number of packets (New) or, bounded by time
// (NewWindow), as many as its stream sent over a window, between two
// bounds: a 150 kbit/s layer and a 2 Mbit/s one then keep about the same
// span of time, not the same count of packets.
//
// The package imports nothing from Pion: it deals in sequence numbers and
// bytes only.
package packetcache
