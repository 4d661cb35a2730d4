// Package linfit fits a straight line to points by least squares: the
// bandwidth estimator's delay trend (bwe) and a soak run's drift of memory,
// goroutines and CPU per packet (bench/report) both want its slope.
package linfit

import "math"

// Point is one observation: Y measured at X.
type Point struct{ X, Y float64 }

// Line is a least-squares fit.
type Line struct {
	Slope, Intercept float64
	// SlopeStdErr is the slope's standard error, from the residuals'
	// spread (NaN with two points, which the line passes through): a slope
	// within about two of it is one the noise alone could have drawn.
	SlopeStdErr float64
}

// Slope is the least-squares slope of the points, dY/dX; false when there
// are fewer than two distinct X (no line to fit). It is Fit without the
// residuals' pass, for the bandwidth estimator's every packet group.
func Slope(points []Point) (float64, bool) {
	slope, _, _, ok := slopeAt(points)
	return slope, ok
}

// slopeAt is the slope, the points' mean and their X's sum of squared
// deviations.
func slopeAt(points []Point) (slope float64, mean Point, sxx float64, ok bool) {
	if len(points) < 2 {
		return 0, Point{}, 0, false
	}
	for _, p := range points {
		mean.X += p.X
		mean.Y += p.Y
	}
	n := float64(len(points))
	mean.X, mean.Y = mean.X/n, mean.Y/n
	var sxy float64
	for _, p := range points {
		sxy += (p.X - mean.X) * (p.Y - mean.Y)
		sxx += (p.X - mean.X) * (p.X - mean.X)
	}
	if sxx == 0 {
		return 0, mean, 0, false
	}
	return sxy / sxx, mean, sxx, true
}

// Fit fits a line to the points; false when there are fewer than two
// distinct X.
func Fit(points []Point) (Line, bool) {
	slope, mean, sxx, ok := slopeAt(points)
	if !ok {
		return Line{}, false
	}
	l := Line{Slope: slope, Intercept: mean.Y - slope*mean.X, SlopeStdErr: math.NaN()}
	if n := len(points); n > 2 {
		var rss float64
		for _, p := range points {
			r := p.Y - (l.Intercept + l.Slope*p.X)
			rss += r * r
		}
		l.SlopeStdErr = math.Sqrt(rss / float64(n-2) / sxx)
	}
	return l, true
}
