package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// series is one line of a chart.
type series struct {
	Name  string
	Color string
	Y     []float64 // one per X; NaN for no value
}

// chart is a line chart over time, drawn as inline SVG so that the report
// needs nothing but itself.
type chart struct {
	Title  string
	Unit   string
	X      []float64 // seconds
	Series []series
}

const (
	chartW, chartH            = 760, 240
	padL, padR, padT, padB    = 64, 16, 30, 34
	plotW, plotH              = chartW - padL - padR, chartH - padT - padB
	yTicks                    = 4
	chartFontFamily           = `font-family="system-ui,sans-serif"`
	chartFont                 = chartFontFamily + ` font-size="11"`
	gridColor, axisTextColor  = "#ddd", "#555"
	maxXTicks, minXTickPixels = 10, 60
	legendGap, legendCharW    = 12, 7
)

// niceCeil is the smallest 1, 2 or 5 × 10^k at or above v.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// svg draws the chart.
func (c chart) svg() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(c.Title))
	// One font-size per element: a standalone SVG is XML, where a
	// repeated attribute is an error (HTML forgives it).
	fmt.Fprintf(&b, `<text x="%d" y="18" %s font-size="13" font-weight="600">%s <tspan font-weight="400" fill="%s">(%s)</tspan></text>`,
		padL, chartFontFamily, html.EscapeString(c.Title), axisTextColor, html.EscapeString(c.Unit))
	xMax, yMax := 1.0, 0.0
	for _, x := range c.X {
		xMax = max(xMax, x)
	}
	for _, s := range c.Series {
		for _, y := range s.Y {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				yMax = max(yMax, y)
			}
		}
	}
	yMax = niceCeil(yMax/yTicks) * yTicks // ticks at round values
	px := func(x float64) float64 { return padL + x/xMax*plotW }
	py := func(y float64) float64 { return padT + plotH - y/yMax*plotH }
	for i := 0; i <= yTicks; i++ {
		v := yMax * float64(i) / yTicks
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, padL, y, padL+plotW, y, gridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s" %s>%s</text>`, padL-6, y+4, axisTextColor, chartFont, tickLabel(v))
	}
	step := niceCeil(xMax / maxXTicks)
	for step*plotW/xMax < minXTickPixels {
		step = niceCeil(step * 1.5)
	}
	for x := 0.0; x <= xMax+1e-9; x += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s" %s>%ss</text>`, px(x), padT+plotH+16, axisTextColor, chartFont, tickLabel(x))
	}
	legendX := padL + plotW
	for i := len(c.Series) - 1; i >= 0; i-- {
		s := c.Series[i]
		fmt.Fprintf(&b, `<text x="%d" y="18" text-anchor="end" fill="%s" %s>■ %s</text>`, legendX, s.Color, chartFont, html.EscapeString(s.Name))
		legendX -= legendGap + legendCharW*(len([]rune(s.Name))+2)
	}
	for _, s := range c.Series {
		var pts []string
		for i, y := range s.Y {
			if i >= len(c.X) || math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(c.X[i]), py(y)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, s.Color, strings.Join(pts, " "))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from numbers and escaped text
}

// tickLabel prints an axis value without needless decimals.
func tickLabel(v float64) string {
	switch {
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case v*10 == math.Trunc(v*10):
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2g", v)
}
