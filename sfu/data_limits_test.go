package sfu

import (
	"maps"
	"testing"
)

// TestDataLimiter: with no refill, the message bucket's burst and the byte
// bucket's burst are all there is; a message past either is refused.
func TestDataLimiter(t *testing.T) {
	l := newDataLimiter(DataLimits{Rate: 0, Burst: 3, ByteRate: 0, ByteBurst: 100})
	for i, tc := range []struct {
		bytes int
		want  bool
	}{
		{101, false}, // more bytes than the burst: refused (it spends a message token)
		{40, true},
		{40, true},
		{40, false}, // messages left, bytes not (20 left)
		{0, false},  // no message token left
	} {
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
