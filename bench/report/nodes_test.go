package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/hist"
	"github.com/switchboard-rtc/switchboard/bench/load"
)

// clusterResult is a run over three nodes, the publisher pinned to the
// first: node 1 relays to the two others. Its window is samples 2 to 3
// (one after everyone connected), 2 s long.
func clusterResult() *load.Result {
	type fig struct{ cpu, out, relayOut, in, relayIn, relayBytesOut, relayBytesIn float64 }
	snap := func(at time.Duration, f fig) *load.ServerSnapshot {
		return &load.ServerSnapshot{At: at, CPUSeconds: f.cpu, PacketsOut: f.out, RelayPacketsOut: f.relayOut,
			PacketsIn: f.in, RelayPacketsIn: f.relayIn, RelayBytesOut: f.relayBytesOut, RelayBytesIn: f.relayBytesIn,
			RelayStreamsOut: f.relayOut / 1000, ClusterNodes: 3, RSSBytes: 1 << 20}
	}
	// Each node's figures at the window's start and end.
	start := []fig{{cpu: 1, out: 1000}, {cpu: 1}, {cpu: 2}}
	end := []fig{
		{cpu: 1.4, out: 1000 + 40000, relayOut: 8000, in: 4000, relayBytesOut: 1e6}, // 0.4 s for 40000 packets, 8000 to relays
		{cpu: 1.2, out: 20000, in: 4000, relayIn: 4000, relayBytesIn: 500_000},      // 0.2 s for 20000
		{cpu: 2.25, out: 10000, in: 4000, relayIn: 4000, relayBytesIn: 500_000},     // 0.25 s for 10000
	}
	nodesAt := func(at time.Duration, fs []fig) []*load.ServerSnapshot {
		out := make([]*load.ServerSnapshot, len(fs))
		for i, f := range fs {
			out[i] = snap(at, f)
		}
		return out
	}
	sample := func(at time.Duration, connected int, fs []fig) load.Sample {
		nodes := nodesAt(at, fs)
		return load.Sample{At: at, Connected: connected, Nodes: nodes, Server: sumOf(nodes), NodeCPUPercent: []float64{1, 2, 3}}
	}
	lat := make([]hist.Histogram, 3)
	for i := range 100 {
		lat[0].Record(time.Duration(i+1) * time.Millisecond / 10) // 0.1 to 10 ms
		lat[1].Record(time.Duration(i+1)*time.Millisecond/10 + 2*time.Millisecond)
		lat[2].Record(time.Duration(i+1)*time.Millisecond/10 + 2*time.Millisecond)
	}
	urls := []string{"ws://n1/ws", "ws://n2/ws", "ws://n3/ws"}
	res := &load.Result{
		Scenario: load.Scenario{URL: urls[0], URLs: urls, PinPublishers: true, Rooms: 1, Publishers: 1, Subscribers: 4,
			Duration: 3 * time.Second, Bitrate: 500_000, RoomPrefix: "c"},
		Start: time.Unix(1_700_000_000, 0), Elapsed: 3 * time.Second,
		Samples: []load.Sample{
			sample(time.Second, 5, []fig{{}, {}, {}}),
			sample(2*time.Second, 5, start),
			sample(4*time.Second, 5, end),
		},
		Participants: []load.ParticipantResult{
			{Role: load.Publisher, Node: 0, Connected: time.Millisecond},
			{Role: load.Subscriber, Node: 0, Connected: time.Millisecond},
			{Role: load.Subscriber, Node: 1, Connected: time.Millisecond},
			{Role: load.Subscriber, Node: 2, Connected: time.Millisecond},
			{Role: load.Subscriber, Node: 0, Connected: time.Millisecond},
		},
		NodeLatency: lat,
		NodesIdle:   nodesAt(0, []fig{{}, {}, {}}),
		NodesEnd:    nodesAt(4*time.Second, end),
	}
	res.NodesEnd[0].RelayNACKsReceived = 7
	res.ServerIdle, res.ServerEnd = sumOf(res.NodesIdle), sumOf(res.NodesEnd)
	return res
}

// sumOf adds up the figures the report reads, as load does for a cluster.
func sumOf(nodes []*load.ServerSnapshot) *load.ServerSnapshot {
	s := &load.ServerSnapshot{At: nodes[0].At}
	for _, n := range nodes {
		s.CPUSeconds += n.CPUSeconds
		s.PacketsOut += n.PacketsOut
		s.PacketsIn += n.PacketsIn
		s.RelayPacketsOut += n.RelayPacketsOut
		s.RSSBytes += n.RSSBytes
	}
	return s
}

func TestNodeSummary(t *testing.T) {
	s := Summarize(clusterResult())
	if len(s.Nodes) != 3 {
		t.Fatalf("%d nodes", len(s.Nodes))
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"node 1 publishers", float64(s.Nodes[0].Publishers), 1},
		{"node 1 subscribers", float64(s.Nodes[0].Subscribers), 2},
		{"node 2 subscribers", float64(s.Nodes[1].Subscribers), 1},
		{"node 3 publishers", float64(s.Nodes[2].Publishers), 0},
		{"node 1 window", s.Nodes[0].Metrics.WindowSeconds, 2},
		{"node 1 CPU %", s.Nodes[0].Metrics.CPUPercent, 20},
		{"node 1 out/s", s.Nodes[0].Metrics.PacketsOutPerSec, 20000},
		{"node 1 to clients/s", s.Nodes[0].Metrics.ClientPacketsOutPerSec, 16000},
		{"node 1 relayed out/s", s.Nodes[0].Metrics.RelayPacketsOutPerSec, 4000},
		{"node 1 relay Mbit/s out", s.Nodes[0].Metrics.RelayMbpsOut, 4},
		{"node 1 µs per packet", s.Nodes[0].Metrics.MicrosPerPacket, 10},
		{"node 1 relay NACKs", s.Nodes[0].Metrics.RelayNACKsReceived, 7},
		{"node 1 relay streams out", s.Nodes[0].Metrics.RelayStreamsOut, 8},
		{"node 2 µs per packet", s.Nodes[1].Metrics.MicrosPerPacket, 10},
		{"node 2 relayed in/s", s.Nodes[1].Metrics.RelayPacketsInPerSec, 2000},
		{"node 2 relay Mbit/s in", s.Nodes[1].Metrics.RelayMbpsIn, 2},
		{"node 2 relayed out/s", s.Nodes[1].Metrics.RelayPacketsOutPerSec, 0},
		{"node 3 µs per packet", s.Nodes[2].Metrics.MicrosPerPacket, 25},
		{"node 3 cluster size", s.Nodes[2].Metrics.ClusterNodes, 3},
		// The three together: 0.85 s for 70000 packets.
		{"cluster µs per packet", s.Server.MicrosPerPacket, 1e6 * 0.85 / 70000},
	}
	for _, tt := range tests {
		if math.Abs(tt.got-tt.want) > 1e-6*math.Max(1, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// The histogram's buckets round: within a few percent of 2 ms.
	for _, added := range []float64{s.RelayHop.AddedP50Ms, s.RelayHop.AddedP99Ms} {
		if added < 1.8 || added > 2.2 {
			t.Errorf("hop adds p50 %v ms, p99 %v ms; want about 2", s.RelayHop.AddedP50Ms, s.RelayHop.AddedP99Ms)
		}
	}
}

func TestNodeSummaryWithout(t *testing.T) {
	tests := []struct {
		name               string
		change             func(*load.Result)
		nodes, withMetrics int
		hop                bool
	}{
		{"cluster", func(*load.Result) {}, 3, 3, true},
		{"one server", func(r *load.Result) { r.Scenario.URLs, r.NodeLatency = nil, nil }, 0, 0, false},
		{"publishers spread: no hop", func(r *load.Result) { r.Scenario.PinPublishers = false }, 3, 3, false},
		{"no metrics", func(r *load.Result) {
			for i := range r.Samples {
				r.Samples[i].Server, r.Samples[i].Nodes = nil, nil
			}
		}, 3, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := clusterResult()
			tt.change(res)
			s := Summarize(res)
			metrics := 0
			for _, n := range s.Nodes {
				if n.Metrics != nil {
					metrics++
				}
			}
			if len(s.Nodes) != tt.nodes || metrics != tt.withMetrics || (s.RelayHop != nil) != tt.hop {
				t.Errorf("%d nodes, %d with metrics, hop %v; want %d, %d, %v", len(s.Nodes), metrics, s.RelayHop != nil, tt.nodes, tt.withMetrics, tt.hop)
			}
			var table bytes.Buffer
			if err := WriteTable(&table, res, s); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(table.String(), "node 3"); got != (tt.nodes == 3) {
				t.Errorf("table mentions node 3: %v\n%s", got, table.String())
			}
		})
	}
}

func TestNodeOutputs(t *testing.T) {
	res := clusterResult()
	s := Summarize(res)
	var table, page, doc bytes.Buffer
	if err := WriteTable(&table, res, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"over 3 nodes (publishers on node 1", "node 2 CPU and packets", "clients 16000 + relays 4000",
		"latency one relay hop adds", "node 1 relays"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if err := WriteHTML(&page, res, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Nodes</h2>", "ws://n3/ws", "Each node&#39;s CPU", "One relay hop adds &#43;2.0"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if err := WriteJSON(&doc, res, s); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scenario struct {
			URLs []string `json:"urls"`
			Pin  bool     `json:"pinPublishers"`
		} `json:"scenario"`
		Summary struct {
			Nodes []struct {
				Subscribers int `json:"subscribers"`
				Metrics     struct {
					PerPacket float64 `json:"cpuMicrosPerForwardedPacket"`
					RelayOut  float64 `json:"relayPacketsOutPerSecond"`
				} `json:"metrics"`
			} `json:"nodes"`
			Hop struct {
				P50 float64 `json:"addedP50Ms"`
			} `json:"relayHop"`
		} `json:"summary"`
		Samples []struct {
			Nodes []json.RawMessage `json:"nodes"`
			CPU   []float64         `json:"nodeCpuPercent"`
		} `json:"samples"`
		Participants []struct {
			Node *int `json:"node"`
		} `json:"participants"`
	}
	if err := json.Unmarshal(doc.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Scenario.URLs) != 3 || !got.Scenario.Pin || len(got.Summary.Nodes) != 3 ||
		got.Summary.Nodes[0].Subscribers != 2 || got.Summary.Nodes[0].Metrics.RelayOut != 4000 ||
		!near(got.Summary.Nodes[2].Metrics.PerPacket, 25) || math.Abs(got.Summary.Hop.P50-2) > 0.2 {
		t.Errorf("JSON: scenario %+v, summary %+v", got.Scenario, got.Summary)
	}
	if len(got.Samples) != 3 || len(got.Samples[2].Nodes) != 3 || len(got.Samples[2].CPU) != 3 {
		t.Errorf("JSON samples lack the nodes: %+v", got.Samples)
	}
	if len(got.Participants) != 5 || got.Participants[2].Node == nil || *got.Participants[2].Node != 1 {
		t.Errorf("JSON participants lack their node")
	}
}

// A run against one server writes none of the cluster's fields.
func TestOneServerJSONHasNoNodes(t *testing.T) {
	res := sampleResult()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res, Summarize(res)); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"nodes"`, `"urls"`, `"relayHop"`, `"node"`, `"nodeCpuPercent"`, `"pinPublishers"`, `"relayPacketsIn"`} {
		if bytes.Contains(buf.Bytes(), []byte(field)) {
			t.Errorf("one server's JSON has %s", field)
		}
	}
}
