package metrics

import (
	"bufio"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu"
)

type fixedStats sfu.Stats

func (f fixedStats) Stats() sfu.Stats { return sfu.Stats(f) }

// TestCollectorExposesEveryRow: every row of the SFU's table, each set to
// a value of its own, reaches /metrics under its series with that value,
// its help text and its kind; no other switchboard_ series is there; and
// the process's and the Go runtime's series are.
func TestCollectorExposesEveryRow(t *testing.T) {
	rows, err := statstable.Rows[sfu.Stats]()
	if err != nil {
		t.Fatal(err)
	}
	var st sfu.Stats
	for i, r := range rows {
		statstable.Set(r, &st, uint64(i+1))
	}
	h, err := Handler(fixedStats(st))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	page := rec.Body.String()
	got, err := scrape.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	help, kind := comments(page)
	for i, r := range rows {
		t.Run(r.Name, func(t *testing.T) {
			if v, ok := got.Get(r.Name); !ok || v != float64(i+1) {
				t.Errorf("value %v (present: %v), want %d", v, ok, i+1)
			}
			if help[r.Name] != r.Help {
				t.Errorf("help %q, want %q", help[r.Name], r.Help)
			}
			want := "gauge"
			if r.Counter {
				want = "counter"
			}
			if kind[r.Name] != want {
				t.Errorf("type %q, want %q", kind[r.Name], want)
			}
		})
	}
	for name := range kind {
		if strings.HasPrefix(name, "switchboard_") && !slices.ContainsFunc(rows, func(r statstable.Row) bool { return r.Name == name }) {
			t.Errorf("%s exposed but in no row of the table", name)
		}
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines", "go_gc_heap_live_bytes"} {
		if _, ok := got.Get(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
}

// comments reads the # HELP and # TYPE lines of a page in the text format.
func comments(page string) (help, kind map[string]string) {
	help, kind = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(page))
	for sc.Scan() {
		var into map[string]string
		rest, ok := strings.CutPrefix(sc.Text(), "# HELP ")
		if ok {
			into = help
		} else if rest, ok = strings.CutPrefix(sc.Text(), "# TYPE "); ok {
			into = kind
		} else {
			continue
		}
		name, text, _ := strings.Cut(rest, " ")
		into[name] = text
	}
	return help, kind
}

func TestCollectorLints(t *testing.T) {
	c, err := NewCollector(fixedStats{}.Stats)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
