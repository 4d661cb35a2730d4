package signaling_test

import (
	"strings"
	"testing"

	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// TestOfferRate: a connection's offers past its burst are refused with a
// non-fatal rate-limited error naming the limit, and a connection that
// keeps offering past it is disconnected as any sender of bad messages.
// The rate is a hundredth of an offer a second, so no allowance comes
// back while the test runs, however slow the machine.
func TestOfferRate(t *testing.T) {
	const burst, maxBad = 3, 4
	url := newTestServer(t, nil, signaling.WithOfferRate(0.01, burst), signaling.WithMaxBadMessages(maxBad))
	c := dial(t, url)
	send(t, c, join("offers", "Renegotiator"))
	next(t, c, protocol.TypeJoined)
	offer := offerSending(t, 1)
	for range burst {
		send(t, c, offer)
		next(t, c, protocol.TypeAnswer)
	}
	for range maxBad {
		send(t, c, offer)
		m := next(t, c, protocol.TypeError)
		if m["code"] != protocol.CodeRateLimited || m["fatal"] == true || !strings.Contains(m["message"].(string), "offers a second") {
			t.Fatalf("got %v, want a non-fatal rate-limited error naming the offer limit", m)
		}
	}
	send(t, c, offer)
	expectFatal(t, c, protocol.CodeBadRequest)
}

// TestOfferRateOff: with the offer limit off, only the message limit
// applies: more offers than the default burst are all answered.
func TestOfferRateOff(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithOfferRate(0, 0))
	c := dial(t, url)
	send(t, c, join("offers", "Renegotiator"))
	next(t, c, protocol.TypeJoined)
	offer := offerSending(t, 1)
	for range signaling.DefaultOfferBurst + 2 {
		send(t, c, offer)
		next(t, c, protocol.TypeAnswer)
	}
}
