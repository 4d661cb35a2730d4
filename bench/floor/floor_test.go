package floor

import (
	"context"
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
				if err := s.Send(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncrypt is the SRTP half of the floor alone.
func BenchmarkEncrypt(b *testing.B) {
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
				s.header.SequenceNumber++
				if _, err := s.srtp.EncryptRTP(s.out[:0], s.plain, &s.header); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
