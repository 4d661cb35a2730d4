package load

import (
	"context"
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
	Goroutines     float64       `json:"goroutines"`
	Participants   float64       `json:"participants"`
	Tracks         float64       `json:"tracks"`
	PacketsIn      float64       `json:"packetsIn"`
	PacketsOut     float64       `json:"packetsOut"`
	BytesOut       float64       `json:"bytesOut"`
	NACKsReceived  float64       `json:"nacksReceived"`
	Retransmitted  float64       `json:"packetsRetransmitted"`
	PLIsReceived   float64       `json:"plisReceived"`
}

// serverSeries maps the snapshot's fields to the series names of
// Switchboard's /metrics and of Prometheus's process and Go collectors.
func serverSeries(s *ServerSnapshot) map[string]*float64 {
	return map[string]*float64{
		"process_cpu_seconds_total":               &s.CPUSeconds,
		"process_resident_memory_bytes":           &s.RSSBytes,
		"go_memstats_heap_inuse_bytes":            &s.HeapInuseBytes,
		"go_gc_heap_live_bytes":                   &s.HeapLiveBytes,
		"go_goroutines":                           &s.Goroutines,
		"switchboard_participants":                &s.Participants,
		"switchboard_tracks":                      &s.Tracks,
		"switchboard_packets_in_total":            &s.PacketsIn,
		"switchboard_packets_out_total":           &s.PacketsOut,
		"switchboard_bytes_out_total":             &s.BytesOut,
		"switchboard_nacks_received_total":        &s.NACKsReceived,
		"switchboard_packets_retransmitted_total": &s.Retransmitted,
		"switchboard_plis_received_total":         &s.PLIsReceived,
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

// scrapeServer fetches the metrics, nil without a metrics URL.
func (r *runner) scrapeServer(ctx context.Context, at time.Duration) (*ServerSnapshot, error) {
	if r.opts.metricsURL == "" {
		return nil, nil
	}
	v, err := scrape.Fetch(ctx, r.opts.httpClient, r.opts.metricsURL)
	if err != nil {
		return nil, err
	}
	return snapshotOf(v, at), nil
}
