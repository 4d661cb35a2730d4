package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestSamplerScrapesServer: at every interval the sampler scrapes the
// server's page into the sample's snapshot: process and Go runtime series
// (RSS, heap, goroutines, open files, CPU) and Switchboard's counters.
func TestSamplerScrapesServer(t *testing.T) {
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		fmt.Fprintf(w, "# HELP process_open_fds Number of open file descriptors.\n"+
			"process_open_fds %d\nprocess_cpu_seconds_total %d.5\nprocess_resident_memory_bytes 5e+07\n"+
			"go_memstats_heap_inuse_bytes 2.5e+07\ngo_memstats_heap_alloc_bytes 2e+07\ngo_gc_heap_live_bytes 1.5e+07\n"+
			"go_goroutines %d\nswitchboard_packets_out_total %d\n", 10+n, n, 100+n, 1000*n)
	}))
	t.Cleanup(srv.Close)
	o := defaultOptions()
	WithMetrics(srv.URL)(&o)
	WithSampleInterval(20 * time.Millisecond)(&o)
	r := &runner{opts: o, start: time.Now()}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	samples, _ := r.sampleUntil(ctx)
	if len(samples) < 3 {
		t.Fatalf("%d samples in 300 ms at 20 ms", len(samples))
	}
	for i, s := range samples {
		sv := s.Server
		if sv == nil {
			t.Fatalf("sample %d has no server snapshot", i)
		}
		// Each scrape is one more: the series move together.
		n := sv.CPUSeconds - 0.5
		if sv.OpenFDs != 10+n || sv.Goroutines != 100+n || sv.PacketsOut != 1000*n {
			t.Errorf("sample %d: fds %v goroutines %v packets %v, want scrape %v's", i, sv.OpenFDs, sv.Goroutines, sv.PacketsOut, n)
		}
		if sv.RSSBytes != 5e7 || sv.HeapInuseBytes != 2.5e7 || sv.HeapAllocBytes != 2e7 || sv.HeapLiveBytes != 1.5e7 {
			t.Errorf("sample %d: memory %+v", i, sv)
		}
		if i > 0 && s.At <= samples[i-1].At {
			t.Errorf("sample %d at %s, not after %s", i, s.At, samples[i-1].At)
		}
	}
}
