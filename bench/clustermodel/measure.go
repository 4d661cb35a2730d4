package clustermodel

import (
	"encoding/json"
	"fmt"
	"io"
)

// NodeFigures is one node's steady window in a run's JSON report
// (switchboard-bench --json: summary.nodes[i].metrics, summary.server for
// a single server).
type NodeFigures struct {
	CPUPercent      float64 `json:"cpuPercent"`
	ClientPPS       float64 `json:"clientPacketsOutPerSecond"`
	PacketsOutPPS   float64 `json:"packetsOutPerSecond"`
	RelayOutPPS     float64 `json:"relayPacketsOutPerSecond"`
	RelayInPPS      float64 `json:"relayPacketsInPerSecond"`
	RelayOutMbps    float64 `json:"relayMbpsOut"`
	RelayInMbps     float64 `json:"relayMbpsIn"`
	MicrosPerPacket float64 `json:"cpuMicrosPerForwardedPacket"`
}

// Run is what Measure reads of one switchboard-bench JSON report.
type Run struct {
	Publishers int
	Server     *NodeFigures   // the nodes together, or the one server
	Nodes      []*NodeFigures // a cluster's, in order
	// Subscribers' latency per node, and what one relay hop adds.
	LatencyP50Ms, LatencyP99Ms []float64
	HopP50Ms, HopP99Ms         float64
	Hop                        bool
}

// ReadRun reads a switchboard-bench JSON report.
func ReadRun(r io.Reader) (Run, error) {
	var doc struct {
		Scenario struct {
			Publishers int `json:"publishers"`
		} `json:"scenario"`
		Summary struct {
			Server *NodeFigures `json:"server"`
			Nodes  []struct {
				Latency struct {
					P50 float64 `json:"p50Ms"`
					P99 float64 `json:"p99Ms"`
				} `json:"latency"`
				Metrics *NodeFigures `json:"metrics"`
			} `json:"nodes"`
			RelayHop *struct {
				P50 float64 `json:"addedP50Ms"`
				P99 float64 `json:"addedP99Ms"`
			} `json:"relayHop"`
		} `json:"summary"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return Run{}, fmt.Errorf("reading a benchmark report: %w", err)
	}
	run := Run{Publishers: doc.Scenario.Publishers, Server: doc.Summary.Server}
	for _, n := range doc.Summary.Nodes {
		run.Nodes = append(run.Nodes, n.Metrics)
		run.LatencyP50Ms = append(run.LatencyP50Ms, n.Latency.P50)
		run.LatencyP99Ms = append(run.LatencyP99Ms, n.Latency.P99)
	}
	if h := doc.Summary.RelayHop; h != nil {
		run.Hop, run.HopP50Ms, run.HopP99Ms = true, h.P50, h.P99
	}
	return run, nil
}

// Measured is the relay overhead derived from two runs: the baseline, the
// first node alone with the publishers and its share of the subscribers,
// and the cluster, the same publishers pinned to the first node and the
// subscribers spread over every node.
type Measured struct {
	// BaselineMicros is the first node's CPU per forwarded packet alone:
	// what one packet to a client costs, its share of receiving the
	// publishers' packets included.
	BaselineMicros float64
	// RelaySendMicros is the first node's CPU in the cluster less what
	// its clients cost at the baseline's rate, over the packets it sent
	// to relays: (cpu₁ − baseline·client packets₁) / relayed out₁.
	RelaySendMicros float64
	// RelayRecvMicros is the same for the other nodes, over the packets
	// they received from relays, averaged: (cpuᵢ − baseline·client
	// packetsᵢ) / relayed inᵢ. The baseline's rate includes receiving the
	// publishers' own packets, so this is what a relayed packet costs a
	// node beyond a packet received straight from its publisher.
	RelayRecvMicros float64
	// One published stream (audio + video) as relayed to one node.
	StreamMbps, StreamPPS float64
	HopP50Ms, HopP99Ms    float64
}

// Derive computes the relay overhead; base is the baseline's server,
// nodes the cluster's nodes, the first having the publishers.
func Derive(base *NodeFigures, nodes []*NodeFigures, publishers int) (Measured, error) {
	if base == nil || base.PacketsOutPPS <= 0 || len(nodes) < 2 || publishers < 1 {
		return Measured{}, fmt.Errorf("%w: need the baseline's server figures, two nodes or more and publishers", ErrBadParams)
	}
	for i, n := range nodes {
		if n == nil {
			return Measured{}, fmt.Errorf("%w: node %d has no metrics", ErrBadParams, i+1)
		}
	}
	m := Measured{BaselineMicros: base.MicrosPerPacket}
	if m.BaselineMicros == 0 {
		m.BaselineMicros = 1e4 * base.CPUPercent / base.PacketsOutPPS
	}
	// CPU percent of one core is 1e4 µs per second.
	cost := func(n *NodeFigures) float64 { return 1e4*n.CPUPercent - m.BaselineMicros*n.ClientPPS }
	first := nodes[0]
	if first.RelayOutPPS > 0 {
		m.RelaySendMicros = cost(first) / first.RelayOutPPS
	}
	var sum float64
	var count int
	for _, n := range nodes[1:] {
		if n.RelayInPPS > 0 {
			sum += cost(n) / n.RelayInPPS
			count++
		}
	}
	if count > 0 {
		m.RelayRecvMicros = sum / float64(count)
	}
	peers := float64((len(nodes) - 1) * publishers)
	m.StreamMbps, m.StreamPPS = first.RelayOutMbps/peers, first.RelayOutPPS/peers
	return m, nil
}
