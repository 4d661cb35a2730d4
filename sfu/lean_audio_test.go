package sfu

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestLeanAudio: a subscriber on lean audio gets each RED payload with its
// primary block alone (a one-octet header, then the block), one that
// negotiated Opus the block itself, the others the payload as published;
// the shared packet stays as it was, and the layer counts what the lean
// payload costs.
func TestLeanAudio(t *testing.T) {
	tests := []struct {
		name         string
		lean, unwrap bool
		want         func(orig, primary []byte) []byte
	}{
		{"RED as published", false, false, func(orig, _ []byte) []byte { return orig }},
		{"lean: the primary block alone, still RED", true, false, func(_, primary []byte) []byte { return append([]byte{111}, primary...) }},
		{"Opus: the primary block", true, true, func(_, primary []byte) []byte { return primary }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary := bytes.Repeat([]byte{2}, 60)
			r, ws, pkt, raw := redSetup(1, primary, true)
			l := r.layer(0)
			l.red = true
			d := (*r.downTracks.Load())[0]
			d.sub = &Participant{log: slog.New(slog.DiscardHandler), sfu: r.owner.sfu}
			d.sub.leanAudio.Store(tt.lean)
			d.unwrapRED = tt.unwrap
			orig := append([]byte(nil), pkt.Payload...)
			l.handlePacket(&pkt, raw)
			if want := tt.want(orig, primary); len(ws[0].payloads) != 1 || !bytes.Equal(ws[0].payloads[0], want) {
				t.Errorf("sent %v, want %v", ws[0].payloads, want)
			}
			if !bytes.Equal(pkt.Payload, orig) {
				t.Error("the shared packet was changed")
			}
			if got, want := l.primaryMeter.bytes.Load(), uint64(len(raw)-len(orig)+1+len(primary)); got != want {
				t.Errorf("lean cost counted %d bytes, want %d", got, want)
			}
		})
	}
}

func TestWantLeanAudio(t *testing.T) {
	tests := []struct {
		estimate int
		want     bool
	}{
		{300_000, true},
		{999_999, true},
		{1_000_000, false},
		{3_000_000, false},
	}
	for _, tt := range tests {
		if got := wantLeanAudio(tt.estimate); got != tt.want {
			t.Errorf("wantLeanAudio(%d) = %v, want %v", tt.estimate, got, tt.want)
		}
	}
}
