package sfu

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BenchmarkForwardSimulcast: three layers, n subscribers spread over them
// (a third on each), a packet of each layer in turn. Every layer's read
// loop visits every DownTrack of the track, and two thirds of them take
// another layer: the cost of passing those by counts here.
func BenchmarkForwardSimulcast(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, maxLayers)
			writers := make([]*recordingWriter, n)
			for i := range n {
				writers[i] = &recordingWriter{}
				bindTestDownTrack(r, uint32(i+1), writers[i]).setTarget(i%maxLayers, maxTemporal-1)
			}
			var (
				pkts [maxLayers]rtp.Packet
				raws [maxLayers][]byte
				seqs [maxLayers]uint16
			)
			for l := range maxLayers {
				pkts[l], raws[l] = forwardPacket()
				warmForward(r.layer(l), &pkts[l], raws[l], &seqs[l])
			}
			for i, w := range writers {
				if w.count == 0 {
					b.Fatalf("subscriber %d was sent nothing", i)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l := i % maxLayers
				i++
				seqs[l]++
				pkts[l].SequenceNumber = seqs[l]
				raws[l][2], raws[l][3] = byte(seqs[l]>>8), byte(seqs[l])
				r.layer(l).handlePacket(&pkts[l], raws[l])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
		})
	}
}
