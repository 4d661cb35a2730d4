package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/bench/scrape"
)

func TestMetricsCountMediaThatFlowed(t *testing.T) {
	addr, stop := runServer(t)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dial := func(name string) *bench.Client {
		c, err := bench.Dial(ctx, "ws://"+addr+"/ws", "metrics", bench.WithName(name), bench.WithICEIPs([]string{"127.0.0.1"}))
		if err != nil {
			t.Fatalf("dial %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	pub, sub := dial("publisher"), dial("subscriber")
	audio, err := bench.NewSyntheticAudio()
	if err != nil {
		t.Fatal(err)
	}
	video, err := bench.NewSyntheticVideo(bench.WithBitrate(200_000))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, audio, video); err != nil {
		t.Fatal(err)
	}
	err = sub.WaitUntil(ctx, func() bool {
		n := 0
		for _, r := range sub.RemoteTracks() {
			if r.Stats().Distinct >= 20 {
				n++
			}
		}
		return n == 2
	})
	if err != nil {
		t.Fatalf("waiting for media: %v", err)
	}
	got, err := scrape.Fetch(ctx, http.DefaultClient, "http://"+addr+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		min, max float64
	}{
		{"switchboard_rooms", 1, 1},
		{"switchboard_participants", 2, 2},
		{"switchboard_tracks", 2, 2},
		{"switchboard_packets_in_total", 40, 1e9},
		{"switchboard_bytes_in_total", 40 * 50, 1e12},
		{"switchboard_packets_out_total", 40, 1e9},
		{"switchboard_bytes_out_total", 40 * 50, 1e12},
		{"switchboard_nacks_received_total", 0, 1e9},
		{"switchboard_packets_retransmitted_total", 0, 1e9},
		{"switchboard_plis_received_total", 0, 1e9},
		{"switchboard_keyframe_requests_sent_total", 0, 1e9},
		{"process_cpu_seconds_total", 0.001, 1e9},
		{"process_resident_memory_bytes", 1 << 20, 1 << 40},
		{"go_goroutines", 1, 1e6},
	}
	for _, tt := range tests {
		v, ok := got.Get(tt.name)
		if !ok || v < tt.min || v > tt.max {
			t.Errorf("%s = %v (present: %v), want in [%v, %v]", tt.name, v, ok, tt.min, tt.max)
		}
	}
	if out, _ := got.Get("switchboard_packets_out_total"); out > got["switchboard_packets_in_total"] {
		t.Errorf("forwarded %v packets of %v received to one subscriber", out, got["switchboard_packets_in_total"])
	}
}
