package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestLinkReport: a run's page names its shape, each check and whether it
// was met, and its SVG is well-formed XML with a line for each series
// (the estimate left out where the server made no record).
func TestLinkReport(t *testing.T) {
	run := &LinkRun{Shape: "600k", Machine: "load average 1", Samples: []LinkSample{
		{At: 0, LinkKbps: 600, Server: true, EstimateKbps: 300, LayerKbps: [3]float64{150, 0, 0}, Videos: []LinkVideo{{FPS: 20, Height: 180}, {FPS: 8, Height: 180}}},
		{At: 0.25, LinkKbps: 600, Videos: []LinkVideo{{FPS: 20, Height: 180}, {FPS: 8, Height: 180}}},
		{At: 0.5, LinkKbps: 600, Server: true, EstimateKbps: 320, LayerKbps: [3]float64{160, 0, 0}, Videos: []LinkVideo{{FPS: 24, Height: 180}, {FPS: 12, Height: 180}}},
	}, Checks: []LinkCheck{{Target: "each video ≥ 18 fps", Got: "video 2: 9.3 fps", OK: false}}}
	var page bytes.Buffer
	if err := WriteLinksHTML(&page, []*LinkRun{run}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>600k</h2>", "each video ≥ 18 fps", "video 2: 9.3 fps", "missed", "load average 1"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	var svg bytes.Buffer
	if err := WriteLinkSVG(&svg, run); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&svg)
	lines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			lines++
			for _, a := range el.Attr {
				if a.Name.Local == "points" && strings.Count(a.Value, ",") == 1 {
					t.Errorf("a line of one point: %q", a.Value)
				}
			}
		}
	}
	// Rates: link, estimate, three layers, padding, rtx; video: two
	// series per video.
	if lines != 7+4 {
		t.Errorf("%d lines drawn, want 11", lines)
	}
}
