package sfu

import (
	"errors"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestPaddingOnlyBetweenFrames: probe padding takes sequence numbers, so it
// goes only where a frame has ended; between two packets of one frame it
// would split the frame, which the receiver then never assembles.
func TestPaddingOnlyBetweenFrames(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 1, w)
	feed(r, []inPacket{{seq: 100, ts: 0, key: true, start: true}})
	if n, err := d.sendPadding(3); n != 0 || !errors.Is(err, errPaddingLater) {
		t.Fatalf("sent %d padding packets inside a frame (%v), want 0 and to try later", n, err)
	}
	feed(r, []inPacket{{seq: 101, ts: 0, marker: true}})
	if n, err := d.sendPadding(3); n != 3 || err != nil {
		t.Fatalf("sent %d padding packets after the frame's end (%v), want 3", n, err)
	}
	feed(r, []inPacket{{seq: 102, ts: 3000, start: true, marker: true}})
	var seqs []uint16
	for _, h := range w.headers {
		seqs = append(seqs, h.SequenceNumber)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence numbers %v: not one stream", seqs)
		}
	}
	if len(seqs) != 6 || !w.headers[2].Padding || w.headers[1].Padding || w.headers[5].Padding {
		t.Fatalf("sent %d packets (%v), want the frame's two, three padding, the next frame", len(seqs), seqs)
	}
}
