package seqnum

import "testing"

func TestExtend(t *testing.T) {
	tests := []struct {
		name string
		ref  uint64
		v    uint64
		bits uint
		want uint64
	}{
		{"same", Start(100), 100, 16, Start(100)},
		{"ahead", Start(100), 105, 16, Start(105)},
		{"behind", Start(100), 95, 16, Start(95)},
		{"ahead across the wrap", Start(65530), 4, 16, Start(65536 + 4)},
		{"behind across the wrap", Start(65536 + 4), 65530, 16, Start(65530)},
		{"half ahead is behind", Start(0), 1 << 15, 16, Start(0) - 1<<15},
		{"just under half ahead", Start(0), 1<<15 - 1, 16, Start(1<<15 - 1)},
		{"7-bit picture id ahead across the wrap", Start(126), 1, 7, Start(129)},
		{"15-bit picture id behind", Start(10), 32760, 15, Start(10) - 18},
		{"before the first value", Start(0), 65535, 16, Start(0) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Extend(tt.ref, tt.v, tt.bits); got != tt.want {
				t.Fatalf("Extend(%d, %d, %d) = %d, want %d", tt.ref, tt.v, tt.bits, got, tt.want)
			}
			if got := Extend(tt.ref, tt.v, tt.bits) & (1<<tt.bits - 1); got != tt.v {
				t.Fatalf("low bits %d, want %d", got, tt.v)
			}
		})
	}
}
