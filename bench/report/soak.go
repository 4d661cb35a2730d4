package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// ErrNoServerSamples means a run has no server metrics to chart.
var ErrNoServerSamples = errors.New("report: no sample has the server's metrics (--metrics URL)")

// soakRows are the summary's lines for a soak: the window, then each
// series' mean, range and slope, and whether it drifts.
func soakRows(soak *Soak) []row {
	if soak == nil {
		return nil
	}
	verdict := "flat: no series drifts"
	if len(soak.Drifting) > 0 {
		verdict = "DRIFT in " + strings.Join(soak.Drifting, ", ")
	}
	out := []row{{"soak", fmt.Sprintf("%.0f s after a %.0f s warm-up; %s (a slope drifts past ±%d %% of the mean per hour, if %d standard errors from 0)",
		soak.WindowSeconds, soak.WarmupSeconds, verdict, driftLimitPct, driftSignificance)}}
	for _, d := range soak.Series {
		flag := "flat"
		if d.Drifting {
			flag = "DRIFT"
		}
		out = append(out, row{"soak: " + d.Name, fmt.Sprintf("mean %s (%s – %s)  slope %s/h ± %s (%+.2f %%/h)  %s",
			driftValue(d.Unit, d.Mean, false), driftValue(d.Unit, d.Min, false), driftValue(d.Unit, d.Max, false),
			driftValue(d.Unit, d.SlopePerHour, true), driftValue(d.Unit, d.SlopeStdErrPerHour, false), d.RelativePerHourPct, flag)})
	}
	return out
}

// driftValue formats a value of a drift series in its unit; signed for a
// slope.
func driftValue(unit string, v float64, signed bool) string {
	sign := ""
	if signed && v >= 0 {
		sign = "+"
	}
	switch unit {
	case unitBytes:
		return sign + bytesIEC(v)
	case unitMicros:
		return fmt.Sprintf("%s%.3f µs", sign, v)
	}
	return fmt.Sprintf("%s%.1f", sign, v)
}

// serverCharts are the charts of the server's resources over time, those a
// soak watches: memory, goroutines and file descriptors, CPU per forwarded
// packet. None without metrics.
func serverCharts(res *load.Result, xs []float64) []chart {
	n := len(res.Samples)
	if !slices.ContainsFunc(res.Samples, func(s load.Sample) bool { return s.Server != nil }) {
		return nil
	}
	col := func(f func(prev, cur *load.ServerSnapshot) float64) []float64 {
		out := make([]float64, n)
		var prev *load.ServerSnapshot
		for i, s := range res.Samples {
			out[i] = math.NaN()
			if s.Server != nil {
				out[i] = f(prev, s.Server)
				prev = s.Server
			}
		}
		return out
	}
	mib := func(f func(*load.ServerSnapshot) float64) func(_, cur *load.ServerSnapshot) float64 {
		return func(_, cur *load.ServerSnapshot) float64 { return f(cur) / (1 << 20) }
	}
	return []chart{
		{Title: "Server memory", Unit: "MiB", X: xs, Series: []series{
			{"RSS", blue, col(mib(func(s *load.ServerSnapshot) float64 { return s.RSSBytes }))},
			{"heap in use", orange, col(mib(func(s *load.ServerSnapshot) float64 { return s.HeapInuseBytes }))},
			{"heap allocated", purple, col(mib(func(s *load.ServerSnapshot) float64 { return s.HeapAllocBytes }))},
			{"live heap", green, col(mib(func(s *load.ServerSnapshot) float64 { return s.HeapLiveBytes }))},
		}},
		{Title: "Server goroutines and open files", Unit: "count", X: xs, Series: []series{
			{"goroutines", blue, col(func(_, s *load.ServerSnapshot) float64 { return s.Goroutines })},
			{"open file descriptors", orange, col(func(_, s *load.ServerSnapshot) float64 { return s.OpenFDs })},
		}},
		{Title: "Server CPU per forwarded packet", Unit: "µs", X: xs, Series: []series{
			{"CPU per packet", red, col(microsPerPacket)},
		}},
	}
}

// WriteSoakSVG writes the server's charts (serverCharts) stacked in one
// standalone SVG image, for a README or a page that shows a soak's lines
// without the whole report.
func WriteSoakSVG(w io.Writer, res *load.Result) error {
	cs := serverCharts(res, sampleTimes(res))
	if len(cs) == 0 {
		return ErrNoServerSamples
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d">`,
		chartW, chartH*len(cs), chartW, chartH*len(cs))
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`)
	for i, c := range cs {
		fmt.Fprintf(&b, `<g transform="translate(0,%d)">%s</g>`, i*chartH, c.svg())
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
