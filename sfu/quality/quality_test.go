package quality

import (
	"testing"
	"time"
)

func TestScoreLevels(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		in   Inputs
		want Level
	}{
		{"clean loopback", Inputs{RTT: 1 * ms}, Excellent},
		{"clean, 100 ms RTT, 10 ms jitter", Inputs{RTT: 100 * ms, Jitter: 10 * ms}, Excellent},
		{"2 % loss", Inputs{Loss: 0.02, RTT: 20 * ms}, Excellent},
		{"5 % loss", Inputs{Loss: 0.05, RTT: 20 * ms}, Good},
		{"10 % loss", Inputs{Loss: 0.10, RTT: 20 * ms}, Good},
		{"20 % loss", Inputs{Loss: 0.20, RTT: 20 * ms}, Poor},
		{"starved downlink", Inputs{Starved: true, RTT: 20 * ms}, Good},
		{"starved and 5 % loss", Inputs{Starved: true, Loss: 0.05}, Poor},
		{"satellite RTT 700 ms", Inputs{RTT: 700 * ms}, Good},
		{"RTT 1.5 s, jitter 100 ms", Inputs{RTT: 1500 * ms, Jitter: 100 * ms}, Poor},
		{"silent", Inputs{Silent: true}, Lost},
		{"loss above 1 clamps", Inputs{Loss: 3}, Poor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Score(c.in)
			if got := levelOf(s); got != c.want {
				t.Errorf("score %.2f is %v, want %v", s, got, c.want)
			}
			if !c.in.Silent && (s < 1 || s > 5) {
				t.Errorf("score %.2f outside 1..5", s)
			}
		})
	}
}

func TestNextHysteresis(t *testing.T) {
	cases := []struct {
		name  string
		prev  Level
		score float64
		want  Level
	}{
		{"falls at once", Excellent, GoodFrom - 0.01, Poor},
		{"stays poor just above good", Poor, GoodFrom + Margin/2, Poor},
		{"rises past the margin", Poor, GoodFrom + Margin, Good},
		{"rises two levels", Poor, ExcellentAbove + Margin + 0.01, Excellent},
		{"rises one when short of the next margin", Poor, ExcellentAbove + Margin/2, Good},
		{"excellent stays at threshold", Excellent, ExcellentAbove + 0.01, Excellent},
		{"lost comes back to what the score says", Lost, GoodFrom + 0.01, Good},
		{"silent is lost", Excellent, 0, Lost},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Next(c.prev, c.score); got != c.want {
				t.Errorf("Next(%v, %.2f) = %v, want %v", c.prev, c.score, got, c.want)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{Excellent: "excellent", Good: "good", Poor: "poor", Lost: "lost"} {
		if l.String() != want {
			t.Errorf("%d: %q", l, l.String())
		}
	}
}
