package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
	"github.com/switchboard-rtc/switchboard/sfu"
)

type fixedStats sfu.Stats

func (f fixedStats) Stats() sfu.Stats { return sfu.Stats(f) }

func TestCollectorExposesEveryCounter(t *testing.T) {
	src := fixedStats{
		Rooms: 1, Participants: 2, Tracks: 3, PacketsIn: 4, BytesIn: 5, PacketsOut: 6, BytesOut: 7,
		DuplicatesDropped: 8, NACKsReceived: 9, PacketsRetransmitted: 10, PLIsReceived: 11, KeyframeRequestsSent: 12,
		LayerSwitches: 13, PaddingPackets: 14, EstimateChanges: 15, SendCalls: 16, SendDatagrams: 17,
		RetransmitsSkipped: 18,
	}
	h, err := Handler(src)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got, err := scrape.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want float64
	}{
		{"switchboard_rooms", 1},
		{"switchboard_participants", 2},
		{"switchboard_tracks", 3},
		{"switchboard_packets_in_total", 4},
		{"switchboard_bytes_in_total", 5},
		{"switchboard_packets_out_total", 6},
		{"switchboard_bytes_out_total", 7},
		{"switchboard_duplicates_dropped_total", 8},
		{"switchboard_nacks_received_total", 9},
		{"switchboard_packets_retransmitted_total", 10},
		{"switchboard_plis_received_total", 11},
		{"switchboard_keyframe_requests_sent_total", 12},
		{"switchboard_layer_switches_total", 13},
		{"switchboard_padding_packets_total", 14},
		{"switchboard_estimate_changes_total", 15},
		{"switchboard_send_calls_total", 16},
		{"switchboard_send_datagrams_total", 17},
		{"switchboard_retransmits_skipped_total", 18},
	}
	for _, tt := range tests {
		if v, ok := got.Get(tt.name); !ok || v != tt.want {
			t.Errorf("%s = %v (present: %v), want %v", tt.name, v, ok, tt.want)
		}
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines", "go_gc_heap_live_bytes"} {
		if _, ok := got.Get(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestCollectorLints(t *testing.T) {
	problems, err := testutil.CollectAndLint(NewCollector(fixedStats{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
