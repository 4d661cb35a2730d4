package floor

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMeasure(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(p.String(), func(t *testing.T) {
			r, err := Measure(context.Background(), WithProfile(p), WithDuration(20*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if r.Packets == 0 || r.MicrosPerPacket <= 0 || r.Profile != p.String() {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

// BenchmarkFloor is the floor per packet: SRTP-protect one 1100-byte RTP
// packet and write it to a UDP socket on loopback. Pion prefers
// AEAD_AES_256_GCM, and so does Chromium: that is what browsers get.
func BenchmarkFloor(b *testing.B) {
	benchProfiles(b, func(s *Sender) error { return s.Send() })
}

// BenchmarkEncrypt is the SRTP half of the floor alone.
func BenchmarkEncrypt(b *testing.B) {
	benchProfiles(b, func(s *Sender) error {
		s.header.SequenceNumber++
		_, err := s.srtp.EncryptRTP(s.out[:0], s.plain, &s.header)
		return err
	})
}

// benchProfiles runs step on a Sender of each profile.
func benchProfiles(b *testing.B, step func(*Sender) error) {
	for _, p := range Profiles() {
		b.Run(p.String(), func(b *testing.B) {
			s, err := NewSender(p)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			b.ReportAllocs()
			b.SetBytes(PacketSize)
			for b.Loop() {
				if err := step(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMeasureOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		batch int
	}{
		{"batches of 16", []Option{WithBatch(16)}, 16},
		{"4 readers awake", []Option{WithReaders(4)}, 1},
		{"4 readers awake, batches of 16", []Option{WithReaders(4), WithBatch(16)}, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			r, err := Measure(context.Background(), append(tt.opts, WithDuration(20*time.Millisecond))...)
			if err != nil {
				t.Fatal(err)
			}
			if r.Batch != tt.batch || r.Packets == 0 || r.Packets%tt.batch != 0 || r.MicrosPerPacket <= 0 {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

// TestReadersGetThePackets: with readers, every socket in turn is written.
func TestReadersGetThePackets(t *testing.T) {
	s, err := NewSender(Profiles()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	seen := map[string]int{}
	// Two reader sockets, read here rather than by startReaders's
	// goroutines; Close closes them.
	for range 2 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		s.readers = append(s.readers, c)
	}
	for range 4 {
		if err := s.Send(); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 1500)
	for _, c := range s.readers {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		for range 2 {
			if _, err := c.Read(buf); err != nil {
				t.Fatalf("%s: %v", c.LocalAddr(), err)
			}
			seen[c.LocalAddr().String()]++
		}
	}
	if len(seen) != 2 {
		t.Fatalf("packets reached %v", seen)
	}
}

// BenchmarkFloorBatch is the floor if an SFU wrote the packets of one
// fan-out with one sendmmsg(2): per packet, SRTP plus 1/n of the call.
func BenchmarkFloorBatch(b *testing.B) {
	for _, n := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s, err := NewSender(profiles[0])
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			bs := newBatchSender(s, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := bs.sendBatch(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/packet")
		})
	}
}
