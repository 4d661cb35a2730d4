package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// logStall logs, around a watched video's longest stop, what the page
// sampled (frames received and decoded, NACKs, PLIs, freezes) and what the
// server's bandwidth controller recorded for the subscriber named sub
// (/debug/bwe): where the time of a stall went.
func logStall(t *testing.T, p playback, traces []sfu.BWETrace, sub string) {
	t.Helper()
	from := p.stopEnd.Add(-p.longestStop - 2*time.Second)
	to := p.stopEnd.Add(time.Second)
	var b strings.Builder
	fmt.Fprintf(&b, "longest stop %v, ended %s; page samples:\n", p.longestStop.Round(10*time.Millisecond), p.stopEnd.Format("15:04:05.000"))
	for _, s := range p.samples {
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		v := s.v
		fmt.Fprintf(&b, "  %s w%d recv %d dec %d drop %d kf %d pkts %d lost %d nack %d pli %d freezes %d\n",
			s.at.Format("15:04:05.000"), v.FrameWidth, v.FramesReceived, v.FramesDecoded, v.FramesDropped, v.KeyFrames,
			v.PacketsReceived, v.PacketsLost, v.NackCount, v.PliCount, v.FreezeCount)
	}
	for _, tr := range traces {
		if tr.Name != sub {
			continue
		}
		b.WriteString("server records:\n")
		for _, r := range tr.Records {
			if r.At.Before(from) || r.At.After(to) {
				continue
			}
			fmt.Fprintf(&b, "  %s est %d target %d loss %.2f overuse %v sent %d pad %d rtx %d probing %v",
				r.At.Format("15:04:05.000"), r.Estimate, r.Target, r.Loss, r.Overuse, r.Sent, r.Padding, r.Retransmit, r.Probing)
			for _, tk := range r.Tracks {
				fmt.Fprintf(&b, " | cur %d tgt %d tid %d step %d layers %v", tk.Current, tk.Target, tk.Temporal, tk.Step, tk.LayerSent)
			}
			b.WriteString("\n")
		}
	}
	t.Log(b.String())
}

// keepStallTrace writes, when STALL_TRACE names a file, every page sample
// of p and every server record (/debug/bwe) as JSON, for looking into a
// run's stalls after it.
func keepStallTrace(t *testing.T, p playback, traces []sfu.BWETrace) {
	t.Helper()
	f := os.Getenv("STALL_TRACE")
	if f == "" {
		return
	}
	type sample struct {
		At time.Time `json:"at"`
		videoIn
	}
	out := struct {
		Samples []sample       `json:"samples"`
		Traces  []sfu.BWETrace `json:"traces"`
	}{Traces: traces}
	for _, s := range p.samples {
		out.Samples = append(out.Samples, sample{s.at, s.v})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
