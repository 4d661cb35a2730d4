// Package metrics exposes a Switchboard server's counters in the Prometheus
// format. The collector reads the SFU's own atomic counters when a scrape
// comes, so the packet path pays nothing for being measured.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// Source is what the collector reads: *sfu.SFU.
type Source interface {
	Stats() sfu.Stats
}

// metric is one series derived from a stats snapshot.
type metric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(sfu.Stats) float64
}

func gauge(name, help string, v func(sfu.Stats) float64) metric {
	return metric{prometheus.NewDesc("switchboard_"+name, help, nil, nil), prometheus.GaugeValue, v}
}

func counter(name, help string, v func(sfu.Stats) float64) metric {
	return metric{prometheus.NewDesc("switchboard_"+name+"_total", help, nil, nil), prometheus.CounterValue, v}
}

// metricsOf lists every series, in the order they are exposed.
func metricsOf() []metric {
	return []metric{
		gauge("rooms", "Rooms with at least one participant.", func(s sfu.Stats) float64 { return float64(s.Rooms) }),
		gauge("participants", "Participants in all rooms.", func(s sfu.Stats) float64 { return float64(s.Participants) }),
		gauge("tracks", "Published tracks in all rooms.", func(s sfu.Stats) float64 { return float64(s.Tracks) }),
		counter("packets_in", "RTP packets received from publishers.", func(s sfu.Stats) float64 { return float64(s.PacketsIn) }),
		counter("bytes_in", "RTP bytes received from publishers.", func(s sfu.Stats) float64 { return float64(s.BytesIn) }),
		counter("packets_out", "RTP packets forwarded to subscribers, retransmissions excluded.", func(s sfu.Stats) float64 { return float64(s.PacketsOut) }),
		counter("bytes_out", "RTP bytes forwarded to subscribers, retransmissions excluded.", func(s sfu.Stats) float64 { return float64(s.BytesOut) }),
		counter("duplicates_dropped", "Packets received twice from a publisher and dropped.", func(s sfu.Stats) float64 { return float64(s.DuplicatesDropped) }),
		counter("ingress_dropped", "Packets of publishers past their ingress cap, dropped.", func(s sfu.Stats) float64 { return float64(s.IngressDropped) }),
		counter("sequence_jumps_dropped", "Incoming RTP packets dropped for a sequence number far ahead of their stream's.", func(s sfu.Stats) float64 { return float64(s.SequenceJumpsDropped) }),
		counter("nacks_received", "NACK messages received from subscribers.", func(s sfu.Stats) float64 { return float64(s.NACKsReceived) }),
		counter("packets_retransmitted", "Packets resent from the packet cache in answer to NACKs.", func(s sfu.Stats) float64 { return float64(s.PacketsRetransmitted) }),
		counter("retransmits_skipped", "NACKed packets not resent: resent less than 100 ms before, or three times already.", func(s sfu.Stats) float64 { return float64(s.RetransmitsSkipped) }),
		counter("plis_received", "Keyframe requests (PLI, FIR) received from subscribers.", func(s sfu.Stats) float64 { return float64(s.PLIsReceived) }),
		counter("keyframe_requests_sent", "Keyframe requests (PLI) sent to publishers, after throttling.", func(s sfu.Stats) float64 { return float64(s.KeyframeRequestsSent) }),
		counter("layer_switches", "Simulcast layer switches made for subscribers.", func(s sfu.Stats) float64 { return float64(s.LayerSwitches) }),
		counter("padding_packets", "Padding packets sent to probe subscribers' bandwidth.", func(s sfu.Stats) float64 { return float64(s.PaddingPackets) }),
		counter("send_calls", "sendmmsg system calls on the shared UDP port (batched sends).", func(s sfu.Stats) float64 { return float64(s.SendCalls) }),
		counter("send_datagrams", "Datagrams sent by those sendmmsg calls.", func(s sfu.Stats) float64 { return float64(s.SendDatagrams) }),
		counter("direct_srtp_packets", "RTP packets the SFU encrypted and queued on the shared UDP port itself (--direct-srtp).", func(s sfu.Stats) float64 { return float64(s.DirectSRTPPackets) }),
		gauge("relay_streams_in", "Streams (one per layer of a track) relayed in from other nodes now.", func(s sfu.Stats) float64 { return float64(s.RelayStreamsIn) }),
		gauge("relay_streams_out", "Streams (one per layer of a track) relayed out to other nodes now.", func(s sfu.Stats) float64 { return float64(s.RelayStreamsOut) }),
		counter("relay_packets_in", "RTP packets received from other nodes' relays.", func(s sfu.Stats) float64 { return float64(s.RelayPacketsIn) }),
		counter("relay_bytes_in", "RTP bytes received from other nodes' relays.", func(s sfu.Stats) float64 { return float64(s.RelayBytesIn) }),
		counter("relay_packets_out", "RTP packets sent to other nodes over relays, retransmissions excluded.", func(s sfu.Stats) float64 { return float64(s.RelayPacketsOut) }),
		counter("relay_bytes_out", "RTP bytes sent to other nodes over relays, retransmissions excluded.", func(s sfu.Stats) float64 { return float64(s.RelayBytesOut) }),
		counter("relay_nacks_received", "NACKs other nodes sent for packets their relays lost.", func(s sfu.Stats) float64 { return float64(s.RelayNACKsIn) }),
		counter("cache_starts", "Video subscribers started, or switched layer, on the cached packets since a keyframe, with no keyframe asked for.", func(s sfu.Stats) float64 { return float64(s.CacheStarts) }),
		counter("panics", "Panics recovered on a participant's path; each ended that participant alone.", func(s sfu.Stats) float64 { return float64(s.Panics) }),
		counter("estimate_changes", "Changes of subscribers' bandwidth estimates that reached the layer allocator.", func(s sfu.Stats) float64 { return float64(s.EstimateChanges) }),
	}
}

// Collector is a prometheus.Collector over an SFU's stats.
type Collector struct {
	src     Source
	metrics []metric
}

// NewCollector returns a collector that reads src at every scrape.
func NewCollector(src Source) *Collector {
	return &Collector{src: src, metrics: metricsOf()}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector: one snapshot per scrape, so the
// series of one scrape agree with each other.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.value(st))
	}
}
