package metrics

import (
	"bufio"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

type fixedStats sfu.Stats

func (f fixedStats) Stats() sfu.Stats { return sfu.Stats(f) }

// TestCollectorExposesEveryRow: every row of the SFU's table and of the
// cluster's, wired as cmd/switchboard wires them and each set to a value
// of its own, reaches /metrics under its series with that value, its help
// text and its kind; no other switchboard_ series is there; and the
// process's and the Go runtime's series are.
func TestCollectorExposesEveryRow(t *testing.T) {
	rows, err := Rows()
	if err != nil {
		t.Fatal(err)
	}
	var st sfu.Stats
	var cst cluster.Stats
	for i, r := range rows {
		if !statstable.Set(r, &st, uint64(i+1)) && !statstable.Set(r, &cst, uint64(i+1)) {
			t.Fatalf("%s is a row of neither table", r.Field)
		}
	}
	clusterCol, err := NewCollector(func() cluster.Stats { return cst })
	if err != nil {
		t.Fatal(err)
	}
	h, err := Handler(fixedStats(st), clusterCol)
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
			t.Errorf("%s exposed but in no row of the tables", name)
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

// TestCollectorLints: each table's series pass Prometheus's own lint
// (names, units, _total on counters and only there, help).
func TestCollectorLints(t *testing.T) {
	sfuCol, err := NewCollector(fixedStats{}.Stats)
	if err != nil {
		t.Fatal(err)
	}
	clusterCol, err := NewCollector(func() cluster.Stats { return cluster.Stats{} })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []prometheus.Collector{sfuCol, clusterCol} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

// TestDocsNameEverySeries: docs/benchmarks.md lists every series of both
// tables by its full name, and names no switchboard_ series that is in
// neither, so the list dashboards are built from stays true.
func TestDocsNameEverySeries(t *testing.T) {
	doc, err := os.ReadFile("../docs/benchmarks.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Rows()
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`(switchboard_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		named[m[1]] = true
	}
	for _, r := range rows {
		if !named[r.Name] {
			t.Errorf("%s (%s) is not in docs/benchmarks.md", r.Name, r.Field)
		}
	}
	for name := range named {
		if !slices.ContainsFunc(rows, func(r statstable.Row) bool { return r.Name == name }) {
			t.Errorf("docs/benchmarks.md names %s, which no table has", name)
		}
	}
}
