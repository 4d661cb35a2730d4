package bench

import (
	"testing"
	"time"
)

func TestFrameSizes(t *testing.T) {
	tests := []struct {
		name             string
		bitrate, fps     int
		keyframeInterval time.Duration
		key, delta       int
	}{
		// 500 kbit/s over 3 s = 187500 bytes for 90 frames, the keyframe
		// weighing three: 187500 / 92 = 2038.
		{"500k 30fps key every 3s", 500_000, 30, 3 * time.Second, 6114, 2038},
		{"1M 30fps key every 1s", 1_000_000, 30, time.Second, 11718, 3906}, // 125000 / 32,
		{"no periodic keyframe", 240_000, 30, 0, 3000, 1000},
		{"interval shorter than a frame", 240_000, 30, time.Millisecond, 3000, 1000},
		{"keyframe every frame", 240_000, 30, time.Second / 30, 3000, 1000},
		{"zero bitrate", 0, 30, time.Second, 0, 0},
		{"zero fps", 500_000, 0, time.Second, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, delta := frameSizes(tt.bitrate, tt.fps, tt.keyframeInterval)
			if key != tt.key || delta != tt.delta {
				t.Fatalf("got key %d delta %d, want %d %d", key, delta, tt.key, tt.delta)
			}
			if tt.keyframeInterval >= time.Second && tt.fps > 0 {
				// One interval carries the bitrate, to within rounding.
				frames := int(tt.keyframeInterval.Seconds() * float64(tt.fps))
				bits := 8 * (key + (frames-1)*delta)
				want := int(float64(tt.bitrate) * tt.keyframeInterval.Seconds())
				if diff := want - bits; diff < 0 || diff > 8*(frames+keyframeCost) {
					t.Fatalf("interval carries %d bits, want %d", bits, want)
				}
			}
		})
	}
}

func TestAudioPacketSize(t *testing.T) {
	tests := []struct{ bitrate, want int }{
		{32_000, 80},
		{64_000, 160},
		{6_000, 15},
		{0, 0},
	}
	for _, tt := range tests {
		if got := audioPacketSize(tt.bitrate); got != tt.want {
			t.Errorf("audioPacketSize(%d) = %d, want %d", tt.bitrate, got, tt.want)
		}
	}
}

func TestPacketSizes(t *testing.T) {
	tests := []struct {
		name      string
		size, max int
		want      []int
	}{
		{"fits one", 800, 1100, []int{800}},
		{"exactly one", 1100, 1100, []int{1100}},
		{"just over one", 1101, 1100, []int{551, 550}},
		{"even split", 6114, 1100, []int{1019, 1019, 1019, 1019, 1019, 1019}},
		{"remainder spread", 2203, 1100, []int{735, 734, 734}},
		{"empty frame", 0, 1100, nil},
		{"no room", 100, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := packetSizes(nil, tt.size, tt.max)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			sum := 0
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				sum += got[i]
			}
			if len(got) > 0 && sum != tt.size {
				t.Fatalf("sizes add up to %d, want %d", sum, tt.size)
			}
		})
	}
}

func TestRTPTimestamp(t *testing.T) {
	tests := []struct {
		name      string
		base      uint32
		elapsed   time.Duration
		clockRate uint32
		want      uint32
	}{
		{"start", 1000, 0, videoClockRate, 1000},
		{"one video frame", 0, time.Second / 30, videoClockRate, 2999}, // 33.333 ms truncated
		{"one audio packet", 5, audioPacketDuration, audioClockRate, 965},
		{"one second", 0, time.Second, videoClockRate, 90000},
		{"wraps", 0xffffff00, 10 * time.Millisecond, audioClockRate, 224}, // 0xffffff00 + 480 wrapped,
		{"a day does not overflow", 0, 24 * time.Hour, videoClockRate, uint32(uint64(24*3600*90000) % (1 << 32))},
		{"negative is the start", 7, -time.Second, videoClockRate, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rtpTimestamp(tt.base, tt.elapsed, tt.clockRate); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}
