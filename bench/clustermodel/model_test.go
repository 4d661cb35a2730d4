package clustermodel

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestHops(t *testing.T) {
	tests := []struct{ nodes, fanout, want int }{
		{1, 0, 0}, {2, 0, 1}, {50, 0, 1}, {50, 49, 1}, {50, 100, 1},
		{50, 7, 2}, // 7 + 49 ≥ 49
		{50, 6, 3}, // 6 + 36 = 42 < 49
		{3, 1, 2},  // a chain
		{57, 7, 2}, // 7 + 49 = 56 others
		{58, 7, 3}, // one more
		{10, 2, 3}, // 2 + 4 + 8 ≥ 9
		{9, 2, 3},  // 2 + 4 = 6 < 8
		{7, 2, 2},  // 2 + 4 = 6 others
	}
	for _, tt := range tests {
		if got := Hops(tt.nodes, tt.fanout); got != tt.want {
			t.Errorf("Hops(%d, %d) = %d, want %d", tt.nodes, tt.fanout, got, tt.want)
		}
	}
}

func base() Params {
	return Params{Participants: 10000, Nodes: 50, Publishers: 100, StreamMbps: 1, StreamPPS: 100,
		RelaySendMicros: 10, RelayRecvMicros: 5, HopP50Ms: 0.5, HopP99Ms: 2, MemberBytes: 100}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name               string
		change             func(*Params)
		hops               int
		out, in, cores     float64
		addedP50, addedP99 float64
	}{
		// 100 streams to 49 nodes: 4900 Mbit/s; 490 000 packets/s × 10 µs.
		{"stage, mesh", func(p *Params) { p.Stage = true }, 1, 4900, 0, 4.9, 0.5, 2},
		// To 7 nodes, and an inner node receives every stream too.
		{"stage, tree", func(p *Params) { p.Stage, p.Fanout = true, 7 }, 2, 700, 100, 0.7 + 0.05, 1, 4},
		// 2 streams at home to 49 nodes; 98 received.
		{"spread, mesh", func(*Params) {}, 1, 98, 98, 0.098 + 0.049, 0.5, 2},
		{"spread, tree", func(p *Params) { p.Fanout = 7 }, 2, 98, 98, 0.098 + 0.049, 1, 4},
		{"fan-out as wide as the mesh", func(p *Params) { p.Stage, p.Fanout = true, 49 }, 1, 4900, 0, 4.9, 0.5, 2},
		{"one node: no relays", func(p *Params) { p.Nodes = 1 }, 0, 0, 0, 0, 0, 0},
		{"no publishers", func(p *Params) { p.Publishers = 0 }, 1, 0, 0, 0, 0.5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.change(&p)
			r, err := Compute(p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Hops != tt.hops || !near(r.RelayOutMbps, tt.out) || !near(r.RelayInMbps, tt.in) || !near(r.RelayCPUCores, tt.cores) ||
				!near(r.AddedP50Ms, tt.addedP50) || !near(r.AddedP99Ms, tt.addedP99) {
				t.Errorf("hops %d out %v in %v cores %v added %v/%v; want %d %v %v %v %v/%v", r.Hops, r.RelayOutMbps, r.RelayInMbps,
					r.RelayCPUCores, r.AddedP50Ms, r.AddedP99Ms, tt.hops, tt.out, tt.in, tt.cores, tt.addedP50, tt.addedP99)
			}
			if !near(r.RelayOutPPS, tt.out*100) || !near(r.RelayInPPS, tt.in*100) {
				t.Errorf("packets out %v in %v", r.RelayOutPPS, r.RelayInPPS)
			}
		})
	}
}

func TestRedisWork(t *testing.T) {
	tests := []struct {
		name                     string
		participants, nodes      int
		joinCmds, joinFields     float64
		perSecCmds, perSecFields float64
		perSecBytes, fill        float64
	}{
		// A join: PING, HSET, PUBLISH. Every node each second: 4, and a
		// tenth of (HSET + HGETALL of 10 000 fields); the registry's 50.
		{"10 000 over 50", 10000, 50, 3, 0, 50 * 4.2, 50 * (50 + 1000), 50 * 10000 * 100 / 10, 50 * 49 / 2},
		{"100 on one", 100, 1, 3, 0, 4.2, 1 + 10, 100 * 100 / 10, 0},
		{"uneven", 10, 3, 3, 0, 3 * 4.2, 3 * (3 + 1), 3 * 10 * 100 / 10, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			p.Participants, p.Nodes, p.Publishers = tt.participants, tt.nodes, 1
			r, err := Compute(p)
			if err != nil {
				t.Fatal(err)
			}
			rd := r.Redis
			if !near(rd.JoinCommands, tt.joinCmds) || !near(rd.JoinFieldsRead, tt.joinFields) || rd.JoinPublishFanout != tt.nodes ||
				!near(rd.CommandsPerSecond, tt.perSecCmds) || !near(rd.FieldsReadPerSecond, tt.perSecFields) ||
				!near(rd.BytesReadPerSecond, tt.perSecBytes) || !near(rd.FillFieldsRead, tt.fill) {
				t.Errorf("got %+v", rd)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Params)
	}{
		{"no nodes", func(p *Params) { p.Nodes = 0 }},
		{"more publishers than participants", func(p *Params) { p.Publishers = 20000 }},
		{"negative fan-out", func(p *Params) { p.Fanout = -1 }},
		{"negative cost", func(p *Params) { p.RelaySendMicros = -1 }},
	}
	for _, tt := range tests {
		p := base()
		tt.change(&p)
		if _, err := Compute(p); !errors.Is(err, ErrBadParams) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestDerive(t *testing.T) {
	// Baseline: 50 % of a core for 50 000 packets/s: 10 µs each.
	baseline := &NodeFigures{CPUPercent: 50, PacketsOutPPS: 50000, MicrosPerPacket: 10}
	nodes := []*NodeFigures{
		// 50 000 to clients (0.5 s) + 0.2 s for 10 000 relayed: 20 µs each.
		{CPUPercent: 70, ClientPPS: 50000, RelayOutPPS: 10000, RelayOutMbps: 40},
		// 40 000 to clients (0.4 s) + 0.05 s for 5000 relayed in: 10 µs.
		{CPUPercent: 45, ClientPPS: 40000, RelayInPPS: 5000},
		// 0.03 s for 5000: 6 µs.
		{CPUPercent: 43, ClientPPS: 40000, RelayInPPS: 5000},
	}
	m, err := Derive(baseline, nodes, 4)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"baseline", m.BaselineMicros, 10},
		{"send", m.RelaySendMicros, 20},
		{"receive", m.RelayRecvMicros, 8},
		{"stream Mbit/s", m.StreamMbps, 5},    // 40 Mbit/s to 2 nodes of 4 publishers
		{"stream packets", m.StreamPPS, 1250}, // 10 000 / 8
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The baseline's rate is derived when the report lacks it.
	baseline.MicrosPerPacket = 0
	if m, _ := Derive(baseline, nodes, 4); !near(m.BaselineMicros, 10) {
		t.Errorf("derived baseline %v", m.BaselineMicros)
	}
	for name, bad := range map[string]func() (Measured, error){
		"no baseline":       func() (Measured, error) { return Derive(nil, nodes, 4) },
		"one node":          func() (Measured, error) { return Derive(baseline, nodes[:1], 4) },
		"a node unmeasured": func() (Measured, error) { return Derive(baseline, []*NodeFigures{nodes[0], nil}, 4) },
	} {
		if _, err := bad(); !errors.Is(err, ErrBadParams) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestReadRun(t *testing.T) {
	doc := `{"scenario":{"publishers":3},"summary":{"server":{"cpuPercent":30,"packetsOutPerSecond":3000,"cpuMicrosPerForwardedPacket":100},
	"nodes":[{"latency":{"p50Ms":1,"p99Ms":3},"metrics":{"cpuPercent":20,"clientPacketsOutPerSecond":900,"relayPacketsOutPerSecond":100}},
	{"latency":{"p50Ms":1.5,"p99Ms":4}}],"relayHop":{"addedP50Ms":0.5,"addedP99Ms":1}}}`
	r, err := ReadRun(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if r.Publishers != 3 || r.Server.PacketsOutPPS != 3000 || len(r.Nodes) != 2 || r.Nodes[0].RelayOutPPS != 100 || r.Nodes[1] != nil ||
		!r.Hop || r.HopP99Ms != 1 || r.LatencyP50Ms[1] != 1.5 {
		t.Errorf("%+v", r)
	}
	if _, err := ReadRun(strings.NewReader("{")); err == nil {
		t.Error("a broken report read")
	}
}

func TestWriteModel(t *testing.T) {
	p := base()
	rs, err := Table(p, []int{10, 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 { // no fan-out: a mesh for each count and placement
		t.Errorf("%d rows, want 4", len(rs))
	}
	p.Fanout = 7
	if rs, err = Table(p, []int{10, 1000}); err != nil || len(rs) != 8 {
		t.Fatalf("%d rows, %v; want 8", len(rs), err)
	}
	var buf bytes.Buffer
	WriteModel(&buf, p, rs, 10, 100000)
	for _, want := range []string{"| 1000 | one node | full mesh | 1 | 49.0 Gbit/s |", "tree, fan-out 7", "Where the design would have to change", "Redis: the heartbeats alone"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}
