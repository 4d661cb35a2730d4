package scrape

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		want    Values
		wantErr bool
	}{
		{
			name: "counters, gauges and comments",
			page: "# HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\n" +
				"process_cpu_seconds_total 12.5\n\nswitchboard_rooms 3\n",
			want: Values{"process_cpu_seconds_total": 12.5, "switchboard_rooms": 3},
		},
		{
			name: "labels with spaces, escapes and a timestamp",
			page: `go_info{version="go 1.26"} 1` + "\n" + `x{a="q\"}",b="c"} 2e3 1700000000000` + "\n",
			want: Values{`go_info{version="go 1.26"}`: 1, `x{a="q\"}",b="c"}`: 2000},
		},
		{
			name: "special values",
			page: "a +Inf\nb -Inf\n",
			want: Values{"a": math.Inf(1), "b": math.Inf(-1)},
		},
		{name: "no value", page: "lonely\n", wantErr: true},
		{name: "not a number", page: "a one\n", wantErr: true},
		{name: "unterminated labels", page: `a{b="c" 1` + "\n", wantErr: true},
		{name: "too many fields", page: "a 1 2 3\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.page))
			if tt.wantErr {
				if !errors.Is(err, ErrBadMetrics) {
					t.Fatalf("err = %v, want ErrBadMetrics", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if g, ok := got.Get(k); !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
		})
	}
}

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("switchboard_packets_out_total 42\n"))
	}))
	defer srv.Close()
	v, err := Fetch(context.Background(), srv.Client(), srv.URL+"/metrics")
	if err != nil || v["switchboard_packets_out_total"] != 42 {
		t.Fatalf("Fetch = %v, %v", v, err)
	}
	if _, err := Fetch(context.Background(), srv.Client(), srv.URL+"/nope"); !errors.Is(err, ErrBadMetrics) {
		t.Fatalf("404: err = %v, want ErrBadMetrics", err)
	}
}

// TestFetchUncompressed: Fetch asks for the page uncompressed, so that a
// promhttp handler answers without gzip and keeps no gzip writer alive in
// the server it measures.
func TestFetchUncompressed(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "switchboard_rooms"})
	g.Set(3)
	reg.MustRegister(g)
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	encodings := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		encodings <- w.Header().Get("Content-Encoding")
	}))
	defer srv.Close()
	v, err := Fetch(context.Background(), srv.Client(), srv.URL+"/metrics")
	if err != nil || v["switchboard_rooms"] != 3 {
		t.Fatalf("Fetch = %v, %v", v, err)
	}
	if enc := <-encodings; enc != "" {
		t.Fatalf("the handler answered with Content-Encoding %q, want none", enc)
	}
}
