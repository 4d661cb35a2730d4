package sfu

import (
	"maps"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// TestDataLimiter: a message past the message bucket's burst or the byte
// bucket's is refused; the buckets refill at their rates on the SFU's
// clock, and only then.
func TestDataLimiter(t *testing.T) {
	clk := clock.NewFake(time.Now())
	// 10 messages and 500 bytes a second: each 100 ms brings one message
	// and 50 bytes back.
	l := newDataLimiter(DataLimits{Rate: 10, Burst: 3, ByteRate: 500, ByteBurst: 100}, clk)
	for i, tc := range []struct {
		after time.Duration // the clock advanced before the message
		bytes int
		want  bool
	}{
		{0, 101, false}, // more bytes than the burst: refused (it spends a message token)
		{0, 40, true},   // 1 message, 60 bytes left
		{0, 40, true},   // 0, 20
		{0, 40, false},  // no message token left
		{0, 0, false},
		{99 * time.Millisecond, 0, false},   // a token not yet back
		{time.Millisecond, 60, true},        // 1 message, 70 bytes: 0, 10 left
		{100 * time.Millisecond, 70, false}, // 1 message, 60 bytes: too few (the message token spent)
		{100 * time.Millisecond, 70, true},  // 1 message, 100 bytes (the burst)
	} {
		clk.Advance(tc.after)
		if got := l.allow(tc.bytes); got != tc.want {
			t.Errorf("message %d of %d bytes: allowed %v, want %v", i, tc.bytes, got, tc.want)
		}
	}
}

func TestApplyAttributes(t *testing.T) {
	for _, tc := range []struct {
		name           string
		attrs, changed map[string]string
		want           map[string]string
	}{
		{"to nothing", nil, map[string]string{"hand": "1"}, map[string]string{"hand": "1"}},
		{"replace", map[string]string{"hand": "1", "role": "host"}, map[string]string{"hand": "2"}, map[string]string{"hand": "2", "role": "host"}},
		{"remove", map[string]string{"hand": "1", "role": "host"}, map[string]string{"hand": ""}, map[string]string{"role": "host"}},
		{"remove what is not there", nil, map[string]string{"hand": ""}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := maps.Clone(tc.attrs)
			got := ApplyAttributes(tc.attrs, tc.changed)
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if !maps.Equal(tc.attrs, before) {
				t.Errorf("the input changed: %v, was %v", tc.attrs, before)
			}
		})
	}
}
