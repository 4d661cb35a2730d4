package metrics

import (
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry of the SFU's series, the process's CPU,
// memory and file descriptors, and the Go runtime's. It is a registry of its
// own, not Prometheus's global one, so two servers in one process (tests)
// do not collide.
// extra are more collectors of the server's, e.g. its cluster's.
func NewRegistry(src Source, extra ...prometheus.Collector) (*prometheus.Registry, error) {
	own, err := NewCollector(src.Stats)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	for _, c := range append([]prometheus.Collector{
		own,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// The default Go series, plus the live heap after the last GC:
		// the figure that says what the server keeps per track, without
		// the garbage that go_memstats_heap_inuse_bytes counts too.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)},
		)),
	}, extra...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Handler serves /metrics for src in the Prometheus text format.
func Handler(src Source, extra ...prometheus.Collector) (http.Handler, error) {
	reg, err := NewRegistry(src, extra...)
	if err != nil {
		return nil, err
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}
