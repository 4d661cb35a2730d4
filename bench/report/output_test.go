package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/hist"
	"github.com/switchboard-rtc/switchboard/bench/load"
)

// sampleResult is a small run with server metrics.
func sampleResult() *load.Result {
	var lat hist.Histogram
	for i := range 100 {
		lat.Record(time.Duration(i+1) * time.Millisecond)
	}
	srv := func(at time.Duration, cpu float64) *load.ServerSnapshot {
		return &load.ServerSnapshot{At: at, CPUSeconds: cpu, PacketsOut: cpu * 1e5, RSSBytes: 64 << 20}
	}
	return &load.Result{
		Scenario: load.Scenario{URL: "ws://127.0.0.1:1/ws", Rooms: 1, Publishers: 1, Subscribers: 1,
			Duration: 2 * time.Second, Bitrate: 500_000, RoomPrefix: "t"},
		Start: time.Unix(1_700_000_000, 0), Elapsed: 2 * time.Second,
		Samples: []load.Sample{
			{At: time.Second, Connected: 2, Expected: 2, Tracks: 2, MbpsIn: 1, LatencyP50: 3 * time.Millisecond, Server: srv(time.Second, 1)},
			{At: 2 * time.Second, Connected: 2, Expected: 2, Tracks: 2, MbpsIn: 1.1, Server: srv(2*time.Second, 1.1)},
			{At: 3 * time.Second, Connected: 2, Expected: 2, Tracks: 2, MbpsIn: 1.2, Server: srv(3*time.Second, 1.2)},
		},
		Participants: []load.ParticipantResult{
			{Name: "t-1-publisher-1", Role: load.Publisher, Connected: 20 * time.Millisecond,
				Sent: []load.SourceResult{{Source: "camera", Packets: 10}}},
			{Name: "t-1-subscriber-1", Role: load.Subscriber, Connected: 30 * time.Millisecond, FirstFrame: time.Second,
				Received: []load.TrackResult{{From: "PA1", Kind: "video", Expected: 100, Distinct: 99, Missing: 1, Active: time.Second}}},
		},
		Latency:    lat,
		ServerIdle: &load.ServerSnapshot{RSSBytes: 32 << 20},
	}
}

func TestJSONShape(t *testing.T) {
	res := sampleResult()
	res.ServerEnd = res.Samples[2].Server
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res, Summarize(res, WithFloor(3, "SRTP_AEAD_AES_256_GCM"))); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string // dot-separated; a number indexes an array
		want any    // nil: only present
	}{
		{"version", float64(SchemaVersion)},
		{"scenario.durationSeconds", 2.0},
		{"scenario.bitrate", 500000.0},
		{"elapsedSeconds", 2.0},
		{"summary.connected", 2.0},
		{"summary.latency.p50Ms", 51.199}, // the upper bound of the 50 ms bucket
		{"summary.latency.maxMs", 100.0},
		{"summary.joinTime.p50Ms", 20.0},
		{"summary.lossAfterNackPercent", 1.0},
		{"summary.floorMicrosPerPacket", 3.0},
		{"summary.server.cpuMicrosPerForwardedPacket", 10.0},
		{"summary.server.floorRatio", nil},
		{"summary.server.rssPerSubscribedTrackBytes", float64(16 << 20)},
		{"samples.0.t", 1.0},
		{"samples.0.latencyP50Ms", 3.0},
		{"samples.2.server.cpuSeconds", 1.2},
		{"participants.1.role", "subscriber"},
		{"participants.1.firstFrameMs", 1000.0},
		{"participants.1.received.0.expected", 100.0},
		{"participants.1.received.0.activeSeconds", 1.0},
		{"participants.0.sent.0.source", "camera"},
	}
	for _, tt := range tests {
		got, ok := lookup(doc, tt.path)
		if !ok {
			t.Errorf("%s missing", tt.path)
			continue
		}
		if tt.want != nil && got != tt.want {
			if g, isNum := got.(float64); !isNum || !near(g, tt.want.(float64)) {
				t.Errorf("%s = %v, want %v", tt.path, got, tt.want)
			}
		}
	}
	for _, absent := range []string{"participants.1.received.0.active", "samples.0.server.t"} {
		if _, ok := lookup(doc, absent); ok {
			t.Errorf("%s present: durations go out in named units only", absent)
		}
	}
}

// lookup follows a dot-separated path through decoded JSON.
func lookup(v any, path string) (any, bool) {
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			for _, c := range key {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func TestHTMLIsSelfContained(t *testing.T) {
	res := sampleResult()
	res.ServerEnd = res.Samples[2].Server
	res.Participants[0].Error = `<script>alert("x")</script>`
	var buf bytes.Buffer
	if err := WriteHTML(&buf, res, Summarize(res)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(page, "<svg"); n != 9 {
		t.Errorf("%d charts, want 9 (participants, throughput, latency, loss, bench CPU, server CPU, server memory, goroutines and files, CPU per packet)", n)
	}
	for _, bad := range []string{"<script", " src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: it must load nothing", bad)
		}
	}
	for _, want := range []string{"server CPU per forwarded packet", "t-1-subscriber-1", "&lt;script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestTableAndProgress(t *testing.T) {
	res := sampleResult()
	var buf bytes.Buffer
	if err := WriteTable(&buf, res, Summarize(res)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"participants connected", "2 / 2", "loss after NACK recovery", "1.000 %", "latency (one-way)", "server CPU per forwarded packet"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	// With both floors: the cost (10 µs per packet) against each.
	buf.Reset()
	if err := WriteTable(&buf, res, Summarize(res, WithFloor(5, "AES-GCM"), WithFloorAwake(8, 20))); err != nil {
		t.Fatal(err)
	}
	if want := "10.00 µs  (2.00× the floor, 1.25× the floor with receivers awake)"; !strings.Contains(buf.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, buf.String())
	}
	line := ProgressLine(res.Samples[0])
	for _, want := range []string{"participants 2/2", "in 1.00 Mbit/s", "p50 3.00 ms", "server cpu"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {0.7, 1}, {1, 1}, {1.2, 2}, {2.1, 2.5}, {3, 5}, {7, 10}, {12, 20}, {0.031, 0.05},
	}
	for _, tt := range tests {
		if got := niceCeil(tt.in); !near(got, tt.want) {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
