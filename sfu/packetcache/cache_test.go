package packetcache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// packet returns a recognisable payload for seq.
func packet(seq uint16, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(int(seq) + i)
	}
	return p
}

func TestNewCapacity(t *testing.T) {
	tests := []struct{ in, want int }{
		{-5, 1}, {0, 1}, {1, 1}, {2, 2}, {3, 4}, {500, 512}, {512, 512}, {513, 1024},
		{MaxCapacity, MaxCapacity}, {MaxCapacity + 1, MaxCapacity}, {1 << 20, MaxCapacity},
	}
	for _, tt := range tests {
		if got := New(tt.in).Cap(); got != tt.want {
			t.Errorf("New(%d).Cap() = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Stored, "Stored"}, {Duplicate, "Duplicate"}, {TooOld, "TooOld"}, {TooLarge, "TooLarge"},
		{Result(42), "Result(42)"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.r), got, tt.want)
		}
	}
}

// op is one step of a scenario: a Store with its expected result.
type op struct {
	seq  uint16
	want Result
	size int // 0 means 100 bytes
}

func TestStore(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		ops      []op
		held     []uint16 // Get must find these, with the content stored
		missing  []uint16 // Get must not find these
	}{
		{
			name:     "in order",
			capacity: 8,
			ops:      []op{{10, Stored, 0}, {11, Stored, 0}, {12, Stored, 0}},
			held:     []uint16{10, 11, 12},
			missing:  []uint16{9, 13},
		},
		{
			name:     "duplicate of newest and of older",
			capacity: 8,
			ops:      []op{{10, Stored, 0}, {11, Stored, 0}, {11, Duplicate, 0}, {10, Duplicate, 0}},
			held:     []uint16{10, 11},
		},
		{
			name:     "late packet fills a gap",
			capacity: 8,
			ops:      []op{{10, Stored, 0}, {13, Stored, 0}, {11, Stored, 0}, {11, Duplicate, 0}},
			held:     []uint16{10, 11, 13},
			missing:  []uint16{12},
		},
		{
			name:     "reordered before the first packet",
			capacity: 8,
			ops:      []op{{10, Stored, 0}, {8, Stored, 0}, {8, Duplicate, 0}},
			held:     []uint16{8, 10},
			missing:  []uint16{9},
		},
		{
			name:     "too old",
			capacity: 8,
			ops:      []op{{100, Stored, 0}, {93, Stored, 0}, {92, TooOld, 0}, {50, TooOld, 0}},
			held:     []uint16{93, 100},
			missing:  []uint16{92, 50},
		},
		{
			name:     "wrap-around",
			capacity: 8,
			ops:      []op{{65534, Stored, 0}, {65535, Stored, 0}, {0, Stored, 0}, {1, Stored, 0}, {65535, Duplicate, 0}, {65533, Stored, 0}},
			held:     []uint16{65533, 65534, 65535, 0, 1},
			missing:  []uint16{2, 65532},
		},
		{
			name:     "late packet across wrap-around",
			capacity: 8,
			ops:      []op{{65534, Stored, 0}, {1, Stored, 0}, {65535, Stored, 0}, {0, Stored, 0}, {0, Duplicate, 0}},
			held:     []uint16{65534, 65535, 0, 1},
		},
		{
			name:     "overwritten slots",
			capacity: 4,
			ops:      []op{{1, Stored, 0}, {2, Stored, 0}, {3, Stored, 0}, {4, Stored, 0}, {5, Stored, 0}, {6, Stored, 0}},
			held:     []uint16{3, 4, 5, 6},
			missing:  []uint16{1, 2},
		},
		{
			name:     "overwritten slot is not a duplicate",
			capacity: 4,
			ops:      []op{{1, Stored, 0}, {5, Stored, 0}, {1, TooOld, 0}, {2, Stored, 0}},
			held:     []uint16{2, 5},
			missing:  []uint16{1, 3, 4},
		},
		{
			name:     "jump ahead empties the window",
			capacity: 4,
			ops:      []op{{1, Stored, 0}, {2, Stored, 0}, {1000, Stored, 0}, {998, Stored, 0}},
			held:     []uint16{998, 1000},
			missing:  []uint16{1, 2, 997, 999},
		},
		{
			name:     "stale slot from a full wrap ago",
			capacity: 4,
			ops:      []op{{1, Stored, 0}, {16384, Stored, 0}, {32768, Stored, 0}, {49152, Stored, 0}, {0, Stored, 0}},
			held:     []uint16{0},
			missing:  []uint16{1, 65533},
		},
		{
			name:     "too large",
			capacity: 4,
			ops:      []op{{1, Stored, MaxPacketSize}, {2, TooLarge, MaxPacketSize + 1}, {2, Stored, 0}},
			held:     []uint16{1, 2},
		},
		{
			name:     "empty packet",
			capacity: 4,
			ops:      []op{{1, Stored, -1}, {1, Duplicate, -1}},
			held:     []uint16{1},
		},
		{
			name:     "sender restart: two consecutive packets far behind",
			capacity: 8,
			ops:      []op{{40000, Stored, 0}, {10000, TooOld, 0}, {10001, Stored, 0}, {10002, Stored, 0}, {9990, TooOld, 0}},
			held:     []uint16{10001, 10002},
			missing:  []uint16{40000, 10000},
		},
		{
			name:     "very late packets just behind the window are no restart",
			capacity: 8,
			ops:      []op{{1000, Stored, 0}, {900, TooOld, 0}, {901, TooOld, 0}, {1001, Stored, 0}},
			held:     []uint16{1000, 1001},
		},
		{
			name:     "a newer packet disarms a restart",
			capacity: 8,
			ops:      []op{{40000, Stored, 0}, {10000, TooOld, 0}, {40001, Stored, 0}, {10001, TooOld, 0}},
			held:     []uint16{40000, 40001},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.capacity)
			sizes := map[uint16]int{}
			for i, o := range tt.ops {
				n := o.size
				switch n {
				case 0:
					n = 100
				case -1:
					n = 0
				}
				if got := c.Store(o.seq, packet(o.seq, n)); got != o.want {
					t.Fatalf("op %d: Store(%d) = %v, want %v", i, o.seq, got, o.want)
				}
				if o.want == Stored {
					sizes[o.seq] = n
				}
			}
			checkHeld(t, c, sizes, tt.held, tt.missing)
		})
	}
}

// checkHeld checks that c holds the packets held, each of the size stored,
// and not those missing.
func checkHeld(t *testing.T, c *PacketCache, sizes map[uint16]int, held, missing []uint16) {
	t.Helper()
	buf := make([]byte, MaxPacketSize)
	for _, seq := range held {
		n, ok := c.Get(seq, buf)
		if !ok {
			t.Errorf("Get(%d): not held", seq)
			continue
		}
		if want := packet(seq, sizes[seq]); !bytes.Equal(buf[:n], want) {
			t.Errorf("Get(%d) = %d bytes, not the packet stored (%d bytes)", seq, n, len(want))
		}
	}
	for _, seq := range missing {
		if _, ok := c.Get(seq, buf); ok {
			t.Errorf("Get(%d): held, want missing", seq)
		}
	}
}

func TestGet(t *testing.T) {
	c := New(16)
	if _, ok := c.Get(0, make([]byte, 10)); ok {
		t.Fatal("Get on an empty cache succeeded")
	}
	if _, ok := c.Newest(); ok {
		t.Fatal("Newest on an empty cache succeeded")
	}
	c.Store(7, packet(7, 100))
	tests := []struct {
		name   string
		seq    uint16
		dstLen int
		wantN  int
		wantOK bool
	}{
		{"exact dst", 7, 100, 100, true},
		{"larger dst", 7, 1500, 100, true},
		{"dst too small", 7, 99, 0, false},
		{"nil dst", 7, 0, 0, false},
		{"ahead of newest", 8, 1500, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := c.Get(tt.seq, make([]byte, tt.dstLen))
			if n != tt.wantN || ok != tt.wantOK {
				t.Errorf("Get(%d, [%d]) = %d, %v; want %d, %v", tt.seq, tt.dstLen, n, ok, tt.wantN, tt.wantOK)
			}
		})
	}
	if seq, ok := c.Newest(); seq != 7 || !ok {
		t.Errorf("Newest() = %d, %v; want 7, true", seq, ok)
	}
}

// TestStoreCopies checks the cache does not keep the caller's buffer, which
// the read loop reuses for the next packet.
func TestStoreCopies(t *testing.T) {
	c := New(4)
	p := []byte{1, 2, 3}
	c.Store(1, p)
	p[0] = 9
	buf := make([]byte, 3)
	if n, ok := c.Get(1, buf); !ok || !bytes.Equal(buf[:n], []byte{1, 2, 3}) {
		t.Errorf("Get(1) = %v, %v; want [1 2 3]", buf[:n], ok)
	}
}

// TestLongRun stores many wraps' worth of packets with gaps and checks the
// window is exactly the last Cap() sequence numbers.
func TestLongRun(t *testing.T) {
	c := New(64)
	buf := make([]byte, MaxPacketSize)
	seq := uint16(65000)
	for i := range 3 * 65536 {
		if i%7 == 3 { // a loss
			seq++
			continue
		}
		if got := c.Store(seq, packet(seq, 20)); got != Stored {
			t.Fatalf("Store(%d) = %v", seq, got)
		}
		if i%5 == 0 {
			if got := c.Store(seq, packet(seq, 20)); got != Duplicate {
				t.Fatalf("second Store(%d) = %v", seq, got)
			}
		}
		seq++
	}
	newest := seq - 1
	for back := range uint16(200) {
		s := newest - back
		n, ok := c.Get(s, buf)
		if back >= 64 {
			if ok {
				t.Errorf("Get(%d) held, %d behind the newest", s, back)
			}
			continue
		}
		if ok && !bytes.Equal(buf[:n], packet(s, 20)) {
			t.Errorf("Get(%d) returned the wrong packet", s)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	c := New(512)
	pkt := make([]byte, 1200)
	buf := make([]byte, MaxPacketSize)
	var seq uint16
	for ; seq < 512; seq++ { // every slot gets its buffer
		c.Store(seq, pkt)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		c.Store(seq, pkt)
		c.Store(seq, pkt) // duplicate
		c.Get(seq-3, buf)
		seq++
	})
	if allocs != 0 {
		t.Errorf("Store and Get allocate %v times per run, want 0", allocs)
	}
}

// TestMemoryFollowsPacketSize: slots take the size of the stream's packets,
// rounded up to slotGrain, and keep it.
func TestMemoryFollowsPacketSize(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int // stored in turn, round and round
		want  int   // bytes of slot buffers
	}{
		{"empty", nil, 0},
		{"Opus", []int{90, 110, 100}, 512 * slotGrain},
		{"video", []int{1100, 1050, 1150}, 512 * 9 * slotGrain},
		{"a slot keeps its largest", []int{1400, 100}, 256*11*slotGrain + 256*slotGrain},
		{"full size", []int{MaxPacketSize}, 512 * 12 * slotGrain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(512)
			for i := range 2 * 512 {
				if len(tt.sizes) > 0 {
					c.Store(uint16(i), make([]byte, tt.sizes[i%len(tt.sizes)]))
				}
			}
			got := 0
			for _, s := range c.slots {
				got += cap(s.buf)
			}
			if got != tt.want {
				t.Fatalf("slots take %d bytes, want %d", got, tt.want)
			}
		})
	}
}

func BenchmarkStore(b *testing.B) {
	c := New(512)
	pkt := make([]byte, 1200)
	var seq uint16
	for ; seq < 512; seq++ { // every slot gets its buffer: the steady state
		c.Store(seq, pkt)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		c.Store(seq, pkt)
		seq++
	}
}

func BenchmarkStoreDuplicate(b *testing.B) {
	c := New(512)
	pkt := make([]byte, 1200)
	c.Store(1, pkt)
	b.ReportAllocs()
	for b.Loop() {
		c.Store(1, pkt)
	}
}

func BenchmarkGet(b *testing.B) {
	c := New(512)
	pkt := make([]byte, 1200)
	for i := range 512 {
		c.Store(uint16(i), pkt)
	}
	buf := make([]byte, MaxPacketSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	var seq uint16
	for b.Loop() {
		c.Get(seq%512, buf)
		seq++
	}
}

func BenchmarkGetParallel(b *testing.B) {
	c := New(512)
	pkt := make([]byte, 1200)
	for i := range 512 {
		c.Store(uint16(i), pkt)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, MaxPacketSize)
		var seq uint16
		for pb.Next() {
			c.Get(seq%512, buf)
			seq++
		}
	})
}

func TestHoldsRun(t *testing.T) {
	c := New(8)
	for _, seq := range []uint16{65533, 65534, 65535, 0, 2, 3} { // 1 is missing
		c.Store(seq, []byte{byte(seq)})
	}
	tests := []struct {
		first, last uint16
		want        bool
	}{
		{65533, 0, true}, // across the wrap
		{65534, 65534, true},
		{0, 2, false}, // 1 missing
		{2, 3, true},
		{3, 4, false},     // 4 not yet stored
		{65530, 0, false}, // never stored
		{65533, 3, false}, // 1 missing inside
		{65000, 65533, false},
	}
	for _, tt := range tests {
		if got := c.HoldsRun(tt.first, tt.last); got != tt.want {
			t.Errorf("HoldsRun(%d, %d) = %v, want %v", tt.first, tt.last, got, tt.want)
		}
	}
	// Overwritten: after 8 more packets the old run is gone.
	for seq := uint16(4); seq < 12; seq++ {
		c.Store(seq, []byte{1})
	}
	if c.HoldsRun(2, 3) {
		t.Error("HoldsRun(2, 3) after they were overwritten")
	}
	if !c.HoldsRun(4, 11) {
		t.Error("HoldsRun(4, 11) of the newest eight")
	}
}

func TestNewWindowCapacity(t *testing.T) {
	tests := []struct{ minCap, maxCap, wantCap, wantMax int }{
		{128, 512, 128, 512},
		{100, 500, 128, 512},
		{32, 512, 32, 512},
		{512, 128, 512, 512}, // a floor above the bound: the floor
		{0, 0, 1, 1},
		{4, MaxCapacity + 1, 4, MaxCapacity},
	}
	for _, tt := range tests {
		c := NewWindow(time.Second, tt.minCap, tt.maxCap)
		if c.Cap() != tt.wantCap || c.MaxCap() != tt.wantMax {
			t.Errorf("NewWindow(1s, %d, %d): Cap %d, MaxCap %d; want %d, %d",
				tt.minCap, tt.maxCap, c.Cap(), c.MaxCap(), tt.wantCap, tt.wantMax)
		}
	}
	if c := New(300); c.MaxCap() != c.Cap() {
		t.Errorf("New(300): MaxCap %d, Cap %d", c.MaxCap(), c.Cap())
	}
}

// timedOp is one step of a scenario of a cache bounded by time: a Store at
// a time, with its expected result.
type timedOp struct {
	seq  uint16
	ms   int64 // when, ms
	want Result
}

// every returns the in-order stores of n packets from seq first, one each
// step ms from ms start.
func every(first uint16, n int, start, step int64) []timedOp {
	ops := make([]timedOp, n)
	for i := range ops {
		ops[i] = timedOp{first + uint16(i), start + int64(i)*step, Stored}
	}
	return ops
}

func concat(parts ...[]timedOp) []timedOp {
	var ops []timedOp
	for _, p := range parts {
		ops = append(ops, p...)
	}
	return ops
}

// TestWindowGrowth: a cache bounded by a window of 100 ms, from 4 to 16
// slots, grows when the packet a Store pushes out is younger than the
// window, keeps every packet held through the growth, and never shrinks.
func TestWindowGrowth(t *testing.T) {
	const window = 100 * time.Millisecond
	tests := []struct {
		name    string
		ops     []timedOp
		wantCap int
		held    []uint16
		missing []uint16
	}{
		{
			name:    "a slow stream stays at the floor",
			ops:     every(10, 20, 0, 30), // 4 packets span 90 ms; the one pushed out is 120 ms old
			wantCap: 4,
			held:    []uint16{26, 27, 28, 29},
			missing: []uint16{25, 10},
		},
		{
			name:    "a faster stream grows to hold the window",
			ops:     every(10, 40, 0, 20), // 8 packets: 160 ms
			wantCap: 8,
			held:    []uint16{42, 45, 49},
			missing: []uint16{41},
		},
		{
			name:    "a burst grows to the bound and no further",
			ops:     every(10, 40, 0, 0),
			wantCap: 16,
			held:    []uint16{34, 40, 49},
			missing: []uint16{33, 10},
		},
		{
			name:    "no shrinking when the stream slows",
			ops:     concat(every(10, 20, 0, 0), every(30, 40, 1000, 50)),
			wantCap: 16,
			held:    []uint16{54, 60, 69},
			missing: []uint16{53},
		},
		{
			name:    "growth across the wrap",
			ops:     every(65530, 14, 0, 1), // 65530..65535, 0..7
			wantCap: 16,
			held:    []uint16{65530, 65535, 0, 7},
			missing: []uint16{65529, 8},
		},
		{
			name: "growth keeps a gap, then the late packet fills it",
			ops: concat(every(10, 4, 0, 1), // 10..13 fill the 4 slots
				[]timedOp{{15, 5, Stored}, {16, 6, Stored}, {14, 7, Stored}, {14, 8, Duplicate}}),
			wantCap: 8,
			held:    []uint16{10, 11, 12, 13, 14, 15, 16},
			missing: []uint16{9, 17},
		},
		{
			name: "the packet a ring behind never came: the next Store grows",
			// 11 and 14 are lost: 15 would push out 11, which never came,
			// so it grows nothing and 10 goes unasked; 16 pushes out 12,
			// young: growth.
			ops: []timedOp{{10, 0, Stored}, {12, 1, Stored}, {13, 2, Stored},
				{15, 3, Stored}, {16, 4, Stored}},
			wantCap: 8,
			held:    []uint16{12, 13, 15, 16},
			missing: []uint16{10, 11, 14},
		},
		{
			// 14 pushes out 10, old; 15 pushes out 11, young: growth. 10
			// is not taken back, as a ring that never grew would not.
			name: "a packet pushed out before growth stays too old",
			ops: []timedOp{{10, 0, Stored}, {11, 150, Stored}, {12, 150, Stored}, {13, 150, Stored},
				{14, 150, Stored}, {15, 150, Stored}, {10, 151, TooOld}, {10, 152, TooOld}},
			wantCap: 8,
			held:    []uint16{11, 15},
			missing: []uint16{10},
		},
		{
			name:    "a jump ahead pushes out old packets without growth",
			ops:     concat(every(10, 4, 0, 1), []timedOp{{1000, 5, Stored}, {999, 6, Stored}}),
			wantCap: 4,
			held:    []uint16{999, 1000},
			missing: []uint16{10, 13, 998},
		},
		{
			name:    "packets older than the window are pushed out",
			ops:     concat(every(10, 4, 0, 0), every(14, 4, 500, 0)),
			wantCap: 4,
			held:    []uint16{14, 17},
			missing: []uint16{13, 10},
		},
		{
			name: "a restart of the numbering across growth",
			// Grows to 8 on 40000.., the sender restarts at 10000 (two
			// consecutive packets far behind): the ring keeps its size,
			// forgets the old packets, and grows on from there.
			ops: concat(every(40000, 8, 0, 0),
				[]timedOp{{10000, 1, TooOld}},
				every(10001, 12, 2, 0)),
			wantCap: 16,
			held:    []uint16{10001, 10005, 10012},
			missing: []uint16{10000, 40000, 40007},
		},
		{
			name: "a restart, then a ring of old packets: no growth",
			ops: concat(every(40000, 8, 0, 0),
				[]timedOp{{10000, 1000, TooOld}},
				every(10001, 12, 1001, 30)),
			wantCap: 8,
			held:    []uint16{10005, 10012},
			missing: []uint16{10004, 40007},
		},
		{
			name: "duplicates and late packets do not grow",
			ops: concat(every(10, 4, 0, 0),
				[]timedOp{{10, 1, Duplicate}, {13, 1, Duplicate}, {9, 1, TooOld}, {8, 1, TooOld}}),
			wantCap: 4,
			held:    []uint16{10, 13},
			missing: []uint16{9, 8},
		},
		{
			name:    "a clock stepping back grows, up to the bound",
			ops:     concat(every(10, 4, 1000, 0), every(14, 20, 0, 0)),
			wantCap: 16,
			held:    []uint16{18, 33},
			missing: []uint16{17},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewWindow(window, 4, 16)
			stored := map[uint16]int{}
			for i, o := range tt.ops {
				size := 50 + int(o.seq%40)
				if got := c.StoreAt(o.seq, packet(o.seq, size), o.ms*int64(time.Millisecond)); got != o.want {
					t.Fatalf("op %d: StoreAt(%d, %d ms) = %v, want %v", i, o.seq, o.ms, got, o.want)
				}
				if o.want == Stored {
					stored[o.seq] = size
				}
			}
			if c.Cap() != tt.wantCap {
				t.Errorf("Cap() = %d, want %d", c.Cap(), tt.wantCap)
			}
			checkHeld(t, c, stored, tt.held, tt.missing)
			// Whatever is held is the last Cap() numbers' packets only.
			newest, _ := c.Newest()
			buf := make([]byte, MaxPacketSize)
			for back := range uint16(40) {
				seq := newest - back
				if _, ok := c.Get(seq, buf); ok && int(back) >= c.Cap() {
					t.Errorf("Get(%d) held, %d behind the newest of %d slots", seq, back, c.Cap())
				}
			}
		})
	}
}

// TestWindowHoldsTheWindow: at every step of a stream whose rate changes,
// a cache bounded by time holds every packet of the last window (up to its
// bound), and HoldsRun agrees with Get.
func TestWindowHoldsTheWindow(t *testing.T) {
	const window = 50 * int64(time.Millisecond)
	c := NewWindow(time.Duration(window), 8, 256)
	buf := make([]byte, MaxPacketSize)
	type sent struct {
		seq uint16
		at  int64
	}
	var past []sent
	now, seq := int64(0), uint16(65000)
	// Intervals between packets, in µs: slow, faster, a burst, slow.
	for _, step := range []int64{20000, 5000, 700, 0, 9000, 300} {
		for range 400 {
			now += step * int64(time.Microsecond)
			if got := c.StoreAt(seq, packet(seq, 30), now); got != Stored {
				t.Fatalf("StoreAt(%d) = %v", seq, got)
			}
			past = append(past, sent{seq, now})
			seq++
			for i := len(past) - 1; i >= 0 && now-past[i].at < window && len(past)-i <= c.MaxCap(); i-- {
				if _, ok := c.Get(past[i].seq, buf); !ok {
					t.Fatalf("step %d µs: packet %d, %v old, not held (Cap %d)",
						step, past[i].seq, time.Duration(now-past[i].at), c.Cap())
				}
			}
		}
		newest := seq - 1
		k := uint16(c.Cap() - 1)
		if !c.HoldsRun(newest-k, newest) || c.HoldsRun(newest-k-1, newest) {
			t.Errorf("step %d µs: HoldsRun disagrees with Cap %d", step, c.Cap())
		}
	}
	if c.Cap() != 256 {
		t.Errorf("Cap() = %d after a burst, want the bound 256", c.Cap())
	}
}

// TestWindowNoAllocations: once a cache bounded by time holds its window
// at the stream's rate, Store and Get allocate nothing.
func TestWindowNoAllocations(t *testing.T) {
	c := NewWindow(time.Second, 128, 512)
	pkt := make([]byte, 1200)
	buf := make([]byte, MaxPacketSize)
	var seq uint16
	now := int64(0)
	const step = int64(7 * time.Millisecond) // 143 packets a second: 256 slots
	for range 4 * 512 {
		c.StoreAt(seq, pkt, now)
		seq++
		now += step
	}
	if c.Cap() != 256 {
		t.Fatalf("Cap() = %d, want 256", c.Cap())
	}
	allocs := testing.AllocsPerRun(1000, func() {
		c.StoreAt(seq, pkt, now)
		c.StoreAt(seq, pkt, now) // duplicate
		c.Get(seq-3, buf)
		seq++
		now += step
	})
	if allocs != 0 {
		t.Errorf("StoreAt and Get allocate %v times per run, want 0", allocs)
	}
}

// TestConcurrent has one writer and several readers, of a fixed cache and
// of one bounded by time that grows under them; run with -race.
func TestConcurrent(t *testing.T) {
	tests := []struct {
		name    string
		cache   *PacketCache
		step    time.Duration // between packets
		wantCap int
	}{
		{"fixed", New(256), 0, 256},
		{"bounded by time", NewWindow(time.Second, 4, 1024), time.Millisecond, 1024}, // a second at 1000 packets/s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cache
			const packets = 20000
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					buf := make([]byte, MaxPacketSize)
					for i := range packets {
						seq := uint16(i)
						n, ok := c.Get(seq, buf)
						if ok && !bytes.Equal(buf[:n], packet(seq, 64+int(seq%32))) {
							errs <- fmt.Errorf("Get(%d) returned the wrong packet", seq)
							return
						}
						c.HoldsRun(seq-3, seq)
						_ = c.Cap()
					}
				})
			}
			for i := range packets {
				seq := uint16(i)
				c.StoreAt(seq, packet(seq, 64+int(seq%32)), int64(i)*int64(tt.step))
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if c.Cap() != tt.wantCap {
				t.Errorf("Cap() = %d, want %d", c.Cap(), tt.wantCap)
			}
		})
	}
}

// BenchmarkStoreWindow is BenchmarkStore on a cache bounded by time, at
// 143 packets a second (256 slots), sized: the steady state.
func BenchmarkStoreWindow(b *testing.B) {
	c := NewWindow(time.Second, 128, 512)
	pkt := make([]byte, 1200)
	var seq uint16
	now := int64(0)
	const step = int64(7 * time.Millisecond)
	for range 4 * 512 {
		c.StoreAt(seq, pkt, now)
		seq++
		now += step
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		c.StoreAt(seq, pkt, now)
		seq++
		now += step
	}
}
