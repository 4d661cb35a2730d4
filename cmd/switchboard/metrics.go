package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-rtc/switchboard/metrics"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// routeMetrics serves the SFU's counters and the process's CPU and memory at
// /metrics, in the Prometheus text format.
func routeMetrics(mux *http.ServeMux, s *sfu.SFU, extra ...prometheus.Collector) error {
	h, err := metrics.Handler(s, extra...)
	if err != nil {
		return err
	}
	mux.Handle("GET /metrics", h)
	return nil
}
