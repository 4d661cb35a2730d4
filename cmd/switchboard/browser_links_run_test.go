package main

import (
	"fmt"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/report"
	"github.com/switchboard-rtc/switchboard/sfu"
)

const benchSlot = 250 * time.Millisecond

// videoTrack is one received video's samples, and when its decoded frames
// advanced.
type videoTrack struct {
	samples  []pageFrame
	advances []float64 // ms, Date.now()
}

func newVideoTrack(frames []pageFrame, mid string) *videoTrack {
	v := &videoTrack{}
	for _, f := range frames {
		if f.Mid != mid {
			continue
		}
		if n := len(v.samples); n > 0 && f.Frames > v.samples[n-1].Frames {
			v.advances = append(v.advances, f.At)
		}
		v.samples = append(v.samples, f)
	}
	return v
}

// at is the last sample at or before ms (the first if none).
func (v *videoTrack) at(ms float64) pageFrame {
	last := pageFrame{}
	for i, f := range v.samples {
		if f.At > ms && i > 0 {
			break
		}
		last = f
	}
	return last
}

// lastAdvance is when frames last advanced at or before ms, or from.
func (v *videoTrack) lastAdvance(ms, from float64) float64 {
	last := from
	for _, a := range v.advances {
		if a > ms {
			break
		}
		last = max(last, a)
	}
	return last
}

// longestGap is the longest time between frames over [from, to], ms.
func (v *videoTrack) longestGap(from, to float64) float64 {
	prev, gap := from, 0.0
	for _, a := range v.advances {
		if a < from || a > to {
			continue
		}
		gap, prev = max(gap, a-prev), a
	}
	return max(gap, to-prev)
}

// buildLinkRun puts the page's frames and the server's records on the
// 250 ms grid from start, sums up each phase and checks the targets.
func buildLinkRun(shape string, phases []linkPhase, start time.Time, bounds []time.Duration, mids []string, frames []pageFrame, traces []sfu.BWETrace) *report.LinkRun {
	run := &report.LinkRun{Shape: shape}
	recs := subscriberTrace(traces)
	var videos []*videoTrack
	for _, mid := range mids {
		videos = append(videos, newVideoTrack(frames, mid))
	}
	ms := func(d time.Duration) float64 { return float64(start.Add(d).UnixNano()) / 1e6 }
	phaseAt := func(d time.Duration) int {
		for i, b := range bounds {
			if d < b {
				return i
			}
		}
		return len(bounds) - 1
	}
	for d := time.Duration(0); d < bounds[len(bounds)-1]; d += benchSlot {
		s := report.LinkSample{At: d.Seconds(), LinkKbps: float64(phases[phaseAt(d)].kbps)}
		from, to := start.Add(d), start.Add(d+benchSlot)
		for _, r := range recs {
			if r.At.Before(from) || !r.At.Before(to) {
				continue
			}
			s.Server = true
			s.EstimateKbps, s.PaddingKbps, s.RtxKbps, s.Loss = float64(r.Estimate)/1000, float64(r.Padding)/1000, float64(r.Retransmit)/1000, r.Loss
			for _, tr := range r.Tracks {
				for i, b := range tr.LayerSent {
					s.LayerKbps[i] += float64(b) / 1000
				}
			}
			break
		}
		for _, v := range videos {
			a, b := v.at(ms(d)), v.at(ms(d+benchSlot))
			s.Videos = append(s.Videos, report.LinkVideo{
				FPS:    float64(b.Frames-a.Frames) / benchSlot.Seconds(),
				Height: b.Height,
				Gap:    (ms(d+benchSlot) - v.lastAdvance(ms(d+benchSlot), ms(0))) / 1000,
			})
		}
		run.Samples = append(run.Samples, s)
	}
	from := time.Duration(0)
	for i, p := range phases {
		to := bounds[i]
		ph := report.LinkPhase{Name: p.name, From: from.Seconds(), To: to.Seconds()}
		steady := from + (to-from)/2
		for _, v := range videos {
			ph.Videos = append(ph.Videos, phaseView(v, ms(from), ms(steady), ms(to)))
		}
		run.Phases = append(run.Phases, ph)
		from = to
	}
	run.Checks = linkChecks(shape, run, bounds)
	return run
}

// phaseView sums up a video over a phase: its steady state over
// [steady, to], its longest gap over [from, to].
func phaseView(v *videoTrack, from, steady, to float64) report.PhaseView {
	a, b := v.at(steady), v.at(to)
	pv := report.PhaseView{FPS: float64(b.Frames-a.Frames) / ((to - steady) / 1000), MinHeight: 1 << 30,
		LongestGap: v.longestGap(from, to) / 1000, SteadyGap: v.longestGap(steady, to) / 1000}
	seen := map[int]int{}
	for _, f := range v.samples {
		if f.At >= steady && f.At <= to {
			pv.MinHeight = min(pv.MinHeight, f.Height)
			seen[f.Height]++
			if seen[f.Height] > seen[pv.Height] {
				pv.Height = f.Height
			}
		}
	}
	if pv.MinHeight == 1<<30 {
		pv.MinHeight = 0
	}
	return pv
}

// linkChecks are issue 10's targets for the shape.
func linkChecks(shape string, run *report.LinkRun, bounds []time.Duration) []report.LinkCheck {
	ph := run.Phases[0]
	each := func(target string, ok func(report.PhaseView) bool) report.LinkCheck {
		c := report.LinkCheck{Target: target, OK: len(ph.Videos) == 2}
		for i, v := range ph.Videos {
			c.Got += fmt.Sprintf("video %d: %.1f fps at %dp (min %dp), longest gap %.2f s (%.2f s over the phase, its start included); ", i+1, v.FPS, v.Height, v.MinHeight, v.SteadyGap, v.LongestGap)
			c.OK = c.OK && ok(v)
		}
		return c
	}
	switch shape {
	case "300k":
		return []report.LinkCheck{each("each video ≥ 12 fps at ≥ 180p, no gap over 1 s", func(v report.PhaseView) bool {
			return v.FPS >= 12 && v.MinHeight >= 180 && v.SteadyGap <= 1
		})}
	case "600k":
		c := each("each video ≥ 18 fps at ≥ 180p, or one at ≥ 360p ≥ 12 fps", func(v report.PhaseView) bool { return v.FPS >= 18 && v.MinHeight >= 180 })
		if !c.OK && len(ph.Videos) == 2 {
			for i, v := range ph.Videos {
				o := ph.Videos[1-i]
				c.OK = c.OK || v.MinHeight >= 360 && v.FPS >= 12 && o.FPS >= 12 && o.MinHeight >= 180
			}
		}
		return []report.LinkCheck{c}
	case "1500k":
		return []report.LinkCheck{each("each video ≥ 360p at ≥ 15 fps", func(v report.PhaseView) bool { return v.FPS >= 15 && v.MinHeight >= 360 })}
	case "2m-loss5":
		return []report.LinkCheck{each("each video stays at ≥ 360p", func(v report.PhaseView) bool { return v.MinHeight >= 360 })}
	case "step":
		return stepChecks(run, bounds)
	}
	return nil
}

// stepChecks: down within 2 s of the narrowing with no gap over 1 s, back
// to 720p within 10 s of the lift.
func stepChecks(run *report.LinkRun, bounds []time.Duration) []report.LinkCheck {
	down, lift := bounds[0].Seconds(), bounds[1].Seconds()
	downAt, upAt := -1.0, -1.0
	gap := 0.0
	for _, s := range run.Samples {
		sent := s.LayerKbps[0] + s.LayerKbps[1] + s.LayerKbps[2]
		if s.At >= down && s.At < lift && downAt < 0 && sent <= 300 {
			downAt = s.At - down
		}
		if s.At >= down {
			for _, v := range s.Videos {
				gap = max(gap, v.Gap)
			}
		}
		if s.At >= lift && upAt < 0 && len(s.Videos) == 2 && s.Videos[0].Height >= 720 && s.Videos[1].Height >= 720 {
			upAt = s.At - lift
		}
	}
	return []report.LinkCheck{
		{Target: "down within 2 s of 2 Mbit/s → 300 kbit/s", Got: fmt.Sprintf("media sent ≤ 300 kbit/s %.2f s after", downAt), OK: downAt >= 0 && downAt <= 2},
		{Target: "no gap over 1 s from the narrowing on", Got: fmt.Sprintf("longest gap %.2f s", gap), OK: gap <= 1},
		{Target: "both at 720p within 10 s of the lift", Got: fmt.Sprintf("%.2f s after (-1: never)", upAt), OK: upAt >= 0 && upAt <= 10},
	}
}
