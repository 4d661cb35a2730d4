package load

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func validScenario() Scenario {
	return Scenario{URL: "ws://127.0.0.1:8080/ws", Rooms: 2, Publishers: 3, Subscribers: 4,
		Duration: time.Second, JoinRate: 5, Bitrate: 500_000, RoomPrefix: "b"}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Scenario)
		ok     bool
	}{
		{"valid", func(*Scenario) {}, true},
		{"wss", func(s *Scenario) { s.URL = "wss://example.com/ws" }, true},
		{"no subscribers", func(s *Scenario) { s.Subscribers = 0 }, true},
		{"http URL", func(s *Scenario) { s.URL = "http://127.0.0.1/ws" }, false},
		{"no host", func(s *Scenario) { s.URL = "ws:///ws" }, false},
		{"no rooms", func(s *Scenario) { s.Rooms = 0 }, false},
		{"no publishers", func(s *Scenario) { s.Publishers = 0 }, false},
		{"negative subscribers", func(s *Scenario) { s.Subscribers = -1 }, false},
		{"no duration", func(s *Scenario) { s.Duration = 0 }, false},
		{"negative join rate", func(s *Scenario) { s.JoinRate = -1 }, false},
		{"tiny bitrate", func(s *Scenario) { s.Bitrate = 100 }, false},
		{"no prefix", func(s *Scenario) { s.RoomPrefix = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validScenario()
			tt.change(&s)
			err := s.Validate()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadScenario)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	s := validScenario()
	plan := s.plan()
	if len(plan) != s.Expected() || s.Expected() != 14 {
		t.Fatalf("%d planned, Expected() = %d, want 14", len(plan), s.Expected())
	}
	// Every publisher of every room comes before any subscriber.
	seenSub := false
	count := map[string]int{}
	for _, sp := range plan {
		if sp.role == Subscriber {
			seenSub = true
		} else if seenSub {
			t.Fatalf("publisher %+v after a subscriber", sp)
		}
		count[sp.room+"/"+string(sp.role)]++
	}
	for _, room := range []string{"b-1", "b-2"} {
		if count[room+"/publisher"] != 3 || count[room+"/subscriber"] != 4 {
			t.Errorf("room %s: %v", room, count)
		}
	}
	// 2 rooms × (4 subscribers × 6 tracks + 3 publishers × 4 tracks)
	if got := s.SubscribedTracks(); got != 72 {
		t.Errorf("SubscribedTracks() = %d, want 72", got)
	}
}

func TestSampleBetween(t *testing.T) {
	prev := &totals{at: time.Second, sentBytes: 1000, recvBytes: 5000, expected: 1000, missing: 2,
		server: &ServerSnapshot{At: time.Second, CPUSeconds: 1}}
	cur := &totals{at: 3 * time.Second, connected: 4, tracks: 6, sentBytes: 251_000, recvBytes: 1_005_000,
		expected: 2000, missing: 12, server: &ServerSnapshot{At: 3 * time.Second, CPUSeconds: 1.5}}
	for i := range 100 {
		cur.latency.Record(time.Duration(i+1) * time.Millisecond)
	}
	s := sampleBetween(prev, cur, 5)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"Mbit/s out", s.MbpsOut, 1},
		{"Mbit/s in", s.MbpsIn, 4},
		{"loss %", s.LossPercent, 1},
		{"server CPU %", s.ServerCPUPercent, 25},
		{"connected", float64(s.Connected), 4},
		{"expected", float64(s.Expected), 5},
		{"tracks", float64(s.Tracks), 6},
	}
	for _, c := range checks {
		if d := c.got - c.want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.LatencyP50 < 49*time.Millisecond || s.LatencyP50 > 52*time.Millisecond || s.LatencyP99 < 98*time.Millisecond {
		t.Errorf("latency p50 %v p99 %v", s.LatencyP50, s.LatencyP99)
	}
	// Repairs make missing fall: that is no negative loss.
	repaired := *cur
	repaired.at, repaired.expected, repaired.missing = 4*time.Second, 2500, 0
	if s := sampleBetween(cur, &repaired, 5); s.LossPercent != 0 {
		t.Errorf("loss after repairs %v, want 0", s.LossPercent)
	}
}

func TestRTCPCounter(t *testing.T) {
	var c rtcpCounter
	c.count([]rtcp.Packet{
		&rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 10, LostPackets: 0b101}}}, // 10, 11, 13
		&rtcp.PictureLossIndication{},
		&rtcp.FullIntraRequest{},
		&rtcp.ReceiverReport{},
	})
	if c.nacks.Load() != 1 || c.nacked.Load() != 3 || c.plis.Load() != 1 || c.firs.Load() != 1 {
		t.Fatalf("nacks %d nacked %d plis %d firs %d, want 1 3 1 1", c.nacks.Load(), c.nacked.Load(), c.plis.Load(), c.firs.Load())
	}
}

func TestPlanSpreadsOverNodes(t *testing.T) {
	three := []string{"ws://n1/ws", "ws://n2/ws", "ws://n3/ws"}
	tests := []struct {
		name                string
		urls                []string
		pin                 bool
		rooms, pubs, subs   int
		wantPubs, wantSubs  []int // node of each publisher and subscriber, in join order
		perNodePub, perNode []int // how many of each role per node
	}{
		{name: "one server", rooms: 1, pubs: 2, subs: 3,
			wantPubs: []int{0, 0}, wantSubs: []int{0, 0, 0}, perNodePub: []int{2}, perNode: []int{3}},
		{name: "three nodes, round-robin", urls: three, rooms: 1, pubs: 2, subs: 7,
			wantPubs: []int{0, 1}, wantSubs: []int{0, 1, 2, 0, 1, 2, 0}, perNodePub: []int{1, 1, 0}, perNode: []int{3, 2, 2}},
		{name: "three nodes, publishers pinned", urls: three, pin: true, rooms: 1, pubs: 3, subs: 6,
			wantPubs: []int{0, 0, 0}, wantSubs: []int{0, 1, 2, 0, 1, 2}, perNodePub: []int{3, 0, 0}, perNode: []int{2, 2, 2}},
		// Two rooms: the count runs over the rooms in join order, so each
		// room's participants are spread too.
		{name: "two rooms", urls: three[:2], rooms: 2, pubs: 1, subs: 2,
			wantPubs: []int{0, 1}, wantSubs: []int{0, 1, 0, 1}, perNodePub: []int{1, 1}, perNode: []int{2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validScenario()
			s.Rooms, s.Publishers, s.Subscribers, s.PinPublishers = tt.rooms, tt.pubs, tt.subs, tt.pin
			if len(tt.urls) > 0 {
				s.URL, s.URLs = tt.urls[0], tt.urls
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			var pubs, subs []int
			perPub, perSub := make([]int, len(s.Nodes())), make([]int, len(s.Nodes()))
			for _, sp := range s.plan() {
				if sp.role == Publisher {
					pubs = append(pubs, sp.node)
					perPub[sp.node]++
				} else {
					subs = append(subs, sp.node)
					perSub[sp.node]++
				}
			}
			if !slices.Equal(pubs, tt.wantPubs) || !slices.Equal(subs, tt.wantSubs) {
				t.Errorf("publishers on %v, subscribers on %v; want %v and %v", pubs, subs, tt.wantPubs, tt.wantSubs)
			}
			if !slices.Equal(perPub, tt.perNodePub) || !slices.Equal(perSub, tt.perNode) {
				t.Errorf("per node: publishers %v subscribers %v; want %v and %v", perPub, perSub, tt.perNodePub, tt.perNode)
			}
		})
	}
}

func TestValidateNodes(t *testing.T) {
	tests := []struct {
		name string
		url  string
		urls []string
		ok   bool
	}{
		{"one URL", "ws://a/ws", nil, true},
		{"three", "ws://a/ws", []string{"ws://a/ws", "wss://b/ws", "ws://c/ws"}, true},
		{"URL not the first", "ws://b/ws", []string{"ws://a/ws", "ws://b/ws"}, false},
		{"a bad one among them", "ws://a/ws", []string{"ws://a/ws", "http://b/ws"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validScenario()
			s.URL, s.URLs = tt.url, tt.urls
			if err := s.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSumSnapshots(t *testing.T) {
	a := &ServerSnapshot{At: time.Second, CPUSeconds: 1, PacketsOut: 100, RelayPacketsOut: 40, ClusterNodes: 3}
	b := &ServerSnapshot{At: time.Second, CPUSeconds: 2, PacketsOut: 50, RelayPacketsIn: 20, ClusterNodes: 3}
	sum := sumSnapshots([]*ServerSnapshot{a, b})
	want := ServerSnapshot{At: time.Second, CPUSeconds: 3, PacketsOut: 150, RelayPacketsOut: 40, RelayPacketsIn: 20, ClusterNodes: 3}
	if sum == nil || *sum != want {
		t.Fatalf("sum %+v, want %+v", sum, want)
	}
	if sumSnapshots([]*ServerSnapshot{a, nil}) != nil || sumSnapshots([]*ServerSnapshot{nil, b}) != nil {
		t.Error("a node that did not answer must leave no sum")
	}
}

func TestSampleNodes(t *testing.T) {
	prev := &totals{at: time.Second, nodes: []*ServerSnapshot{{At: time.Second, CPUSeconds: 1}, {At: time.Second, CPUSeconds: 2}}}
	cur := &totals{at: 2 * time.Second, nodes: []*ServerSnapshot{{At: 2 * time.Second, CPUSeconds: 1.5}, nil}}
	s := sampleBetween(prev, cur, 1)
	if !slices.Equal(s.NodeCPUPercent, []float64{50, 0}) || len(s.Nodes) != 2 {
		t.Fatalf("node CPU %v, %d nodes", s.NodeCPUPercent, len(s.Nodes))
	}
}
