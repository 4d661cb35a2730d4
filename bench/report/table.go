package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// scenarioView is the scenario as the report describes it.
type scenarioView load.Scenario

func (sc scenarioView) describe() string {
	mode := "single stream"
	if sc.Simulcast {
		mode = "3-layer simulcast"
	}
	out := fmt.Sprintf("%d room(s) × (%d publishers + %d subscribers), video %.2f Mbit/s %s + Opus, %s",
		sc.Rooms, sc.Publishers, sc.Subscribers, float64(sc.Bitrate)/1e6, mode, sc.Duration.Round(time.Second))
	if n := len(load.Scenario(sc).Nodes()); n > 1 {
		where := "publishers and subscribers each round-robin"
		if sc.PinPublishers {
			where = "publishers on node 1, subscribers round-robin"
		}
		out += fmt.Sprintf(", over %d nodes (%s)", n, where)
	}
	return out
}

// WriteTable writes the summary as a two-column table for a terminal.
func WriteTable(w io.Writer, res *load.Result, s Summary) error {
	rs := rows(scenarioView(res.Scenario), s)
	width := 0
	for _, r := range rs {
		width = max(width, utf8.RuneCountInString(r.Name))
	}
	var b strings.Builder
	rule := strings.Repeat("─", width+2+60) + "\n"
	b.WriteString(rule)
	for _, r := range rs {
		fmt.Fprintf(&b, "%s%s  %s\n", r.Name, strings.Repeat(" ", width-utf8.RuneCountInString(r.Name)), r.Value)
	}
	b.WriteString(rule)
	for _, e := range s.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ProgressLine is the one-line state of a running test, for the terminal.
func ProgressLine(s load.Sample) string {
	line := fmt.Sprintf("[%4.0fs] participants %d/%d  out %.2f Mbit/s  in %.2f Mbit/s  loss %.2f%%  latency p50 %s p99 %s",
		s.At.Seconds(), s.Connected, s.Expected, s.MbpsOut, s.MbpsIn, s.LossPercent, ms(s.LatencyP50), ms(s.LatencyP99))
	if s.Server != nil {
		line += fmt.Sprintf("  server cpu %.0f%% rss %s goroutines %.0f fds %.0f", s.ServerCPUPercent, bytesIEC(s.Server.RSSBytes),
			s.Server.Goroutines, s.Server.OpenFDs)
	}
	if len(s.NodeCPUPercent) > 0 {
		line += "  nodes cpu"
		for i, c := range s.NodeCPUPercent {
			sep := "/"
			if i == 0 {
				sep = " "
			}
			line += fmt.Sprintf("%s%.0f%%", sep, c)
		}
	}
	if s.ClientCPUPercent > 0 {
		line += fmt.Sprintf("  bench cpu %.0f%%", s.ClientCPUPercent)
	}
	return line
}
