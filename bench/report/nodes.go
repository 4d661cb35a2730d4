package report

import (
	"fmt"

	"github.com/switchboard-rtc/switchboard/bench/hist"
	"github.com/switchboard-rtc/switchboard/bench/load"
)

// Node is one node of a cluster run: who joined it, what its subscribers
// received, and with metrics what it spent.
type Node struct {
	URL         string `json:"url"`
	Publishers  int    `json:"publishers"`  // that joined it
	Subscribers int    `json:"subscribers"` // that joined it
	// Latency is the one-way delay of every packet its subscribers
	// received, over the run.
	Latency Dist         `json:"latency"`
	Metrics *NodeMetrics `json:"metrics,omitempty"`
}

// NodeMetrics is what a node's /metrics said over the steady window (the
// same window as Server's). Packet rates are per second; "out" counts
// retransmissions, as Server.PacketsOut does.
type NodeMetrics struct {
	WindowSeconds float64 `json:"windowSeconds"`
	CPUSeconds    float64 `json:"cpuSeconds"`
	CPUPercent    float64 `json:"cpuPercent"` // of one core
	// PacketsOutPerSec is every packet the node sent: to its clients and
	// over relays to other nodes (the SFU counts a relay as a subscriber).
	PacketsOutPerSec       float64 `json:"packetsOutPerSecond"`
	ClientPacketsOutPerSec float64 `json:"clientPacketsOutPerSecond"`
	RelayPacketsOutPerSec  float64 `json:"relayPacketsOutPerSecond"`
	// PacketsInPerSec is from its publishers and from other nodes' relays.
	PacketsInPerSec      float64 `json:"packetsInPerSecond"`
	RelayPacketsInPerSec float64 `json:"relayPacketsInPerSecond"`
	RelayMbpsOut         float64 `json:"relayMbpsOut"`
	RelayMbpsIn          float64 `json:"relayMbpsIn"`
	// MicrosPerPacket is its CPU time over PacketsOut: the same figure as
	// Server.MicrosPerPacket, for this node alone.
	MicrosPerPacket float64 `json:"cpuMicrosPerForwardedPacket"`
	// Over the whole run: NACKs other nodes sent this node's relays.
	RelayNACKsReceived float64 `json:"relayNacksReceived"`
	// At the end, everyone in.
	RelayStreamsOut float64 `json:"relayStreamsOut"`
	RelayStreamsIn  float64 `json:"relayStreamsIn"`
	ClusterNodes    float64 `json:"clusterNodes"`
	RSSBytes        float64 `json:"rssBytes"`
}

// RelayHop compares the subscribers of the first node, where the
// publishers are (Scenario.PinPublishers), with those of the others, whose
// every packet crossed one relay: the latency one hop adds.
type RelayHop struct {
	FirstNode  Dist `json:"firstNode"`
	OtherNodes Dist `json:"otherNodes"`
	// The differences, other nodes minus first node, in milliseconds.
	AddedP50Ms float64 `json:"addedP50Ms"`
	AddedP99Ms float64 `json:"addedP99Ms"`
}

// summarizeNodes is nil for a run against one server.
func summarizeNodes(res *load.Result) []Node {
	urls := res.Scenario.Nodes()
	if len(urls) < 2 {
		return nil
	}
	out := make([]Node, len(urls))
	for i, u := range urls {
		out[i].URL = u
		if i < len(res.NodeLatency) {
			out[i].Latency = histDist(&res.NodeLatency[i])
		}
	}
	for _, p := range res.Participants {
		if p.Node < 0 || p.Node >= len(out) {
			continue
		}
		if p.Role == load.Publisher {
			out[p.Node].Publishers++
		} else {
			out[p.Node].Subscribers++
		}
	}
	first, last := steadyWindow(res.Samples)
	if first < 0 {
		return out
	}
	for i := range out {
		out[i].Metrics = nodeMetrics(res, i, first, last)
	}
	return out
}

// nodeMetrics is node i's figures over samples first to last; nil when the
// samples lack it.
func nodeMetrics(res *load.Result, i, first, last int) *NodeMetrics {
	at := func(k int) *load.ServerSnapshot {
		if s := res.Samples[k]; i < len(s.Nodes) {
			return s.Nodes[i]
		}
		return nil
	}
	a, b := at(first), at(last)
	if a == nil || b == nil {
		return nil
	}
	m := &NodeMetrics{
		RelayStreamsOut: b.RelayStreamsOut, RelayStreamsIn: b.RelayStreamsIn,
		ClusterNodes: b.ClusterNodes, RSSBytes: b.RSSBytes,
	}
	if i < len(res.NodesIdle) && i < len(res.NodesEnd) && res.NodesIdle[i] != nil && res.NodesEnd[i] != nil {
		m.RelayNACKsReceived = res.NodesEnd[i].RelayNACKsReceived - res.NodesIdle[i].RelayNACKsReceived
	}
	m.WindowSeconds = (b.At - a.At).Seconds()
	if m.WindowSeconds <= 0 {
		return m
	}
	secs := m.WindowSeconds
	m.CPUSeconds = b.CPUSeconds - a.CPUSeconds
	m.CPUPercent = 100 * m.CPUSeconds / secs
	out := (b.PacketsOut + b.Retransmitted) - (a.PacketsOut + a.Retransmitted)
	relayOut := b.RelayPacketsOut - a.RelayPacketsOut
	m.PacketsOutPerSec = out / secs
	m.RelayPacketsOutPerSec = relayOut / secs
	m.ClientPacketsOutPerSec = (out - relayOut) / secs
	m.PacketsInPerSec = (b.PacketsIn - a.PacketsIn) / secs
	m.RelayPacketsInPerSec = (b.RelayPacketsIn - a.RelayPacketsIn) / secs
	m.RelayMbpsOut = (b.RelayBytesOut - a.RelayBytesOut) * 8 / secs / 1e6
	m.RelayMbpsIn = (b.RelayBytesIn - a.RelayBytesIn) * 8 / secs / 1e6
	if out > 0 {
		m.MicrosPerPacket = 1e6 * m.CPUSeconds / out
	}
	return m
}

// relayHop is nil unless the publishers were pinned to the first of
// several nodes.
func relayHop(res *load.Result) *RelayHop {
	if !res.Scenario.PinPublishers || len(res.NodeLatency) < 2 {
		return nil
	}
	var others hist.Histogram
	for i := 1; i < len(res.NodeLatency); i++ {
		others.Add(&res.NodeLatency[i])
	}
	h := &RelayHop{FirstNode: histDist(&res.NodeLatency[0]), OtherNodes: histDist(&others)}
	if h.FirstNode.N == 0 || h.OtherNodes.N == 0 {
		return h
	}
	h.AddedP50Ms = msOf(h.OtherNodes.P50 - h.FirstNode.P50)
	h.AddedP99Ms = msOf(h.OtherNodes.P99 - h.FirstNode.P99)
	return h
}

// histDist is a histogram's usual points.
func histDist(h *hist.Histogram) Dist {
	return Dist{N: int(h.Count()), P50: h.Quantile(0.50), P95: h.Quantile(0.95), P99: h.Quantile(0.99), Max: h.Max()}
}

// nodeRows lays out the per-node figures for the summary table.
func nodeRows(s Summary) []row {
	var out []row
	for i, n := range s.Nodes {
		name := fmt.Sprintf("node %d", i+1)
		out = append(out, row{name, fmt.Sprintf("%s: %d publishers, %d subscribers; subscribers' latency %s",
			n.URL, n.Publishers, n.Subscribers, dist(n.Latency, "p50", "p99"))})
		m := n.Metrics
		if m == nil {
			continue
		}
		out = append(out, row{name + " CPU and packets", fmt.Sprintf(
			"%.0f %% of one core; out %.0f/s (clients %.0f + relays %.0f); in %.0f/s (relayed %.0f); %.2f µs per forwarded packet",
			m.CPUPercent, m.PacketsOutPerSec, m.ClientPacketsOutPerSec, m.RelayPacketsOutPerSec,
			m.PacketsInPerSec, m.RelayPacketsInPerSec, m.MicrosPerPacket)})
		relays := fmt.Sprintf("out %.2f Mbit/s (%.0f streams), in %.2f Mbit/s (%.0f streams); NACKs from other nodes %.0f",
			m.RelayMbpsOut, m.RelayStreamsOut, m.RelayMbpsIn, m.RelayStreamsIn, m.RelayNACKsReceived)
		if m.ClusterNodes > 0 {
			relays += fmt.Sprintf("; it sees %.0f nodes", m.ClusterNodes)
		}
		out = append(out, row{name + " relays", relays})
	}
	if h := s.RelayHop; h != nil {
		out = append(out, row{"latency one relay hop adds", fmt.Sprintf(
			"p50 %+.2f ms, p99 %+.2f ms  (subscribers on node 1: %s; on the others: %s)",
			h.AddedP50Ms, h.AddedP99Ms, dist(h.FirstNode, "p50", "p99"), dist(h.OtherNodes, "p50", "p99"))})
	}
	return out
}
