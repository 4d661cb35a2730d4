package load

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
)

// ServerSnapshot is what one scrape of the server's metrics said. Counters
// are cumulative since the server started.
type ServerSnapshot struct {
	At             time.Duration `json:"-"` // since the run started
	CPUSeconds     float64       `json:"cpuSeconds"`
	RSSBytes       float64       `json:"rssBytes"`
	HeapInuseBytes float64       `json:"heapInuseBytes"`
	HeapLiveBytes  float64       `json:"heapLiveBytes"` // after the last GC
	HeapAllocBytes float64       `json:"heapAllocBytes"`
	Goroutines     float64       `json:"goroutines"`
	OpenFDs        float64       `json:"openFds"`
	Participants   float64       `json:"participants"`
	Tracks         float64       `json:"tracks"`
	PacketsIn      float64       `json:"packetsIn"`
	PacketsOut     float64       `json:"packetsOut"`
	BytesOut       float64       `json:"bytesOut"`
	NACKsReceived  float64       `json:"nacksReceived"`
	Retransmitted  float64       `json:"packetsRetransmitted"`
	PLIsReceived   float64       `json:"plisReceived"`
	// A cluster node's relays to and from other nodes (zero on a single
	// server). PacketsOut counts relayed packets too: a relay is one more
	// subscriber to the SFU; PacketsIn counts the relayed-in ones.
	RelayPacketsIn     float64 `json:"relayPacketsIn,omitempty"`
	RelayBytesIn       float64 `json:"relayBytesIn,omitempty"`
	RelayPacketsOut    float64 `json:"relayPacketsOut,omitempty"`
	RelayBytesOut      float64 `json:"relayBytesOut,omitempty"`
	RelayNACKsReceived float64 `json:"relayNacksReceived,omitempty"`
	RelayStreamsIn     float64 `json:"relayStreamsIn,omitempty"`
	RelayStreamsOut    float64 `json:"relayStreamsOut,omitempty"`
	ClusterNodes       float64 `json:"clusterNodes,omitempty"`
}

// serverSeries maps the snapshot's fields to the series names of
// Switchboard's /metrics and of Prometheus's process and Go collectors.
func serverSeries(s *ServerSnapshot) map[string]*float64 {
	return map[string]*float64{
		"process_cpu_seconds_total":               &s.CPUSeconds,
		"process_resident_memory_bytes":           &s.RSSBytes,
		"go_memstats_heap_inuse_bytes":            &s.HeapInuseBytes,
		"go_gc_heap_live_bytes":                   &s.HeapLiveBytes,
		"go_memstats_heap_alloc_bytes":            &s.HeapAllocBytes,
		"go_goroutines":                           &s.Goroutines,
		"process_open_fds":                        &s.OpenFDs,
		"switchboard_participants":                &s.Participants,
		"switchboard_tracks":                      &s.Tracks,
		"switchboard_packets_in_total":            &s.PacketsIn,
		"switchboard_packets_out_total":           &s.PacketsOut,
		"switchboard_bytes_out_total":             &s.BytesOut,
		"switchboard_nacks_received_total":        &s.NACKsReceived,
		"switchboard_packets_retransmitted_total": &s.Retransmitted,
		"switchboard_plis_received_total":         &s.PLIsReceived,
		"switchboard_relay_packets_in_total":      &s.RelayPacketsIn,
		"switchboard_relay_bytes_in_total":        &s.RelayBytesIn,
		"switchboard_relay_packets_out_total":     &s.RelayPacketsOut,
		"switchboard_relay_bytes_out_total":       &s.RelayBytesOut,
		"switchboard_relay_nacks_received_total":  &s.RelayNACKsReceived,
		"switchboard_relay_streams_in":            &s.RelayStreamsIn,
		"switchboard_relay_streams_out":           &s.RelayStreamsOut,
		"switchboard_cluster_nodes":               &s.ClusterNodes,
	}
}

// snapshotOf reads a scraped page; series it lacks stay zero.
func snapshotOf(v scrape.Values, at time.Duration) *ServerSnapshot {
	s := &ServerSnapshot{At: at}
	for name, field := range serverSeries(s) {
		*field, _ = v.Get(name)
	}
	return s
}

// sumSnapshots is the nodes of a cluster as one server: every figure
// added up, but for the node count, which they share. Nil if any is nil: a
// node that did not answer would make a sum that dips.
func sumSnapshots(nodes []*ServerSnapshot) *ServerSnapshot {
	if len(nodes) == 0 || slices.Contains(nodes, nil) {
		return nil
	}
	sum := &ServerSnapshot{At: nodes[0].At}
	to := serverSeries(sum)
	for _, n := range nodes {
		for name, v := range serverSeries(n) {
			if name == "switchboard_cluster_nodes" {
				*to[name] = max(*to[name], *v)
				continue
			}
			*to[name] += *v
		}
	}
	return sum
}

// scrapeServer fetches every node's metrics: their sum (the one server's
// snapshot, without a cluster) and, for a cluster, each node's, in the
// order of the metrics URLs. Nil, nil without metrics. A node that did not
// answer is nil in nodes, and makes err and the sum nil.
func (r *runner) scrapeServer(ctx context.Context, at time.Duration) (*ServerSnapshot, []*ServerSnapshot, error) {
	urls := r.opts.metricsURLs
	if len(urls) == 0 {
		return nil, nil, nil
	}
	nodes := make([]*ServerSnapshot, len(urls))
	var errs []error
	for i, u := range urls {
		v, err := scrape.Fetch(ctx, r.opts.httpClient, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nodes[i] = snapshotOf(v, at)
	}
	if len(urls) == 1 {
		return nodes[0], nil, errors.Join(errs...)
	}
	return sumSnapshots(nodes), nodes, errors.Join(errs...)
}
