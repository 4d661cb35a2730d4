package load

import (
	"errors"
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
