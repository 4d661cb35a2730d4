package report

import (
	"fmt"
	"time"
)

// ms formats a duration in milliseconds, with precision where it matters.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 1000:
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.2f s", v/1000)
}

// bytesIEC formats a byte count in binary units.
func bytesIEC(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for ; i < len(units)-1 && (b >= 1024 || b <= -1024); i++ {
		b /= 1024
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", b, units[i])
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// dist formats a distribution's points.
func dist(d Dist, points ...string) string {
	if d.N == 0 {
		return "n/a"
	}
	out := ""
	for _, p := range points {
		v := map[string]time.Duration{"p50": d.P50, "p95": d.P95, "p99": d.P99, "max": d.Max}[p]
		if out != "" {
			out += "  "
		}
		out += p + " " + ms(v)
	}
	return out
}

// row is one line of the summary table, shared by the terminal and HTML.
type row struct{ Name, Value string }

// connectedRow says how many connected, and with churn how many vanished
// and were replaced.
func connectedRow(s Summary) string {
	if s.Churned == 0 {
		return fmt.Sprintf("%d / %d", s.Connected, s.Expected)
	}
	return fmt.Sprintf("%d / %d  (%d vanished and were replaced: churn)", s.Connected-s.Churned, s.Expected, s.Churned)
}

// rows lays the summary out, in the order people read it.
func rows(sc scenarioView, s Summary) []row {
	out := []row{
		{"scenario", sc.describe()},
		{"participants connected", connectedRow(s)},
		{"join time (to media connected)", dist(s.JoinTime, "p50", "p95", "max")},
		{"time to first frame", dist(s.FirstFrame, "p50", "p95", "max")},
		{"per-subscriber bitrate", fmt.Sprintf("mean %.2f Mbit/s  min %.2f Mbit/s", s.SubscriberMbpsMean, s.SubscriberMbpsMin)},
		{"loss before NACK recovery", fmt.Sprintf("%.3f %%  (%d late of %d)", s.LossBeforeNACKPct, s.PacketsLate, s.PacketsExpected)},
		{"loss after NACK recovery", fmt.Sprintf("%.3f %%  (%d missing)", s.LossAfterNACKPct, s.PacketsMissing)},
		{"NACKs sent", fmt.Sprintf("%d  (%d packets asked for)", s.NACKsSent, s.NACKedPackets)},
		{"PLIs sent", fmt.Sprintf("%d", s.PLIsSent)},
		{"latency (one-way)", dist(s.Latency, "p50", "p95", "p99", "max")},
		{"duplicates / damaged payloads", fmt.Sprintf("%d / %d", s.Duplicates, s.PayloadErrors)},
		{"subscribed tracks", fmt.Sprintf("%d", s.SubscribedTracks)},
	}
	if s.FloorMicrosPerPacket > 0 {
		out = append(out, row{"floor (SRTP " + s.FloorProfile + " + UDP write)", fmt.Sprintf("%.2f µs per packet", s.FloorMicrosPerPacket)})
	}
	if s.FloorAwakeMicrosPerPacket > 0 {
		out = append(out, row{"floor, receivers awake", fmt.Sprintf("%.2f µs per packet  (to %d sockets in turn, each read as it arrives)",
			s.FloorAwakeMicrosPerPacket, s.FloorAwakeReaders)})
	}
	srv := s.Server
	if srv == nil {
		return append(append(append(out, row{"server", "no metrics (--metrics URL)"}), nodeRows(s)...), soakRows(s.Soak)...)
	}
	perPacket := fmt.Sprintf("%.2f µs", srv.MicrosPerPacket)
	switch {
	case srv.FloorRatio > 0 && s.FloorAwakeMicrosPerPacket > 0:
		perPacket += fmt.Sprintf("  (%.2f× the floor, %.2f× the floor with receivers awake)",
			srv.FloorRatio, srv.MicrosPerPacket/s.FloorAwakeMicrosPerPacket)
	case srv.FloorRatio > 0:
		perPacket += fmt.Sprintf("  (%.2f× the floor)", srv.FloorRatio)
	}
	if len(s.Nodes) > 0 {
		out = append(out, row{"server", fmt.Sprintf("the %d nodes together (per node below)", len(s.Nodes))})
	}
	return append(append(out,
		row{"server CPU (steady window)", fmt.Sprintf("%.1f s in %.0f s: %.0f %% of one core", srv.CPUSeconds, srv.WindowSeconds, srv.CPUPercent)},
		row{"server packets", fmt.Sprintf("in %.0f/s  forwarded %.0f/s", srv.PacketsInPerSec, srv.PacketsOutPerSec)},
		row{"server CPU per forwarded packet", perPacket},
		row{"server memory", fmt.Sprintf("RSS %s (idle %s)  live heap %s (idle %s)", bytesIEC(srv.RSSBytes), bytesIEC(srv.IdleRSSBytes), bytesIEC(srv.HeapBytes), bytesIEC(srv.IdleHeapBytes))},
		row{"server memory per subscribed track", fmt.Sprintf("live heap %s  RSS %s", bytesIEC(srv.HeapPerTrackBytes), bytesIEC(srv.RSSPerTrackBytes))},
		row{"server NACKs / retransmissions / PLIs", fmt.Sprintf("%.0f / %.0f / %.0f", srv.NACKsReceived, srv.Retransmitted, srv.PLIsReceived)},
	), append(nodeRows(s), soakRows(s.Soak)...)...)
}
