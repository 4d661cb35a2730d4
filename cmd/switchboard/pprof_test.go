package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestPprofServesProfilesApart(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if at, stop, err := startPprof("", nil, log); err != nil || at != nil {
		t.Fatalf("no address: %v, %v; want nothing served", at, err)
	} else {
		stop()
	}
	at, stop, err := startPprof("127.0.0.1:0", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + at.String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("status %s, body %.100q", resp.Status, body)
	}
}
