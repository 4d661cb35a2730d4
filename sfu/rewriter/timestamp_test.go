package rewriter

import "testing"

func TestTimestamp(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		in    uint32
		want  uint32
	}{
		{"before any packet", nil, 1234, 1234},
		{"first source keeps timestamps", []step{rw(10, 5000, 10, 5000)}, 4000, 4000},
		{
			"after a switch, as Rewrite did",
			[]step{rw(10, 5000, 10, 5000), switchTo(3000), rw(700, 90000, 11, 8000)},
			87000, 5000,
		},
		{
			"a switch without a packet yet keeps the old source",
			[]step{rw(10, 5000, 10, 5000), switchTo(3000)},
			4000, 4000,
		},
		{
			"wrap-around",
			[]step{rw(10, 5000, 10, 5000), switchTo(10), rw(700, 4294967290, 11, 5010)},
			4, 5020,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			run(t, r, tt.steps)
			if got := r.Timestamp(tt.in); got != tt.want {
				t.Errorf("Timestamp(%d) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
