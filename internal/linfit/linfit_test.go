package linfit

import (
	"math"
	"testing"
)

func TestSlope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		points []Point
		want   float64
		ok     bool
	}{
		{"none", nil, 0, false},
		{"one point", []Point{{1, 5}}, 0, false},
		{"same x", []Point{{2, 1}, {2, 9}}, 0, false},
		{"flat", []Point{{0, 3}, {1, 3}, {2, 3}}, 0, true},
		{"exact line", []Point{{0, 1}, {1, 3}, {2, 5}, {3, 7}}, 2, true},
		{"falling", []Point{{10, 0}, {20, -5}}, -0.5, true},
		// Noise symmetric about y = x/2 leaves the slope exact.
		{"noisy", []Point{{0, 1}, {0, -1}, {4, 3}, {4, 1}}, 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Slope(tc.points)
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Slope = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
