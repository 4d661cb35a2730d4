package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-rtc/switchboard/internal/redistest"
	"github.com/switchboard-rtc/switchboard/metrics"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

func TestURLAndMetricsFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		url      string
		urls     []string
		metrics  []string
		pin      bool
		usageErr bool
	}{
		{name: "default", url: "ws://127.0.0.1:8080/ws"},
		{name: "one URL, as before", args: []string{"--url", "ws://a/ws", "--metrics", "http://a/metrics"},
			url: "ws://a/ws", metrics: []string{"http://a/metrics"}},
		{name: "three nodes", args: []string{"--url", "ws://a/ws", "--url", "ws://b/ws", "--url", "ws://c/ws",
			"--metrics", "http://a/m", "--metrics", "http://b/m", "--metrics", "http://c/m", "--pin-publishers"},
			url: "ws://a/ws", urls: []string{"ws://a/ws", "ws://b/ws", "ws://c/ws"},
			metrics: []string{"http://a/m", "http://b/m", "http://c/m"}, pin: true},
		{name: "nodes without metrics", args: []string{"--url", "ws://a/ws", "--url", "ws://b/ws"},
			url: "ws://a/ws", urls: []string{"ws://a/ws", "ws://b/ws"}},
		{name: "metrics not paired", args: []string{"--url", "ws://a/ws", "--url", "ws://b/ws", "--metrics", "http://a/m"}, usageErr: true},
		{name: "one bad node", args: []string{"--url", "ws://a/ws", "--url", "http://b/ws"}, usageErr: true},
		{name: "capacity over nodes", args: []string{"--capacity", "--url", "ws://a/ws", "--url", "ws://b/ws"}, usageErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if tt.usageErr {
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sc := cfg.scenario
			if sc.URL != tt.url || !slices.Equal(sc.URLs, tt.urls) || !slices.Equal(cfg.metrics, tt.metrics) || sc.PinPublishers != tt.pin {
				t.Errorf("URL %q URLs %q metrics %q pin %v; want %q %q %q %v",
					sc.URL, sc.URLs, cfg.metrics, sc.PinPublishers, tt.url, tt.urls, tt.metrics, tt.pin)
			}
		})
	}
}

// clusterNodes runs n cluster nodes in this process, sharing a Redis, each
// with its signaling and metrics, as cmd/switchboard serves them with
// --redis. Being one process, every node's process CPU is the same: the
// per-node CPU figures mean something only with a process per node
// (scripts/bench-cluster.sh).
func clusterNodes(t *testing.T, n int) (wsURLs, metricsURLs []string) {
	t.Helper()
	rs := redistest.Start(t)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	for i := range n {
		s, err := sfu.New(sfu.WithICEIPs([]string{"127.0.0.1"}), sfu.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
		node, err := cluster.New(rdb, s, cluster.WithNodeID(string(rune('a'+i))), cluster.WithSecret("bench-test"), cluster.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		node.Start()
		sig := signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithCluster(node))
		m, err := metrics.Handler(s)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/ws", sig)
		mux.Handle("/metrics", m)
		srv := httptest.NewServer(mux)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = sig.Shutdown(ctx)
			srv.Close()
			_ = node.Close()
			_ = s.Close()
			_ = rdb.Close()
		})
		wsURLs = append(wsURLs, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws")
		metricsURLs = append(metricsURLs, srv.URL+"/metrics")
	}
	return wsURLs, metricsURLs
}

// A run over three nodes with the publisher pinned to the first: the
// others' subscribers receive over relays, and the report says so per node.
func TestRunAgainstCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	urls, metricsURLs := clusterNodes(t, 3)
	jsonPath := filepath.Join(t.TempDir(), "cluster.json")
	args := []string{"--ice-ips", "127.0.0.1", "--floor=false", "--rooms", "1", "--publishers", "1", "--subscribers", "3",
		"--duration", "8s", "--bitrate", "300k", "--join-rate", "20", "--pin-publishers", "--json", jsonPath}
	for i := range urls {
		args = append(args, "--url", urls[i], "--metrics", metricsURLs[i])
	}
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr)
	t.Log(stdout.String())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"over 3 nodes", "node 3 CPU and packets", "latency one relay hop adds", "nodes cpu"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var doc struct {
		Summary struct {
			Connected int `json:"connected"`
			Nodes     []struct {
				Publishers  int `json:"publishers"`
				Subscribers int `json:"subscribers"`
				Latency     struct {
					N int `json:"n"`
				} `json:"latency"`
				Metrics *struct {
					RelayOut float64 `json:"relayPacketsOutPerSecond"`
					RelayIn  float64 `json:"relayPacketsInPerSecond"`
					Clients  float64 `json:"clientPacketsOutPerSecond"`
				} `json:"metrics"`
			} `json:"nodes"`
			RelayHop *json.RawMessage `json:"relayHop"`
		} `json:"summary"`
	}
	readJSONFile(t, jsonPath, &doc)
	s := doc.Summary
	if s.Connected != 4 || len(s.Nodes) != 3 || s.RelayHop == nil {
		t.Fatalf("summary: %d connected, %d nodes, relay hop %v", s.Connected, len(s.Nodes), s.RelayHop != nil)
	}
	for i, n := range s.Nodes {
		wantPubs := map[bool]int{true: 1, false: 0}[i == 0]
		if n.Publishers != wantPubs || n.Subscribers != 1 || n.Latency.N == 0 {
			t.Errorf("node %d: %d publishers, %d subscribers, %d packets' latency", i+1, n.Publishers, n.Subscribers, n.Latency.N)
		}
		if n.Metrics == nil || n.Metrics.Clients <= 0 {
			t.Errorf("node %d: metrics %+v, want packets to its clients", i+1, n.Metrics)
			continue
		}
		if i == 0 && n.Metrics.RelayOut <= 0 {
			t.Errorf("node 1 relays nothing out")
		}
		if i > 0 && n.Metrics.RelayIn <= 0 {
			t.Errorf("node %d receives nothing over relays", i+1)
		}
	}
}
