// Package linfit fits a straight line to points by least squares: the
// bandwidth estimator's delay trend (bwe) and a soak run's drift of memory,
// goroutines and CPU per packet (bench/report) both want its slope.
package linfit

// Point is one observation: Y measured at X.
type Point struct{ X, Y float64 }

// Slope is the least-squares slope of the points, dY/dX; false when there
// are fewer than two distinct X (no line to fit).
func Slope(points []Point) (float64, bool) {
	if len(points) < 2 {
		return 0, false
	}
	var sx, sy float64
	for _, p := range points {
		sx += p.X
		sy += p.Y
	}
	n := float64(len(points))
	mx, my := sx/n, sy/n
	var num, den float64
	for _, p := range points {
		num += (p.X - mx) * (p.Y - my)
		den += (p.X - mx) * (p.X - mx)
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}
