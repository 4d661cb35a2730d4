package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/statstable"
)

// TestRepeatedNACKs: a packet asked for again within 100 ms is not resent
// again, nor more than three times in all; other packets are apart.
func TestRepeatedNACKs(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 0x1234, w)
	d.setTarget(0, maxTemporal-1)
	feed(r, []inPacket{{seq: 100, ts: 3000, key: true}, {seq: 101, ts: 3000, marker: true}})
	if len(w.headers) != 2 {
		t.Fatalf("%d packets forwarded, want 2", len(w.headers))
	}
	first, second := w.headers[0].SequenceNumber, w.headers[1].SequenceNumber
	nack := func(seq uint16) *rtcp.TransportLayerNack {
		return &rtcp.TransportLayerNack{MediaSSRC: 0x1234, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{seq})}
	}
	ms := int64(time.Millisecond)
	tests := []struct {
		seq    uint16
		at     int64 // ms
		resent bool
	}{
		{first, 0, true},
		{first, 40, false}, // the receiver's repeat while the first is on its way
		{second, 40, true},
		{first, 150, true},
		{first, 300, true},
		{first, 450, false}, // three resends already
	}
	for i, tt := range tests {
		before := w.count
		d.handleNACK(nack(tt.seq), 1+tt.at*ms)
		if resent := w.count > before; resent != tt.resent {
			t.Fatalf("NACK %d (seq %d at %d ms): resent %v, want %v", i, tt.seq, tt.at, resent, tt.resent)
		}
	}
	if st := statstable.Snapshot[Stats](r.stats); st.PacketsRetransmitted != 4 || st.RetransmitsSkipped != 2 {
		t.Fatalf("retransmitted %d, skipped %d; want 4 and 2", st.PacketsRetransmitted, st.RetransmitsSkipped)
	}
}
