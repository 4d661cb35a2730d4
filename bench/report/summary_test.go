package report

import (
	"math"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

func TestDistOf(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		want Dist
	}{
		{"empty", nil, Dist{}},
		{"one", []time.Duration{7 * ms}, Dist{N: 1, P50: 7 * ms, P95: 7 * ms, P99: 7 * ms, Max: 7 * ms}},
		{"two: median is the lower", []time.Duration{9 * ms, 1 * ms}, Dist{N: 2, P50: 1 * ms, P95: 9 * ms, P99: 9 * ms, Max: 9 * ms}},
		{"twenty: nearest rank", durations(20, ms), Dist{N: 20, P50: 10 * ms, P95: 19 * ms, P99: 20 * ms, Max: 20 * ms}},
		{"hundred", durations(100, ms), Dist{N: 100, P50: 50 * ms, P95: 95 * ms, P99: 99 * ms, Max: 100 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := distOf(tt.in); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// durations is step, 2·step, … n·step, in reverse to check sorting.
func durations(n int, step time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(n-i) * step
	}
	return out
}

func TestLossBeforeAndAfterNACK(t *testing.T) {
	tests := []struct {
		name               string
		tracks             []load.TrackResult
		before, after      float64
		late, missing, exp uint64
	}{
		{"nothing lost", []load.TrackResult{{Expected: 1000}}, 0, 0, 0, 0, 1000},
		{"all repaired", []load.TrackResult{{Expected: 1000, Late: 20}}, 2, 0, 20, 0, 1000},
		{"some for good", []load.TrackResult{{Expected: 1000, Late: 10, Missing: 5}}, 1.5, 0.5, 10, 5, 1000},
		{"across tracks", []load.TrackResult{{Expected: 500, Missing: 5}, {Expected: 500, Late: 5}}, 1, 0.5, 5, 5, 1000},
		// Late packets past the settled range cannot count for more than
		// what arrived in it.
		{"late capped by what arrived", []load.TrackResult{{Expected: 10, Late: 50, Missing: 2}}, 100, 20, 8, 2, 10},
		{"no packets due", []load.TrackResult{{}}, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &load.Result{
				Scenario: load.Scenario{Rooms: 1, Publishers: 1, Subscribers: 1},
				Participants: []load.ParticipantResult{
					{Role: load.Subscriber, Connected: time.Millisecond, Received: tt.tracks},
				},
			}
			s := Summarize(res)
			if !near(s.LossBeforeNACKPct, tt.before) || !near(s.LossAfterNACKPct, tt.after) {
				t.Errorf("loss before %.3f%% after %.3f%%, want %.3f%% and %.3f%%",
					s.LossBeforeNACKPct, s.LossAfterNACKPct, tt.before, tt.after)
			}
			if s.PacketsLate != tt.late || s.PacketsMissing != tt.missing || s.PacketsExpected != tt.exp {
				t.Errorf("late %d missing %d expected %d, want %d %d %d",
					s.PacketsLate, s.PacketsMissing, s.PacketsExpected, tt.late, tt.missing, tt.exp)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSummarizeParticipants(t *testing.T) {
	ms := time.Millisecond
	res := &load.Result{
		Scenario: load.Scenario{Rooms: 1, Publishers: 1, Subscribers: 3},
		Participants: []load.ParticipantResult{
			{Role: load.Publisher, Connected: 10 * ms, PLIsSent: 1},
			{Role: load.Subscriber, Connected: 20 * ms, FirstFrame: 100 * ms, NACKsSent: 2, NACKedPackets: 3,
				Received: []load.TrackResult{{Bytes: 1_000_000, Active: 4 * time.Second}, {Bytes: 250_000, Active: 2 * time.Second}}},
			{Role: load.Subscriber, Connected: 30 * ms, FirstFrame: 200 * ms,
				Received: []load.TrackResult{{Bytes: 500_000, Active: 4 * time.Second}}},
			{Role: load.Subscriber, Error: "subscriber 3: join refused"},
		},
		Samples: []load.Sample{{Tracks: 3}},
	}
	s := Summarize(res, WithFloor(2, "SRTP_AEAD_AES_256_GCM"), WithFloorAwake(3, 20))
	checks := []struct {
		name      string
		got, want float64
	}{
		{"expected", float64(s.Expected), 4},
		{"connected", float64(s.Connected), 3},
		{"join p50 ms", float64(s.JoinTime.P50 / ms), 20},
		{"first frame max ms", float64(s.FirstFrame.Max / ms), 200},
		{"subscriber Mbit/s mean", s.SubscriberMbpsMean, 1.75}, // 2.5 and 1
		{"subscriber Mbit/s min", s.SubscriberMbpsMin, 1},
		{"NACKs", float64(s.NACKsSent), 2},
		{"NACKed packets", float64(s.NACKedPackets), 3},
		{"PLIs", float64(s.PLIsSent), 1},
		{"errors", float64(len(s.Errors)), 1},
		{"tracks", float64(s.SubscribedTracks), 3},
		{"floor", s.FloorMicrosPerPacket, 2},
		{"floor, receivers awake", s.FloorAwakeMicrosPerPacket, 3},
		{"receivers awake", float64(s.FloorAwakeReaders), 20},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.Server != nil {
		t.Errorf("server summary %+v without metrics", s.Server)
	}
}

func TestServerSummary(t *testing.T) {
	snap := func(at time.Duration, cpu, out float64) *load.ServerSnapshot {
		return &load.ServerSnapshot{At: at, CPUSeconds: cpu, PacketsOut: out, RSSBytes: 100 << 20, HeapInuseBytes: 50 << 20}
	}
	res := &load.Result{
		Scenario: load.Scenario{Rooms: 1, Publishers: 1, Subscribers: 1},
		Samples: []load.Sample{
			{At: 1 * time.Second, Connected: 1, Server: snap(time.Second, 0.5, 0)},
			{At: 2 * time.Second, Connected: 2, Server: snap(2*time.Second, 1, 1000)},
			{At: 3 * time.Second, Connected: 2, Server: snap(3*time.Second, 2, 2000)},    // window starts here
			{At: 5 * time.Second, Connected: 2, Server: snap(5*time.Second, 2.2, 42000)}, // 0.2 s for 40000 packets
		},
		ServerIdle: &load.ServerSnapshot{RSSBytes: 20 << 20, HeapInuseBytes: 10 << 20},
	}
	res.ServerEnd = res.Samples[3].Server
	res.Samples[3].Tracks = 10
	s := Summarize(res, WithFloor(2.5, "x")).Server
	if s == nil {
		t.Fatal("no server summary")
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"window", s.WindowSeconds, 2},
		{"cpu seconds", s.CPUSeconds, 0.2},
		{"cpu percent", s.CPUPercent, 10},
		{"packets per second", s.PacketsOutPerSec, 20000},
		{"µs per packet", s.MicrosPerPacket, 5},
		{"floor ratio", s.FloorRatio, 2},
		{"heap per track", s.HeapPerTrackBytes, 4 << 20},
		{"RSS per track", s.RSSPerTrackBytes, 8 << 20},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-6*math.Max(1, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
