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

func TestFitStdErr(t *testing.T) {
	// Residuals +1, -1, -1, +1 about y = 2x + 1 over x = 0..3: the slope
	// stays 2; rss 4 over n-2 = 2 is 2, Sxx 5, so the error is √(2/5).
	l, ok := Fit([]Point{{0, 2}, {1, 2}, {2, 4}, {3, 8}})
	if !ok {
		t.Fatal("no fit")
	}
	if math.Abs(l.Slope-2) > 1e-12 || math.Abs(l.Intercept-1) > 1e-12 {
		t.Errorf("line y = %vx + %v, want 2x + 1", l.Slope, l.Intercept)
	}
	if want := math.Sqrt(2.0 / 5); math.Abs(l.SlopeStdErr-want) > 1e-12 {
		t.Errorf("slope error %v, want %v", l.SlopeStdErr, want)
	}
	if l, _ := Fit([]Point{{0, 0}, {1, 1}, {2, 2}}); l.SlopeStdErr != 0 {
		t.Errorf("points on a line: slope error %v, want 0", l.SlopeStdErr)
	}
	if l, _ := Fit([]Point{{0, 0}, {1, 1}}); !math.IsNaN(l.SlopeStdErr) {
		t.Errorf("two points: slope error %v, want NaN", l.SlopeStdErr)
	}
}
