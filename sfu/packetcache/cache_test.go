package packetcache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
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
			buf := make([]byte, MaxPacketSize)
			for _, seq := range tt.held {
				n, ok := c.Get(seq, buf)
				if !ok {
					t.Errorf("Get(%d): not held", seq)
					continue
				}
				if want := packet(seq, sizes[seq]); !bytes.Equal(buf[:n], want) {
					t.Errorf("Get(%d) = %d bytes, not the packet stored (%d bytes)", seq, n, len(want))
				}
			}
			for _, seq := range tt.missing {
				if _, ok := c.Get(seq, buf); ok {
					t.Errorf("Get(%d): held, want missing", seq)
				}
			}
		})
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

// TestConcurrent has one writer and several readers; run with -race.
func TestConcurrent(t *testing.T) {
	c := New(256)
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
			}
		})
	}
	for i := range packets {
		seq := uint16(i)
		c.Store(seq, packet(seq, 64+int(seq%32)))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
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
