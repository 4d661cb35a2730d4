package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
)

// LinkRun is one run of `make bench-links`: a subscriber behind a shaped
// downlink receiving two simulcast publishers, sampled every 250 ms.
type LinkRun struct {
	Shape   string       `json:"shape"`
	Machine string       `json:"machine"` // load averages before and after: was it busy
	Samples []LinkSample `json:"samples"`
	Phases  []LinkPhase  `json:"phases"`
	Checks  []LinkCheck  `json:"checks"`
}

// LinkSample is one 250 ms interval.
type LinkSample struct {
	At       float64 `json:"at"`       // seconds since the measurement began
	LinkKbps float64 `json:"linkKbps"` // the shaper's rate
	// Server is false when the server made no record in the interval
	// (its bandwidth loop starved of CPU): its figures are then not 0
	// but unknown, and left out of the chart.
	Server bool `json:"server"`
	// The server's figures for the subscriber (its /debug/bwe records).
	EstimateKbps float64    `json:"estimateKbps"`
	LayerKbps    [3]float64 `json:"layerKbps"` // media forwarded per spatial layer, both videos
	PaddingKbps  float64    `json:"paddingKbps"`
	RtxKbps      float64    `json:"rtxKbps"`
	Loss         float64    `json:"loss"`
	// The page's figures, per received video.
	Videos []LinkVideo `json:"videos"`
}

// LinkVideo is one received video over a sample.
type LinkVideo struct {
	FPS    float64 `json:"fps"`    // frames decoded over the interval
	Height int     `json:"height"` // frame height at its end
	Gap    float64 `json:"gap"`    // seconds since the last decoded frame
}

// LinkPhase is a stretch at one link setting and its steady state: the
// figures of each video over the phase's second half.
type LinkPhase struct {
	Name   string      `json:"name"`
	From   float64     `json:"from"`
	To     float64     `json:"to"`
	Videos []PhaseView `json:"videos"`
}

// PhaseView is one video in a phase.
type PhaseView struct {
	FPS        float64 `json:"fps"`        // steady state
	MinHeight  int     `json:"minHeight"`  // steady state
	Height     int     `json:"height"`     // most seen in the steady state
	LongestGap float64 `json:"longestGap"` // whole phase, seconds
	SteadyGap  float64 `json:"steadyGap"`  // steady state, seconds
}

// LinkCheck is one target of issue 10 and whether the run met it.
type LinkCheck struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	OK     bool   `json:"ok"`
}

// LinkCharts draws a run: the rates chart (link, estimate, what was sent
// by layer, padding, retransmissions) and the video chart (each video's
// frame rate and height).
func LinkCharts(r *LinkRun) (rates, video template.HTML) {
	n := len(r.Samples)
	xs := make([]float64, n)
	col := func(f func(LinkSample) float64) []float64 {
		out := make([]float64, n)
		for i, s := range r.Samples {
			out[i] = f(s)
		}
		return out
	}
	for i, s := range r.Samples {
		xs[i] = s.At
	}
	known := func(f func(LinkSample) float64) func(LinkSample) float64 {
		return func(s LinkSample) float64 {
			if !s.Server {
				return math.NaN()
			}
			return f(s)
		}
	}
	rc := chart{Title: r.Shape + ": link, estimate and what was sent", Unit: "kbit/s", X: xs, Series: []series{
		{"link", "#222", col(func(s LinkSample) float64 { return s.LinkKbps })},
		{"estimate", purple, col(known(func(s LinkSample) float64 { return s.EstimateKbps }))},
		{"180p", blue, col(known(func(s LinkSample) float64 { return s.LayerKbps[0] }))},
		{"360p", green, col(known(func(s LinkSample) float64 { return s.LayerKbps[1] }))},
		{"720p", orange, col(known(func(s LinkSample) float64 { return s.LayerKbps[2] }))},
		{"padding", "#999", col(known(func(s LinkSample) float64 { return s.PaddingKbps }))},
		{"rtx", red, col(known(func(s LinkSample) float64 { return s.RtxKbps }))},
	}}
	vc := chart{Title: r.Shape + ": each video at the subscriber (fps; height / 24)", Unit: "fps", X: xs}
	palette := [][2]string{{blue, "#9ecae1"}, {orange, "#fdd0a2"}}
	for v := range 2 {
		fps := col(func(s LinkSample) float64 { return videoOf(s, v, func(x LinkVideo) float64 { return x.FPS }) })
		h := col(func(s LinkSample) float64 {
			return videoOf(s, v, func(x LinkVideo) float64 { return float64(x.Height) / 24 })
		})
		vc.Series = append(vc.Series, series{fmt.Sprintf("video %d fps", v+1), palette[v][0], fps},
			series{fmt.Sprintf("video %d height", v+1), palette[v][1], h})
	}
	return rc.svg(), vc.svg()
}

func videoOf(s LinkSample, i int, f func(LinkVideo) float64) float64 {
	if i >= len(s.Videos) {
		return math.NaN()
	}
	return f(s.Videos[i])
}

// WriteLinksHTML writes the runs as one self-contained page, in the style
// of the load report: per shape its checks, phases and two charts.
func WriteLinksHTML(w io.Writer, runs []*LinkRun) error {
	type view struct {
		*LinkRun
		Rates, Video template.HTML
	}
	var page []view
	for _, r := range runs {
		rc, vc := LinkCharts(r)
		page = append(page, view{r, rc, vc})
	}
	t, err := template.New("links").Funcs(template.FuncMap{
		"f": func(format string, v float64) string { return fmt.Sprintf(format, v) },
	}).Parse(linksHTML)
	if err != nil {
		return err
	}
	return t.Execute(w, page)
}

// WriteLinkSVG writes a run's two charts as one standalone SVG, stacked,
// for the README.
func WriteLinkSVG(w io.Writer, r *LinkRun) error {
	rc, vc := LinkCharts(r)
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d"><rect width="100%%" height="100%%" fill="#fff"/>%s<g transform="translate(0 %d)">%s</g></svg>`,
		chartW, 2*chartH, chartW, 2*chartH, rc, chartH, vc)
	return err
}

const linksHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard narrow links</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
` + pageStyle + `<style>.ok{color:#070}</style></head><body>
<h1>Switchboard narrow links</h1>
<p>Two Chromium publishers (fake 720p camera, simulcast) and one Chromium subscriber whose downlink is shaped with tc, sampled every 250 ms.</p>
{{range .}}<h2>{{.Shape}}</h2>
<p>Machine: {{.Machine}}</p>
<table><tr><th>target</th><th>measured</th><th></th></tr>
{{range .Checks}}<tr><td>{{.Target}}</td><td>{{.Got}}</td><td class="{{if .OK}}ok{{else}}err{{end}}">{{if .OK}}met{{else}}missed{{end}}</td></tr>{{end}}</table>
<table><tr><th>phase</th><th class="num">from – to (s)</th><th>each video, steady state: fps, height; longest gap</th></tr>
{{range .Phases}}<tr><td>{{.Name}}</td><td class="num">{{f "%.0f" .From}} – {{f "%.0f" .To}}</td><td>{{range .Videos}}{{f "%.1f" .FPS}} fps at {{.Height}}p (min {{.MinHeight}}p), longest gap {{f "%.2f" .SteadyGap}} s ({{f "%.2f" .LongestGap}} s over the whole phase); {{end}}</td></tr>{{end}}</table>
{{.Rates}}{{.Video}}
{{end}}</body></html>
`
