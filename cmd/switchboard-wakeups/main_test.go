package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/trace"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is
// still running when they end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// handOffs wakes a goroutine n times, as a packet path does.
func handOffs(n int) {
	ch, done := make(chan int), make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
		}
	}()
	for i := range n {
		ch <- i
	}
	close(ch)
	<-done
}

// TestRun: against a server whose trace holds at least 200 wakeups and
// whose counters rise by 100 packets received and 2300 forwarded across
// it, the report gives the wakeups per packet received and per forwarded.
func TestRun(t *testing.T) {
	var tr bytes.Buffer
	if err := trace.Start(&tr); err != nil {
		t.Fatal(err)
	}
	handOffs(200)
	trace.Stop()
	var scrapes atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seconds") != "1" {
			http.Error(w, "want seconds=1", http.StatusBadRequest)
			return
		}
		_, _ = w.Write(tr.Bytes())
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		k := float64(scrapes.Add(1) - 1) // 0, then 1
		fmt.Fprintf(w, "%s %g\n%s %g\n%s %g\n", seriesIn, 100*k, seriesOut, 2300*k, seriesDirect, 90*k)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var out strings.Builder
	if err := run(context.Background(), []string{"--pprof", srv.URL, "--metrics", srv.URL + "/metrics", "--seconds", "1"}, &out); err != nil {
		t.Fatal(err)
	}
	var wakeups, perIn, perOut float64
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "trace of") {
			_, _ = fmt.Sscanf(line[strings.Index(line, ": ")+2:], "%g wakeups", &wakeups)
		}
		if strings.HasPrefix(line, "wakeups per received packet") {
			_, _ = fmt.Sscanf(line, "wakeups per received packet %g, per forwarded packet %g", &perIn, &perOut)
		}
	}
	if wakeups < 200 || perIn != wakeups/100 || perOut < wakeups/2300-0.001 || perOut > wakeups/2300+0.001 {
		t.Fatalf("wakeups %g, per packet in %g and out %g; report:\n%s", wakeups, perIn, perOut, out.String())
	}
	if !strings.Contains(out.String(), "90 past Pion") {
		t.Errorf("no count of the packets received directly:\n%s", out.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run(context.Background(), []string{"--seconds", "0"}, &strings.Builder{}); !errors.Is(err, errUsage) {
		t.Fatalf("got %v for --seconds 0, want a usage error", err)
	}
}
