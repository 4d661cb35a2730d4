package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// Chart colours, distinguishable in print and for most colour vision.
const (
	blue, orange, green, red, purple = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"
)

// charts are the report's charts over time.
func charts(res *load.Result) []chart {
	n := len(res.Samples)
	xs := sampleTimes(res)
	col := func(f func(load.Sample) float64) []float64 {
		out := make([]float64, n)
		for i, s := range res.Samples {
			out[i] = f(s)
		}
		return out
	}
	msF := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := []chart{
		{Title: "Participants", Unit: "count", X: xs, Series: []series{
			{"connected", blue, col(func(s load.Sample) float64 { return float64(s.Connected) })},
			{"expected", orange, col(func(s load.Sample) float64 { return float64(s.Expected) })},
		}},
		{Title: "Throughput (RTP payload)", Unit: "Mbit/s", X: xs, Series: []series{
			{"sent by publishers", blue, col(func(s load.Sample) float64 { return s.MbpsOut })},
			{"received by all", green, col(func(s load.Sample) float64 { return s.MbpsIn })},
		}},
		{Title: "One-way latency", Unit: "ms", X: xs, Series: []series{
			{"p50", blue, col(func(s load.Sample) float64 { return msF(s.LatencyP50) })},
			{"p99", red, col(func(s load.Sample) float64 { return msF(s.LatencyP99) })},
		}},
		{Title: "Loss before NACK recovery", Unit: "%", X: xs, Series: []series{
			{"loss", red, col(func(s load.Sample) float64 { return s.LossPercent })},
		}},
		{Title: "Load generator CPU", Unit: "% of one core", X: xs, Series: []series{
			{"switchboard-bench", orange, col(func(s load.Sample) float64 { return s.ClientCPUPercent })},
		}},
	}
	if n == 0 || res.Samples[n-1].Server == nil {
		return out
	}
	if nodes := len(res.Samples[n-1].NodeCPUPercent); nodes > 0 {
		palette := []string{purple, blue, green, orange, red}
		c := chart{Title: "Each node's CPU", Unit: "% of one core", X: xs}
		for i := range nodes {
			c.Series = append(c.Series, series{fmt.Sprintf("node %d", i+1), palette[i%len(palette)],
				col(func(s load.Sample) float64 {
					if i < len(s.NodeCPUPercent) {
						return s.NodeCPUPercent[i]
					}
					return math.NaN()
				})})
		}
		out = append(out, c)
	}
	return append(append(out,
		chart{Title: "Server CPU", Unit: "% of one core", X: xs, Series: []series{
			{"cpu", purple, col(func(s load.Sample) float64 { return s.ServerCPUPercent })},
		}}), serverCharts(res, xs)...)
}

// sampleTimes are the samples' times, in seconds since the first join.
func sampleTimes(res *load.Result) []float64 {
	xs := make([]float64, len(res.Samples))
	for i, s := range res.Samples {
		xs[i] = s.At.Seconds()
	}
	return xs
}

type htmlPage struct {
	Title        string
	Generated    string
	Rows         []row
	Errors       []string
	Charts       []template.HTML
	Participants []load.ParticipantResult
	Nodes        []Node
	RelayHop     *RelayHop
}

// WriteHTML writes a self-contained page: the summary table, the charts
// over time as inline SVG, and every participant. It loads nothing.
func WriteHTML(w io.Writer, res *load.Result, s Summary) error {
	page := htmlPage{
		Title:        "Switchboard load test " + res.Start.Format(time.RFC3339),
		Generated:    res.Start.Format(time.RFC1123),
		Rows:         rows(scenarioView(res.Scenario), s),
		Errors:       s.Errors,
		Participants: res.Participants,
		Nodes:        s.Nodes,
		RelayHop:     s.RelayHop,
	}
	for _, c := range charts(res) {
		page.Charts = append(page.Charts, c.svg())
	}
	t, err := template.New("report").Funcs(template.FuncMap{
		"ms": ms, "inc": func(i int) int { return i + 1 }, "f": func(format string, v float64) string { return fmt.Sprintf(format, v) },
	}).Parse(pageHTML)
	if err != nil {
		return err
	}
	return t.Execute(w, page)
}

// pageStyle is the reports' stylesheet.
const pageStyle = `<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:800px;color:#222;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:14px}
td,th{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}.num{text-align:right;font-variant-numeric:tabular-nums}
.err{color:#b00}svg{max-width:100%;height:auto;display:block;margin:1rem 0}
</style>`

// pageHTML is the report's template; charts come in as inline SVG.
const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
` + pageStyle + `</head><body>
<h1>Switchboard load test</h1>
<p>Run started {{.Generated}}.</p>
<h2>Summary</h2>
<table>{{range .Rows}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}</table>
{{range .Errors}}<p class="err">{{.}}</p>{{end}}
{{if .Nodes}}<h2>Nodes</h2>
<table><tr><th>node</th><th class="num">publishers</th><th class="num">subscribers</th><th class="num">latency p50 / p99</th><th class="num">CPU</th><th class="num">out to clients /s</th><th class="num">relayed out /s</th><th class="num">relayed in /s</th><th class="num">µs per forwarded packet</th><th class="num">relay NACKs</th></tr>
{{range $i, $n := .Nodes}}<tr><td>{{inc $i}}: {{$n.URL}}</td><td class="num">{{$n.Publishers}}</td><td class="num">{{$n.Subscribers}}</td><td class="num">{{ms $n.Latency.P50}} / {{ms $n.Latency.P99}}</td>{{with $n.Metrics}}<td class="num">{{f "%.0f %%" .CPUPercent}}</td><td class="num">{{f "%.0f" .ClientPacketsOutPerSec}}</td><td class="num">{{f "%.0f" .RelayPacketsOutPerSec}}</td><td class="num">{{f "%.0f" .RelayPacketsInPerSec}}</td><td class="num">{{f "%.2f" .MicrosPerPacket}}</td><td class="num">{{f "%.0f" .RelayNACKsReceived}}</td>{{else}}<td colspan="6">no metrics</td>{{end}}</tr>
{{end}}</table>
{{with .RelayHop}}<p>One relay hop adds {{f "%+.2f" .AddedP50Ms}} ms at p50 and {{f "%+.2f" .AddedP99Ms}} ms at p99 (subscribers on node 1, with the publishers: p50 {{ms .FirstNode.P50}}, p99 {{ms .FirstNode.P99}}; on the other nodes: p50 {{ms .OtherNodes.P50}}, p99 {{ms .OtherNodes.P99}}).</p>{{end}}
{{end}}<h2>Over time</h2>
{{range .Charts}}{{.}}{{end}}
<h2>Participants</h2>
<details><summary>{{len .Participants}} participants</summary>
<table><tr><th>name</th><th>role</th><th class="num">connected</th><th class="num">first frame</th><th class="num">tracks</th><th class="num">NACKs</th><th class="num">PLIs</th><th>error</th></tr>
{{range .Participants}}<tr><td>{{.Name}}</td><td>{{.Role}}</td><td class="num">{{ms .Connected}}</td><td class="num">{{ms .FirstFrame}}</td><td class="num">{{len .Received}}</td><td class="num">{{.NACKsSent}}</td><td class="num">{{.PLIsSent}}</td><td class="err">{{.Error}}</td></tr>
{{end}}</table></details>
</body></html>
`
