package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestChurnRun: with --churn 2, two subscribers a second vanish as killed
// tabs do and are replaced; media keeps flowing to the rest, the report
// says how many, and the server is left with nobody once the run ends.
func TestChurnRun(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	ctx := t.Context()
	wsURL, metricsURL, s := testServerSFU(t)
	jsonPath := filepath.Join(t.TempDir(), "churn.json")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{
		"--url", wsURL, "--metrics", metricsURL, "--ice-ips", "127.0.0.1", "--floor=false",
		"--rooms", "1", "--publishers", "1", "--subscribers", "4", "--duration", "6s",
		"--bitrate", "300k", "--join-rate", "0", "--churn", "2", "--json", jsonPath,
	}, &stdout, &stderr)
	t.Log(stdout.String())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "vanished and were replaced") {
		t.Error("the table does not say how many churned")
	}
	var doc struct {
		Summary struct {
			Churned int `json:"churned"`
		} `json:"summary"`
		Participants []struct {
			Name     string `json:"name"`
			Role     string `json:"role"`
			Received []struct {
				Distinct uint64 `json:"distinct"`
			} `json:"received"`
		} `json:"participants"`
	}
	readJSONFile(t, jsonPath, &doc)
	// 2 a second over the 6 s (everyone joins at once); the ticker cannot
	// run ahead, and a loaded machine may lag it.
	if doc.Summary.Churned < 4 || doc.Summary.Churned > 12 {
		t.Errorf("%d subscribers churned in 6 s at 2 a second", doc.Summary.Churned)
	}
	if want := 5 + doc.Summary.Churned; len(doc.Participants) != want {
		t.Errorf("%d participants in the report, want %d (5 and the replacements)", len(doc.Participants), want)
	}
	// A replacement is named after its place, not after the one it
	// replaces: names do not grow with every generation past the server's
	// limit (64 characters), as they once did in a 30-minute soak.
	for _, p := range doc.Participants {
		if strings.Count(p.Name, "churn") > 1 {
			t.Errorf("participant %q: a name that grows with churn", p.Name)
		}
	}
	// The server lets go of every one, the vanished ones too.
	deadline := time.Now().Add(15 * time.Second)
	for s.Stats().Participants != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server still holds %d participants after the run", s.Stats().Participants)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
