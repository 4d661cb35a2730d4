package main

import (
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/report"
)

// TestLinkChecks: issue 10's targets as make bench-links judges them, on
// made-up phases.
func TestLinkChecks(t *testing.T) {
	video := func(fps float64, height, minHeight int, gap float64) report.PhaseView {
		return report.PhaseView{FPS: fps, Height: height, MinHeight: minHeight, SteadyGap: gap, LongestGap: gap}
	}
	phase := func(videos ...report.PhaseView) *report.LinkRun {
		return &report.LinkRun{Phases: []report.LinkPhase{{Videos: videos}}}
	}
	tests := []struct {
		shape string
		run   *report.LinkRun
		want  bool
	}{
		{"300k", phase(video(12, 180, 180, 0.5), video(13, 180, 180, 1)), true},
		{"300k", phase(video(12, 180, 180, 0.5), video(11.9, 180, 180, 0.5)), false},
		{"300k", phase(video(12, 180, 180, 1.1), video(12, 180, 180, 0.5)), false},
		{"600k", phase(video(18, 180, 180, 0.3), video(18, 180, 180, 0.3)), true},
		{"600k", phase(video(12, 360, 360, 0.3), video(12, 180, 180, 0.3)), true}, // one at 360p ≥ 12 fps
		{"600k", phase(video(17, 180, 180, 0.3), video(18, 180, 180, 0.3)), false},
		{"1500k", phase(video(15, 360, 360, 0.3), video(15, 720, 360, 0.3)), true},
		{"1500k", phase(video(15, 360, 180, 0.3), video(15, 720, 360, 0.3)), false},
		{"2m-loss5", phase(video(5, 360, 360, 0.3), video(5, 720, 360, 0.3)), true},
		{"2m-loss5", phase(video(30, 360, 180, 0.3), video(30, 720, 720, 0.3)), false},
		{"600k", phase(video(30, 180, 180, 0.3)), false}, // one video is no meeting of two
	}
	for _, tt := range tests {
		checks := linkChecks(tt.shape, tt.run, []time.Duration{40 * time.Second})
		if len(checks) != 1 || checks[0].OK != tt.want {
			t.Errorf("%s %+v: checks %+v, want ok %v", tt.shape, tt.run.Phases[0].Videos, checks, tt.want)
		}
	}
}

// TestStepChecks: down within 2 s of the narrowing, no gap over 1 s from
// it on, both back at 720p within 10 s of the lift.
func TestStepChecks(t *testing.T) {
	bounds := []time.Duration{20 * time.Second, 40 * time.Second, 65 * time.Second}
	// run makes a sample every 250 ms: at 2 Mbit/s both at 720p sending
	// 1500 kbit/s; narrowed, 250 kbit/s at 180p from downAfter on; lifted,
	// 720p again from upAfter on; gap is every video's gap at 30 s.
	run := func(downAfter, upAfter, gap float64) *report.LinkRun {
		r := &report.LinkRun{}
		for at := 0.0; at < 65; at += 0.25 {
			s := report.LinkSample{At: at, LayerKbps: [3]float64{0, 0, 1500}}
			h := 720
			if at >= 20+downAfter && at < 40+upAfter {
				s.LayerKbps, h = [3]float64{250, 0, 0}, 180
			}
			g := 0.05
			if at == 30 {
				g = gap
			}
			s.Videos = []report.LinkVideo{{FPS: 30, Height: h, Gap: g}, {FPS: 30, Height: h, Gap: g}}
			r.Samples = append(r.Samples, s)
		}
		return r
	}
	tests := []struct {
		name                      string
		downAfter, upAfter, gap   float64
		wantDown, wantGap, wantUp bool
	}{
		{"all met", 1, 8, 0.5, true, true, true},
		{"down too slowly", 2.5, 8, 0.5, false, true, true},
		{"a freeze", 1, 8, 1.5, true, false, true},
		{"back too slowly", 1, 12, 0.5, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stepChecks(run(tt.downAfter, tt.upAfter, tt.gap), bounds)
			if c[0].OK != tt.wantDown || c[1].OK != tt.wantGap || c[2].OK != tt.wantUp {
				t.Fatalf("checks %+v, want %v %v %v", c, tt.wantDown, tt.wantGap, tt.wantUp)
			}
		})
	}
}
