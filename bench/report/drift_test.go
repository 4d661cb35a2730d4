package report

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// soakSamples is a run sampled every 10 s for span: each sample's server
// snapshot is made by snap from the time since the start.
func soakSamples(span time.Duration, snap func(at time.Duration) *load.ServerSnapshot) []load.Sample {
	var out []load.Sample
	for at := 10 * time.Second; at <= span; at += 10 * time.Second {
		out = append(out, load.Sample{At: at, Server: snap(at)})
	}
	return out
}

// steadyServer is a server that forwards 10 000 packets a second at 20 µs
// each, its memory and goroutines given by the caller.
func steadyServer(at time.Duration, heap, goroutines float64) *load.ServerSnapshot {
	secs := at.Seconds()
	return &load.ServerSnapshot{
		At: at, CPUSeconds: secs * 10_000 * 20e-6, PacketsOut: secs * 10_000,
		RSSBytes: 3 * heap, HeapLiveBytes: heap, HeapInuseBytes: 2 * heap, HeapAllocBytes: 1.5 * heap,
		Goroutines: goroutines, OpenFDs: 40,
	}
}

func driftByName(t *testing.T, s *Soak, name string) Drift {
	t.Helper()
	for _, d := range s.Series {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no series %q in %+v", name, s.Series)
	return Drift{}
}

func TestSummarizeSoak(t *testing.T) {
	const mib = 1 << 20
	// wobble alternates ±amp: noise with no trend.
	wobble := func(at time.Duration, amp float64) float64 {
		if int(at/(10*time.Second))%2 == 0 {
			return amp
		}
		return -amp
	}
	tests := []struct {
		name     string
		warmup   time.Duration
		snap     func(at time.Duration) *load.ServerSnapshot
		drifting []string
		check    func(t *testing.T, s *Soak)
	}{
		{
			name: "flat with noise", warmup: 5 * time.Minute,
			snap: func(at time.Duration) *load.ServerSnapshot {
				return steadyServer(at, 30*mib+wobble(at, mib), 200+wobble(at, 10))
			},
			check: func(t *testing.T, s *Soak) {
				d := driftByName(t, s, "live heap")
				if math.Abs(d.Mean-30*mib) > 0.1*mib || math.Abs(d.RelativePerHourPct) > 1 {
					t.Errorf("live heap mean %.0f, slope %.2f %%/h: want 30 MiB, flat", d.Mean, d.RelativePerHourPct)
				}
				// 10 000 packets a second at 20 µs each, whatever the interval.
				if c := driftByName(t, s, "CPU per forwarded packet"); math.Abs(c.Mean-20) > 1e-6 || math.Abs(c.SlopePerHour) > 1e-6 {
					t.Errorf("CPU per packet mean %.6f µs, slope %.6f µs/h: want 20, 0", c.Mean, c.SlopePerHour)
				}
				if s.WindowSeconds != 1500 || s.WarmupSeconds != 300 {
					t.Errorf("window %.0f s after %.0f s, want 1500 after 300", s.WindowSeconds, s.WarmupSeconds)
				}
			},
		},
		{
			// 2 MiB per minute on a heap of about 40 MiB: 120 MiB/h, about
			// 300 % of the mean per hour; the goroutines leak one a minute.
			name: "leak", warmup: 5 * time.Minute,
			snap: func(at time.Duration) *load.ServerSnapshot {
				return steadyServer(at, 20*mib+2*mib*at.Minutes()+wobble(at, mib), 100+at.Minutes())
			},
			drifting: []string{"RSS", "live heap", "heap in use", "heap allocated", "goroutines"},
			check: func(t *testing.T, s *Soak) {
				if d := driftByName(t, s, "live heap"); math.Abs(d.SlopePerHour-120*mib) > 2*mib {
					t.Errorf("live heap slope %s/h, want 120 MiB/h", bytesIEC(d.SlopePerHour))
				}
				if d := driftByName(t, s, "goroutines"); math.Abs(d.SlopePerHour-60) > 1e-6 {
					t.Errorf("goroutines slope %.3f/h, want 60", d.SlopePerHour)
				}
			},
		},
		{
			// Start-up growth inside the warm-up is not a trend.
			name: "growth only in the warm-up", warmup: 5 * time.Minute,
			snap: func(at time.Duration) *load.ServerSnapshot {
				heap := 30 * mib * min(at.Minutes(), 4) / 4
				return steadyServer(at, heap+1, 200)
			},
		},
		{
			// CPU per packet that doubles over the run: the forwarding path
			// slows down as it runs.
			name: "CPU per packet rising", warmup: time.Minute,
			snap: func(at time.Duration) *load.ServerSnapshot {
				s := steadyServer(at, 30*mib, 200)
				// CPU seconds integrate 20 µs·(1 + t/30 min) per packet.
				secs := at.Seconds()
				s.CPUSeconds = 10_000 * 20e-6 * (secs + secs*secs/3600)
				return s
			},
			drifting: []string{"CPU per forwarded packet"},
		},
		{
			// Few samples and big noise: a steep slope that is not told
			// apart from zero is not called drift.
			name: "noise too big to tell", warmup: 0,
			snap: func(at time.Duration) *load.ServerSnapshot {
				return steadyServer(at, 30*mib, 200+[]float64{0, 80, -60, 90, -40}[int(at/(10*time.Second))%5])
			},
			check: func(t *testing.T, s *Soak) {
				if d := driftByName(t, s, "goroutines"); math.Abs(d.RelativePerHourPct) <= driftLimitPct {
					t.Errorf("goroutines slope %.0f %%/h: the case wants a slope past the limit", d.RelativePerHourPct)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span := 30 * time.Minute
			if tt.name == "noise too big to tell" {
				span = 50 * time.Second
			}
			s := summarizeSoak(soakSamples(span, tt.snap), tt.warmup)
			if s == nil {
				t.Fatal("no soak summary")
			}
			if strings.Join(s.Drifting, ",") != strings.Join(tt.drifting, ",") {
				t.Errorf("drifting %v, want %v", s.Drifting, tt.drifting)
				for _, d := range s.Series {
					t.Logf("%s: mean %.1f slope %.1f/h ± %.1f (%.2f %%/h)", d.Name, d.Mean, d.SlopePerHour, d.SlopeStdErrPerHour, d.RelativePerHourPct)
				}
			}
			if len(s.Series) != len(driftSeries) {
				t.Errorf("%d series, want %d", len(s.Series), len(driftSeries))
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// TestSummarizeSoakSkips: samples without metrics are left out, a run with
// too few samples after the warm-up has no soak summary, and CPU per packet
// has no value where nothing was forwarded.
func TestSummarizeSoakSkips(t *testing.T) {
	samples := soakSamples(time.Minute, func(at time.Duration) *load.ServerSnapshot { return steadyServer(at, 1e6, 10) })
	samples[2].Server = nil // a scrape that failed
	s := summarizeSoak(samples, 0)
	if s == nil {
		t.Fatal("no soak summary")
	}
	if d := driftByName(t, s, "RSS"); d.Samples != 5 {
		t.Errorf("RSS over %d samples, want 5 of 6 (one without metrics)", d.Samples)
	}
	// The first sample has no earlier one to take CPU per packet against.
	if d := driftByName(t, s, "CPU per forwarded packet"); d.Samples != 4 {
		t.Errorf("CPU per packet over %d samples, want 4", d.Samples)
	}
	if s := summarizeSoak(samples, 45*time.Second); s != nil {
		t.Errorf("2 samples after the warm-up gave a soak summary: %+v", s)
	}
	idle := soakSamples(time.Minute, func(at time.Duration) *load.ServerSnapshot { return &load.ServerSnapshot{At: at, RSSBytes: 1} })
	if d := summarizeSoak(idle, 0); len(d.Series) != len(driftSeries)-1 {
		t.Errorf("a server that forwards nothing: %d series, want all but CPU per packet", len(d.Series))
	}
}

// TestSoakInReports: the soak's rows reach the table, its series the JSON,
// and its charts the HTML and the SVG.
func TestSoakInReports(t *testing.T) {
	res := &load.Result{Scenario: load.Scenario{Duration: 30 * time.Minute}, Start: time.Unix(0, 0),
		Samples: soakSamples(30*time.Minute, func(at time.Duration) *load.ServerSnapshot { return steadyServer(at, 1<<25, 100) })}
	sum := Summarize(res, WithSoak(5*time.Minute))
	if sum.Soak == nil || len(sum.Soak.Drifting) != 0 {
		t.Fatalf("soak summary %+v, want flat", sum.Soak)
	}
	var table, page, js, img strings.Builder
	if err := WriteTable(&table, res, sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, res, sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, res, sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteSoakSVG(&img, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flat: no series drifts", "soak: goroutines", "mean 32.0 MiB"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	for _, want := range []string{"Server goroutines and open files", "Server CPU per forwarded packet", "soak: open file descriptors"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, want := range []string{`"slopePerHour"`, `"openFds": 40`, `"warmupSeconds": 300`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	// A standalone SVG is XML: it must parse as such (an HTML page
	// forgives what an image viewer does not).
	dec := xml.NewDecoder(strings.NewReader(img.String()))
	for {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("the SVG is not well-formed XML: %v", err)
			}
			break
		}
		// encoding/xml lets a repeated attribute through; XML does not.
		if el, ok := tok.(xml.StartElement); ok {
			seen := map[xml.Name]bool{}
			for _, a := range el.Attr {
				if seen[a.Name] {
					t.Errorf("<%s> has attribute %s twice", el.Name.Local, a.Name.Local)
				}
				seen[a.Name] = true
			}
		}
	}
	if n := strings.Count(img.String(), "<polyline"); n != 7 {
		t.Errorf("SVG has %d lines, want 7 (4 memory, goroutines, files, CPU per packet)", n)
	}
	if err := WriteSoakSVG(&img, &load.Result{Samples: []load.Sample{{At: time.Second}}}); err == nil {
		t.Error("an SVG of a run without metrics")
	}
}
