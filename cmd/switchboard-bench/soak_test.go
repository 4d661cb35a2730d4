package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestSoakRun is make soak in a few seconds: churn, the server scraped at
// every sample, the slope of each of its resources after the warm-up in
// the table and the JSON, and the charts in the HTML and the SVG. Whether
// a series drifts is not asserted: seconds of samples on a shared machine
// say nothing of hours (bench/report's tests check the verdicts).
func TestSoakRun(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	wsURL, metricsURL := testServer(t)
	dir := t.TempDir()
	jsonPath, htmlPath, svgPath := filepath.Join(dir, "soak.json"), filepath.Join(dir, "soak.html"), filepath.Join(dir, "soak.svg")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{
		"--url", wsURL, "--metrics", metricsURL, "--ice-ips", "127.0.0.1", "--floor=false",
		"--rooms", "1", "--publishers", "1", "--subscribers", "3", "--duration", "8s", "--bitrate", "300k",
		"--join-rate", "0", "--churn", "1", "--sample-interval", "1s", "--soak", "--warmup", "2s",
		"--json", jsonPath, "--report", htmlPath, "--svg", svgPath,
	}, &stdout, &stderr)
	t.Log(stdout.String())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"soak: RSS", "soak: goroutines", "soak: open file descriptors", "soak: CPU per forwarded packet"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	var doc struct {
		Summary struct {
			Churned int `json:"churned"`
			Soak    *struct {
				WarmupSeconds float64 `json:"warmupSeconds"`
				Series        []struct {
					Name    string  `json:"name"`
					Samples int     `json:"samples"`
					Mean    float64 `json:"mean"`
				} `json:"series"`
			} `json:"soak"`
		} `json:"summary"`
		Samples []struct {
			Server *struct {
				OpenFDs    float64 `json:"openFds"`
				Goroutines float64 `json:"goroutines"`
			} `json:"server"`
		} `json:"samples"`
	}
	readJSONFile(t, jsonPath, &doc)
	soak := doc.Summary.Soak
	if soak == nil || soak.WarmupSeconds != 2 {
		t.Fatalf("soak summary %+v, want one after a 2 s warm-up", soak)
	}
	if doc.Summary.Churned == 0 {
		t.Error("nobody churned")
	}
	// 8 samples a second apart, 2 in the warm-up.
	if len(soak.Series) != 7 {
		t.Errorf("%d series, want 7", len(soak.Series))
	}
	for _, s := range soak.Series {
		if s.Samples < 3 || s.Mean <= 0 {
			t.Errorf("%s: %d samples, mean %v", s.Name, s.Samples, s.Mean)
		}
	}
	// A scrape that takes longer than the interval on a loaded machine
	// leaves its sample without the server: the others have it.
	scraped := 0
	for i, s := range doc.Samples {
		if s.Server == nil {
			continue
		}
		scraped++
		if s.Server.OpenFDs <= 0 || s.Server.Goroutines <= 0 {
			t.Errorf("sample %d: server %+v, want its open files and goroutines", i, s.Server)
		}
	}
	if scraped < 4 {
		t.Errorf("%d of %d samples have the server's figures", scraped, len(doc.Samples))
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("Server goroutines and open files")) || !bytes.HasPrefix(img, []byte("<svg")) ||
		bytes.Count(img, []byte("<polyline")) != 7 {
		t.Errorf("the HTML or the SVG lacks the soak's charts (%d lines in the SVG)", bytes.Count(img, []byte("<polyline")))
	}
}
