package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// RestartICE restarts ICE (RFC 8445 §9) as a client whose network changed
// does: a new ufrag and password, candidates gathered anew on the addresses
// it has now, and an offer that carries them all; the server's answer
// restarts ICE on its side too. It returns once the offer is on its way
// (ErrNegotiation when another negotiation is under way).
func (c *Client) RestartICE(ctx context.Context) error {
	err := c.call(ctx, func() error {
		if c.neg.pending != nil || c.neg.held != nil || c.pc.SignalingState() != webrtc.SignalingStateStable {
			return fmt.Errorf("%w: a negotiation is under way", ErrNegotiation)
		}
		// The offer made here only restarts the agent; the one sent is made
		// once gathering is done, so that it carries every new candidate
		// (one trickled before it would reach the server's old agent).
		_, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
		return err
	})
	if err != nil {
		return err
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for c.pc.ICEGatheringState() != webrtc.ICEGatheringStateComplete {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-c.ended:
			return ErrClosed
		case <-tick.C:
		}
	}
	return c.call(ctx, func() error {
		c.neg.needed = true
		return nil
	})
}
