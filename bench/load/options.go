package load

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// Option configures Run.
type Option func(*options)

type options struct {
	logger        *slog.Logger
	progress      func(Sample)
	metricsURLs   []string
	httpClient    *http.Client
	interval      time.Duration
	closeTimeout  time.Duration
	clientOptions []bench.Option
}

func defaultOptions() options {
	return options{
		logger:       slog.New(slog.DiscardHandler),
		httpClient:   &http.Client{Timeout: 2 * time.Second},
		interval:     time.Second,
		closeTimeout: 15 * time.Second,
	}
}

// WithLogger sets where the run and its clients log.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithProgress calls f with every sample, on the sampling goroutine.
func WithProgress(f func(Sample)) Option { return func(o *options) { o.progress = f } }

// WithMetrics scrapes the server's Prometheus metrics at url at every
// sample, and once before the first join for the idle baseline.
func WithMetrics(url string) Option { return func(o *options) { o.metricsURLs = []string{url} } }

// WithNodeMetrics is WithMetrics for a cluster: urls are the metrics of
// the scenario's nodes, in the order of Scenario.Nodes. Every node is
// scraped at every sample; Sample.Nodes and Result.NodesIdle/NodesEnd hold
// each node's snapshot, and Sample.Server and Result.ServerIdle/ServerEnd
// their sum, the cluster as one server. One URL is WithMetrics.
func WithNodeMetrics(urls ...string) Option {
	return func(o *options) { o.metricsURLs = append([]string(nil), urls...) }
}

// WithSampleInterval sets how often the run samples; one second by default.
func WithSampleInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.interval = d
		}
	}
}

// WithCloseTimeout bounds how long the clients may take to leave.
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.closeTimeout = d
		}
	}
}

// WithClientOptions adds options to every client (after the run's own).
func WithClientOptions(opts ...bench.Option) Option {
	return func(o *options) { o.clientOptions = append(o.clientOptions, opts...) }
}
