package floor

import (
	"context"
	"fmt"
	"testing"
	"time"
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

func TestMeasureBatch(t *testing.T) {
	r, err := Measure(context.Background(), WithBatch(16), WithDuration(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if r.Batch != 16 || r.Packets == 0 || r.Packets%16 != 0 || r.MicrosPerPacket <= 0 {
		t.Fatalf("result %+v", r)
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
