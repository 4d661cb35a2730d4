package sfu

import (
	"errors"
	"testing"

	"github.com/pion/transport/v5/packetio"
	"github.com/switchboard-rtc/switchboard/sfu/rtcpqueue"
)

// TestStreamBuffer: SRTCP streams queue in an rtcpqueue.Queue; SRTP streams
// keep pion/srtp's default, a packetio.Buffer of at most 1 MB that carries
// each packet's attributes to the reader.
func TestStreamBuffer(t *testing.T) {
	if _, ok := streamBuffer(packetio.RTCPBufferPacket, 1).(*rtcpqueue.Queue); !ok {
		t.Fatal("an SRTCP stream's buffer is not an rtcpqueue.Queue")
	}
	b, ok := streamBuffer(packetio.RTPBufferPacket, 1).(*rtpBuffer)
	if !ok {
		t.Fatal("an SRTP stream's buffer is not a packetio.Buffer")
	}
	type key struct{}
	pkt := make([]byte, 1200)
	if _, err := b.WriteWithAttributes(pkt, packetio.Attributes{{Key: key{}, Value: 7}}); err != nil {
		t.Fatal(err)
	}
	n, attrs, err := b.ReadWithAttributes(make([]byte, 1500), nil)
	if err != nil || n != len(pkt) || attrs.Get(key{}) != 7 {
		t.Fatalf("read %d bytes, attributes %v, %v", n, attrs, err)
	}
	written := 0
	for {
		if _, err := b.Write(pkt); err != nil {
			if !errors.Is(err, packetio.ErrFull) {
				t.Fatal(err)
			}
			break
		}
		written += len(pkt) + 2
	}
	if written > srtpBufferLimit || written < srtpBufferLimit-len(pkt)-2 {
		t.Fatalf("took %d bytes before full, want pion/srtp's %d", written, srtpBufferLimit)
	}
}
