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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/metrics"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
)

// testServer runs an SFU with its signaling and metrics on loopback, the
// way cmd/switchboard serves them. Only the test imports the server: the
// load generator itself knows nothing but the protocol.
func testServer(t *testing.T) (wsURL, metricsURL string) {
	t.Helper()
	wsURL, metricsURL, _ = testServerSFU(t)
	return wsURL, metricsURL
}

// testServerSFU is testServer with the SFU, for a test that checks what the
// server holds.
func testServerSFU(t *testing.T) (wsURL, metricsURL string, s *sfu.SFU) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := sfu.New(sfu.WithICEIPs([]string{"127.0.0.1"}), sfu.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	sig := signaling.NewHandler(s, signaling.WithLogger(log))
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
		_ = s.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", srv.URL + "/metrics", s
}

func TestRunAgainstInProcessServer(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	wsURL, metricsURL := testServer(t)
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{
		"--url", wsURL, "--metrics", metricsURL, "--ice-ips", "127.0.0.1",
		"--rooms", "1", "--publishers", "2", "--subscribers", "3", "--duration", "5s",
		"--bitrate", "300k", "--join-rate", "20",
		"--json", jsonPath, "--report", htmlPath,
	}, &stdout, &stderr)
	t.Log(stdout.String())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if n := strings.Count(stdout.String(), "] participants "); n < 3 {
		t.Errorf("%d progress lines in 5 s, want one a second", n)
	}
	for _, want := range []string{"floor:", "participants connected", "server CPU per forwarded packet", "wrote " + jsonPath} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}

	var doc struct {
		Summary struct {
			Connected       int     `json:"connected"`
			PacketsExpected uint64  `json:"packetsExpected"`
			LossAfter       float64 `json:"lossAfterNackPercent"`
			PayloadErrors   uint64  `json:"payloadErrors"`
			Tracks          int     `json:"subscribedTracks"`
			Server          *struct {
				PacketsOut float64 `json:"packetsOut"`
				PerPacket  float64 `json:"cpuMicrosPerForwardedPacket"`
			} `json:"server"`
		} `json:"summary"`
		Samples      []json.RawMessage `json:"samples"`
		Participants []struct {
			Role     string `json:"role"`
			Received []struct {
				Distinct uint64 `json:"distinct"`
			} `json:"received"`
		} `json:"participants"`
	}
	readJSONFile(t, jsonPath, &doc)
	s := doc.Summary
	if s.Connected != 5 || s.Tracks != 16 || s.PacketsExpected == 0 || s.PayloadErrors != 0 {
		t.Errorf("summary: %d connected (want 5), %d tracks (want 16), %d packets due, %d damaged",
			s.Connected, s.Tracks, s.PacketsExpected, s.PayloadErrors)
	}
	if s.Server == nil || s.Server.PacketsOut == 0 || s.Server.PerPacket <= 0 {
		t.Errorf("server summary %+v: want forwarded packets and a cost per packet", s.Server)
	}
	if len(doc.Samples) < 3 {
		t.Errorf("%d samples", len(doc.Samples))
	}
	for i, p := range doc.Participants {
		// Subscribers receive both publishers' audio and video; each
		// publisher the other's.
		want := map[string]int{"subscriber": 4, "publisher": 2}[p.Role]
		if len(p.Received) != want {
			t.Errorf("participant %d (%s) received %d tracks, want %d", i, p.Role, len(p.Received), want)
		}
		for j, tr := range p.Received {
			if tr.Distinct == 0 {
				t.Errorf("participant %d (%s) track %d: nothing received", i, p.Role, j)
			}
		}
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("<svg")) || !bytes.Contains(page, []byte("Switchboard load test")) {
		t.Error("the HTML report has no charts")
	}
}

func TestCapacityAgainstInProcessServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	wsURL, metricsURL := testServer(t)
	jsonPath := filepath.Join(t.TempDir(), "capacity.json")
	var stdout bytes.Buffer
	err := run(ctx, []string{
		"--capacity", "--url", wsURL, "--metrics", metricsURL, "--ice-ips", "127.0.0.1", "--floor=false",
		"--bitrate", "300k", "--step", "2", "--step-duration", "3s", "--max-subscribers", "4",
		"--max-p99", "5s", "--json", jsonPath,
	}, &stdout, io.Discard)
	t.Log(stdout.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "capacity reached: 4 subscribers") {
		t.Errorf("want both steps to pass")
	}
	if _, err := os.Stat(jsonPath); err != nil {
		t.Error(err)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--nope"}},
		{"bad bitrate", []string{"--bitrate", "fast"}},
		{"no publishers", []string{"--publishers", "0"}},
		{"bad URL", []string{"--url", "http://x/ws"}},
		{"stray argument", []string{"extra"}},
		{"capacity without steps", []string{"--capacity", "--step", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, io.Discard, io.Discard)
			if !errors.Is(err, errUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
		})
	}
}

func TestBitrateFlag(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1500000", 1_500_000, true}, {"1500k", 1_500_000, true}, {"1.5M", 1_500_000, true},
		{"2Mbit", 2_000_000, true}, {"300kbit/s", 300_000, true}, {"0", 0, false}, {"x", 0, false},
	}
	for _, tt := range tests {
		var b bitrateFlag
		err := b.Set(tt.in)
		if (err == nil) != tt.ok || (tt.ok && int(b) != tt.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", tt.in, b, err, tt.want, tt.ok)
		}
	}
}

// readJSONFile decodes the JSON document at path into v.
func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
