package bwe

import (
	"iter"
	"testing"
	"time"
)

const (
	minute = int64(time.Minute)
	// sendT0 is a Unix time in ns, as the interceptor passes (time.Now().UnixNano()).
	sendT0 = int64(1_796_000_000) * int64(time.Second)
)

// everyMs sends the i-th packet i ms after sendT0, every2s 2i s after it.
func everyMs(i int) int64 { return sendT0 + int64(i)*int64(time.Millisecond) }
func every2s(i int) int64 { return sendT0 + int64(i)*2*int64(time.Second) }

// every10lag50 is feedback every 10 packets about all but the last 50;
// stopAt100 is feedback about packets up to 100, then none.
func every10lag50(i int) int64 {
	if (i+1)%10 == 0 {
		return int64(i - 50)
	}
	return -1
}

func stopAt100(i int) int64 {
	if i == 100 {
		return 100
	}
	return -1
}

func TestSendHistory(t *testing.T) {
	tests := []struct {
		name     string
		sent     int             // packets added, the i-th at sendAt(i), size 1000+i%7
		sendAt   func(int) int64 // nil: everyMs
		acked    func(int) int64 // nil: no feedback; else after packet i, Acked(acked(i)) unless negative
		lookup   uint16          // 16-bit sequence number asked for
		wantN    int64
		wantFind bool
		wantRing int // >0: len(packets) after the packets
	}{
		{name: "the first packet", sent: 10, lookup: 0, wantN: 0, wantFind: true, wantRing: historyMinSize},
		{name: "the newest packet", sent: 10, lookup: 9, wantN: 9, wantFind: true},
		{name: "nothing sent yet", sent: 0, lookup: 0, wantFind: false},
		{name: "not sent yet", sent: 10, lookup: 10, wantFind: false},
		{name: "far ahead", sent: 10, lookup: 3000, wantFind: false},
		{name: "the newest after the 16-bit number wraps", sent: 70_000, lookup: 69_999 - 65_536, wantN: 69_999, wantFind: true},
		// Without feedback the ring grows to the 4096 packets it always held.
		{name: "still in the ring after the wrap", sent: 70_000, lookup: 70_000 - historyMaxSize - 65_536, wantN: 70_000 - historyMaxSize, wantFind: true, wantRing: historyMaxSize},
		{name: "fallen out of the ring", sent: 70_000, lookup: 70_000 - historyMaxSize - 1 - 65_536, wantFind: false},
		{name: "an old seq: the newest with its 16 bits is meant", sent: 70_000, lookup: 69_000 - 65_536, wantN: 69_000, wantFind: true},
		{name: "an old seq whose newest has fallen out", sent: 70_000, lookup: 70_000 - 65_536 - historyMaxSize - 10, wantFind: false},
		// Without feedback past them, packets are kept: the ring doubled.
		{name: "unreported packets make the ring grow", sent: 1000, lookup: 0, wantN: 0, wantFind: true, wantRing: 1024},
		// Feedback 50 packets behind: the smallest ring holds all that
		// is not reported on yet, and a reported packet's slot is reused.
		{name: "reported packets keep the ring small", sent: 20_000, acked: every10lag50, lookup: 20_000 - 60, wantN: 20_000 - 60, wantFind: true, wantRing: historyMinSize},
		{name: "a reported packet's reused slot", sent: 20_000, acked: every10lag50, lookup: 20_000 - historyMinSize - 1, wantFind: false, wantRing: historyMinSize},
		// Feedback that stops: what it has not reported on is kept.
		{name: "feedback stopped at 100: 101 is kept", sent: 1000, acked: stopAt100, lookup: 101, wantN: 101, wantFind: true, wantRing: 1024},
		{name: "feedback stopped at 100: 100 is reused", sent: 1000, acked: stopAt100, lookup: 100, wantFind: false},
		// The send times' 32 bits of µs (71.6 minutes) roll over: base
		// moves, the times stay exact.
		// packet 2148 (4296 s after base) moves base to 2147.5 s before
		// it: 1075 (at 2150 s) keeps its time, 1074 is dropped.
		{name: "send times past 32 bits of µs: the newest", sent: 3000, sendAt: every2s, lookup: 2999, wantN: 2999, wantFind: true},
		{name: "send times past 32 bits of µs: 35.8 minutes before the rebase", sent: 3000, sendAt: every2s, lookup: 1075, wantN: 1075, wantFind: true},
		{name: "send times past 32 bits of µs: older", sent: 3000, sendAt: every2s, lookup: 1074, wantFind: false},
		{name: "an offset that just fits", sent: 2, sendAt: func(i int) int64 { return sendT0 + int64(i)*(1<<32-1)*1000 }, lookup: 0, wantN: 0, wantFind: true},
		{name: "an offset that does not fit", sent: 2, sendAt: func(i int) int64 { return sendT0 + int64(i)*(1<<32)*1000 }, lookup: 0, wantFind: false},
		{name: "an offset that does not fit: the newest", sent: 2, sendAt: func(i int) int64 { return sendT0 + int64(i)*(1<<32)*1000 }, lookup: 1, wantN: 1, wantFind: true},
		// The caller's clock stepped back: packets sent "after" the
		// newest keep their times within 35.8 minutes of it.
		{name: "clock stepped back 10 minutes: before the step", sent: 200, sendAt: func(i int) int64 { return everyMs(i) - 10*minute*int64(i/100) }, lookup: 99, wantN: 99, wantFind: true},
		{name: "clock stepped back 10 minutes: after the step", sent: 200, sendAt: func(i int) int64 { return everyMs(i) - 10*minute*int64(i/100) }, lookup: 150, wantN: 150, wantFind: true},
		{name: "clock stepped back an hour: before the step", sent: 200, sendAt: func(i int) int64 { return everyMs(i) - 60*minute*int64(i/100) }, lookup: 99, wantFind: false},
		{name: "clock stepped back an hour: after the step", sent: 200, sendAt: func(i int) int64 { return everyMs(i) - 60*minute*int64(i/100) }, lookup: 100, wantN: 100, wantFind: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sendAt := tt.sendAt
			if sendAt == nil {
				sendAt = everyMs
			}
			h := NewSendHistory()
			for i := range tt.sent {
				if got := h.Add(sendAt(i), 1000+i%7); got != uint16(i) {
					t.Fatalf("packet %d numbered %d", i, got)
				}
				if tt.acked != nil {
					if n := tt.acked(i); n >= 0 {
						h.Acked(n)
					}
				}
			}
			n, at, size, ok := h.Lookup(tt.lookup)
			if ok != tt.wantFind {
				t.Fatalf("Lookup(%d) found %v (n %d), want %v", tt.lookup, ok, n, tt.wantFind)
			}
			if ok && (n != tt.wantN || at != sendAt(int(tt.wantN)) || size != 1000+int(tt.wantN%7)) {
				t.Fatalf("Lookup(%d) = n %d at %d size %d, want n %d at %d", tt.lookup, n, at, size, tt.wantN, sendAt(int(tt.wantN)))
			}
			if tt.wantRing > 0 && len(h.packets) != tt.wantRing {
				t.Errorf("ring of %d slots, want %d", len(h.packets), tt.wantRing)
			}
		})
	}
}

// TestSendHistoryStaleSlot: a slot that holds another packet than the one
// asked for is told apart by its tag, even were the window's bound wrong.
func TestSendHistoryStaleSlot(t *testing.T) {
	h := NewSendHistory()
	for i := range 300 {
		h.Add(everyMs(i), 1000)
		h.Acked(int64(i) - 10)
	}
	if len(h.packets) != historyMinSize {
		t.Fatalf("ring of %d slots, want %d", len(h.packets), historyMinSize)
	}
	// Packet 10's slot now holds packet 10+256.
	if _, _, _, ok := h.Lookup(10); ok {
		t.Fatal("packet 10 found after its slot was reused")
	}
	h.oldest = 0 // a window bound gone wrong: only the tag is left
	if n, _, _, ok := h.Lookup(10); ok {
		t.Fatalf("packet 10 found as %d in a slot reused by %d", n, 10+historyMinSize)
	}
	if n, _, _, ok := h.Lookup(10 + historyMinSize); !ok || n != 10+historyMinSize {
		t.Fatalf("Lookup(%d) = %d, %v", 10+historyMinSize, n, ok)
	}
}

// TestSendHistorySize: a packet larger than 16 bits say is capped, not
// wrapped to a small size.
func TestSendHistorySize(t *testing.T) {
	h := NewSendHistory()
	for _, size := range []int{0, 12, 1500, 65_535, 70_000} {
		seq := h.Add(everyMs(int(h.next)), size)
		_, _, got, ok := h.Lookup(seq)
		if want := min(size, 65_535); !ok || got != want {
			t.Errorf("size %d read back as %d (%v), want %d", size, got, ok, want)
		}
	}
}

// TestSendHistoryAllocations: once the ring has its size, recording a
// packet allocates nothing: 50 packets and a feedback message about them
// allocate what the message alone does (OnFeedback's range over the
// results, per message, not per packet).
func TestSendHistoryAllocations(t *testing.T) {
	s := NewSendSide()
	step, results := feedbackLoop(s)
	for range 10_000 {
		step()
	}
	withPackets := testing.AllocsPerRun(1000, func() {
		for range feedbackEvery {
			step()
		}
	})
	alone := testing.AllocsPerRun(1000, func() { s.OnFeedback(results) })
	if withPackets != alone {
		t.Errorf("%v allocations per %d packets and their feedback, %v for the feedback alone", withPackets, feedbackEvery, alone)
	}
	if got := len(s.history.packets); got != historyMinSize {
		t.Errorf("ring of %d slots with feedback %d packets behind, want %d", got, feedbackEvery, historyMinSize)
	}
}

// feedbackEvery is how many packets a feedback message of feedbackLoop
// reports on: about what a 100 ms feedback interval is at 4 Mbit/s.
const feedbackEvery = 50

// feedbackLoop returns a step that sends one packet (1 ms after the one
// before) and, every feedbackEvery packets, feeds back those as received,
// and the feedback message's results (the last message's, when read
// again).
func feedbackLoop(s *SendSide) (step func(), results iter.Seq[PacketResult]) {
	var first, sent uint16
	var arrival time.Duration
	at := sendT0
	results = func(yield func(PacketResult) bool) {
		for i := range uint16(feedbackEvery) {
			if !yield(PacketResult{Seq: first + i, Received: true, Arrival: arrival + time.Duration(i)*time.Millisecond}) {
				return
			}
		}
	}
	return func() {
		at += int64(time.Millisecond)
		seq := s.OnSent(at, 1200)
		sent++
		if sent%feedbackEvery == 0 {
			first = seq - feedbackEvery + 1
			arrival += feedbackEvery * time.Millisecond
			s.OnFeedback(results)
		}
	}, results
}

func BenchmarkSendSideOnSent(b *testing.B) {
	s := NewSendSide()
	b.ReportAllocs()
	var at int64
	for b.Loop() {
		at += 1000
		s.OnSent(at, 1200)
	}
}

// BenchmarkSendSideWithFeedback: an op is feedbackEvery packets sent and
// one feedback message about them read; the ring stays at its smallest.
func BenchmarkSendSideWithFeedback(b *testing.B) {
	s := NewSendSide()
	step, _ := feedbackLoop(s)
	b.ReportAllocs()
	for b.Loop() {
		for range feedbackEvery {
			step()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*feedbackEvery), "ns/packet")
}
