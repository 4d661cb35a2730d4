package sfu_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/metrics"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// TestEveryCounterReachesStatsAndMetrics increments each counter of the
// table where the packet path does (the SFU's live atomics), by an amount
// of its own, and reads it back from SFU.Stats under its field and from
// /metrics under its series: a row that the snapshot or the collector
// missed, or two rows sharing one atomic, fail it. Gauges are computed from
// the rooms at snapshot time: with none, they must read 0 in both.
func TestEveryCounterReachesStatsAndMetrics(t *testing.T) {
	s, err := sfu.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h, err := metrics.Handler(s)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := statstable.Rows[sfu.Stats]()
	if err != nil {
		t.Fatal(err)
	}
	want := func(i int, r statstable.Row) float64 {
		if !r.Counter {
			return 0
		}
		return float64(i + 1)
	}
	for i, r := range rows {
		t.Run(r.Field, func(t *testing.T) {
			if added := statstable.Add(r, s.Live(), uint64(i+1)); added != r.Counter {
				t.Fatalf("live atomic for %s: %v, want one exactly for a counter", r.Field, added)
			}
			st := s.Stats()
			if got := statstable.Value(r, &st); got != want(i, r) {
				t.Errorf("Stats.%s = %v, want %v", r.Field, got, want(i, r))
			}
			if got, ok := scrapeSeries(t, h).Get(r.Name); !ok || got != want(i, r) {
				t.Errorf("/metrics %s = %v (present: %v), want %v", r.Name, got, ok, want(i, r))
			}
		})
	}
	// Every row still holds its own amount: no two share an atomic.
	st, page := s.Stats(), scrapeSeries(t, h)
	for i, r := range rows {
		if got, _ := page.Get(r.Name); got != want(i, r) || statstable.Value(r, &st) != want(i, r) {
			t.Errorf("%s: Stats %v, /metrics %v, want %v", r.Field, statstable.Value(r, &st), got, want(i, r))
		}
	}
}

func scrapeSeries(t *testing.T, h http.Handler) scrape.Values {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	v, err := scrape.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
