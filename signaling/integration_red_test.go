package signaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// TestREDAudio: a publisher sends redundant audio (RFC 2198, each packet
// carrying the previous Opus payload and its own); a subscriber that
// negotiated RED receives it as RED, one that did not receives the primary
// Opus payloads alone. Every payload's bench layout (sequence number, CRC)
// is checked, so a RED payload passed to the Opus subscriber, or a block
// cut wrong, counts as damaged.
func TestREDAudio(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv := newServer(t)
	pub := srv.dial(ctx, t, "red", "publisher", bench.WithRED())
	audio, err := bench.NewSyntheticAudio(bench.WithRedundancy())
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, audio); err != nil {
		t.Fatal(err)
	}
	subs := map[string]*bench.Client{
		"audio/red":  srv.dial(ctx, t, "red", "red-subscriber", bench.WithRED()),
		"audio/opus": srv.dial(ctx, t, "red", "opus-subscriber"),
	}
	// 150 packets: three seconds of audio at 50 a second.
	const n = 150
	for mime, c := range subs {
		if err := c.WaitUntil(ctx, func() bool {
			r := trackFrom(c, pub.ID(), "audio")
			return r != nil && r.Stats().Distinct >= n
		}); err != nil {
			t.Fatalf("%s subscriber: %v; %s", mime, err, describe(c, []*bench.Client{pub}))
		}
		r := trackFrom(c, pub.ID(), "audio")
		if !strings.EqualFold(r.MimeType, mime) {
			t.Errorf("subscriber expecting %s receives %s", mime, r.MimeType)
		}
		st := r.Stats()
		if st.PayloadErrors > 0 {
			t.Errorf("%s: %d damaged payloads, last: %v", mime, st.PayloadErrors, r.LastPayloadError())
		}
		// On loopback nothing is lost: every sequence number between the
		// first and the last arrived.
		if m := st.Missing(); m > 0 {
			t.Errorf("%s: %d of %d payloads missing", mime, m, st.Distinct)
		}
		t.Logf("%s: %d payloads, %d bytes", mime, st.Distinct, st.Bytes)
	}
	// RED payloads carry two Opus payloads, the unwrapped ones one: the
	// Opus subscriber must get less than two thirds of the bytes per packet.
	redSt, opusSt := trackFrom(subs["audio/red"], pub.ID(), "audio").Stats(), trackFrom(subs["audio/opus"], pub.ID(), "audio").Stats()
	if perRED, perOpus := redSt.Bytes/redSt.Packets, opusSt.Bytes/opusSt.Packets; perOpus*3 > perRED*2 {
		t.Errorf("Opus subscriber gets %d bytes a packet, RED %d: not unwrapped", perOpus, perRED)
	}
}
