package report

import (
	"math"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
	"github.com/switchboard-rtc/switchboard/internal/linfit"
)

// Soak is a long run's trend of the server's resources: each series'
// least-squares slope over the samples after the warm-up, so that a leak
// (memory, goroutines, file descriptors held per departed participant) or
// a forwarding path that slows down with time shows as a slope, not as a
// figure to eyeball on a chart.
type Soak struct {
	WarmupSeconds float64 `json:"warmupSeconds"`
	// WindowSeconds is from the first sample after the warm-up to the last.
	WindowSeconds float64 `json:"windowSeconds"`
	Series        []Drift `json:"series"`
	// Drifting names the series whose slope passes its limit.
	Drifting []string `json:"drifting,omitempty"`
}

// Drift is one series' trend after the warm-up.
type Drift struct {
	Name    string  `json:"name"`
	Unit    string  `json:"unit"` // of Mean, First, Last and SlopePerHour
	Samples int     `json:"samples"`
	Mean    float64 `json:"mean"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	// SlopePerHour is the least-squares slope, in Unit per hour, and
	// SlopeStdErrPerHour its standard error (0 when unknown).
	SlopePerHour       float64 `json:"slopePerHour"`
	SlopeStdErrPerHour float64 `json:"slopeStdErrPerHour"`
	// RelativePerHourPct is SlopePerHour in percent of Mean: a leak of
	// 1 MiB/h is noise on a 1 GiB process and a failure on a 10 MiB one.
	RelativePerHourPct float64 `json:"relativePerHourPercent"`
	// LimitPerHourPct is the relative slope above which the series drifts.
	LimitPerHourPct float64 `json:"limitPerHourPercent"`
	// Drifting: the relative slope passes the limit, and the slope is
	// more than driftSignificance standard errors from zero, so that the
	// noise of a short run's few samples is not taken for a trend.
	Drifting bool `json:"drifting"`
}

// Units of the drift series.
const (
	unitBytes  = "bytes"
	unitCount  = "count"
	unitMicros = "µs"
)

// driftLimitPct is the relative slope, in percent of the mean per hour,
// past which a series counts as drifting. 10 %/h is far above what the
// noise of a 30-minute run fits (about ±2 %/h for memory on loopback, more
// for CPU per packet on a shared machine), and far below a leak of one
// participant's state per departure at one departure a second (a few
// kilobytes each: several MiB an hour against a heap of tens of MiB).
const driftLimitPct = 10

// driftSignificance is how many standard errors a slope must be from zero
// to count: about 95 % of the slopes that noise alone draws fall within two.
const driftSignificance = 2

// driftSeries are the series a soak follows; value is NaN where a sample
// cannot tell (no metrics, or no packet forwarded since the last one).
var driftSeries = []struct {
	name, unit string
	value      func(prev, cur *load.ServerSnapshot) float64
}{
	{"RSS", unitBytes, func(_, c *load.ServerSnapshot) float64 { return c.RSSBytes }},
	{"live heap", unitBytes, func(_, c *load.ServerSnapshot) float64 { return c.HeapLiveBytes }},
	{"heap in use", unitBytes, func(_, c *load.ServerSnapshot) float64 { return c.HeapInuseBytes }},
	{"heap allocated", unitBytes, func(_, c *load.ServerSnapshot) float64 { return c.HeapAllocBytes }},
	{"goroutines", unitCount, func(_, c *load.ServerSnapshot) float64 { return c.Goroutines }},
	{"open file descriptors", unitCount, func(_, c *load.ServerSnapshot) float64 { return c.OpenFDs }},
	{"CPU per forwarded packet", unitMicros, microsPerPacket},
}

// microsPerPacket is the server's CPU time per packet forwarded
// (retransmissions included) between two snapshots, in µs.
func microsPerPacket(prev, cur *load.ServerSnapshot) float64 {
	if prev == nil {
		return math.NaN()
	}
	packets := (cur.PacketsOut + cur.Retransmitted) - (prev.PacketsOut + prev.Retransmitted)
	if packets <= 0 {
		return math.NaN()
	}
	return 1e6 * (cur.CPUSeconds - prev.CPUSeconds) / packets
}

// serverPoints is one series over the samples from warmup on, x in hours
// since the run started; the previous sample with metrics is the one
// before, warm-up or not.
func serverPoints(samples []load.Sample, warmup time.Duration, value func(prev, cur *load.ServerSnapshot) float64) []linfit.Point {
	var out []linfit.Point
	var prev *load.ServerSnapshot
	for _, s := range samples {
		if s.Server == nil {
			continue
		}
		v := value(prev, s.Server)
		prev = s.Server
		if s.At < warmup || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out = append(out, linfit.Point{X: s.At.Hours(), Y: v})
	}
	return out
}

// minDriftSamples is the fewest points a slope is fitted to.
const minDriftSamples = 3

// summarizeSoak is the trend of each series after warmup; nil when fewer
// than minDriftSamples samples with metrics follow the warm-up.
func summarizeSoak(samples []load.Sample, warmup time.Duration) *Soak {
	soak := &Soak{WarmupSeconds: warmup.Seconds()}
	for _, ds := range driftSeries {
		pts := serverPoints(samples, warmup, ds.value)
		if len(pts) < minDriftSamples {
			continue
		}
		line, ok := linfit.Fit(pts)
		if !ok {
			continue
		}
		slope := line.Slope
		d := Drift{Name: ds.name, Unit: ds.unit, Samples: len(pts), SlopePerHour: slope, SlopeStdErrPerHour: line.SlopeStdErr,
			LimitPerHourPct: driftLimitPct, Min: math.Inf(1), Max: math.Inf(-1)}
		for _, p := range pts {
			d.Mean += p.Y / float64(len(pts))
			d.Min, d.Max = min(d.Min, p.Y), max(d.Max, p.Y)
		}
		if d.Mean != 0 {
			d.RelativePerHourPct = 100 * slope / math.Abs(d.Mean)
		}
		d.Drifting = math.Abs(d.RelativePerHourPct) > d.LimitPerHourPct && math.Abs(slope) > driftSignificance*line.SlopeStdErr
		if d.Drifting {
			soak.Drifting = append(soak.Drifting, d.Name)
		}
		soak.WindowSeconds = max(soak.WindowSeconds, (pts[len(pts)-1].X-pts[0].X)*3600)
		soak.Series = append(soak.Series, d)
	}
	if len(soak.Series) == 0 {
		return nil
	}
	return soak
}
