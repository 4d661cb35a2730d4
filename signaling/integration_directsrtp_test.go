package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// TestDirectSRTP runs a meeting with the SFU encrypting forwarded RTP
// itself (sfu.WithDirectSRTP) on the shared batched UDP port: Pion
// subscribers, whose SRTP sessions hold the keys their own DTLS handshakes
// made, decrypt and decode every track intact, and the SFU counts the
// packets it sent past Pion's path: at least those of the check's window.
func TestDirectSRTP(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // generous: loaded 2-core CI
	defer cancel()
	pub := srv.dial(ctx, t, "direct", "pub")
	all := []*bench.Client{pub}
	for _, name := range []string{"sub0", "sub1"} {
		all = append(all, srv.dial(ctx, t, "direct", name))
	}
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	const want = 200 // packets of each kind per subscriber
	for _, sub := range all[1:] {
		if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, all[:1], want) }); err != nil {
			t.Fatalf("%v: %s", err, describe(sub, all[:1]))
		}
		checkIntact(t, sub)
	}
	st := srv.sfu.Stats()
	t.Logf("%d of %d forwarded packets sent directly", st.DirectSRTPPackets, st.PacketsOut)
	// Two subscribers, audio and video each: 4*want at least went direct;
	// the few before DTLS finished may have taken Pion's path.
	if st.DirectSRTPPackets < 4*want {
		t.Fatalf("%d packets sent directly, want at least %d (%d forwarded)", st.DirectSRTPPackets, 4*want, st.PacketsOut)
	}
}
