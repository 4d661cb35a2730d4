package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pion/webrtc/v4"
)

// publication is one Source on one of the client's sendonly transceivers.
type publication struct {
	src        Source
	mid        string
	sender     *webrtc.RTPSender
	negotiated bool // c.mu
}

// Publish adds each source on a sendonly transceiver, negotiates them in one
// offer (its tracks name each mid's source) and, once the server answered
// and the PeerConnection is connected, starts them: media written earlier
// would be dropped by Pion before DTLS is up. The sources run until Close.
func (c *Client) Publish(ctx context.Context, sources ...Source) error {
	if len(sources) == 0 {
		return nil
	}
	var pubs []*publication
	err := c.call(ctx, func() error {
		for _, src := range sources {
			tr, err := c.pc.AddTransceiverFromTrack(src.Track(),
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return fmt.Errorf("bench: adding %s track: %w", src.Source(), err)
			}
			mid := midPrefix + strconv.Itoa(c.neg.nextMid)
			c.neg.nextMid++
			if err := tr.SetMid(mid); err != nil {
				return fmt.Errorf("bench: naming transceiver: %w", err)
			}
			pubs = append(pubs, &publication{src: src, mid: mid, sender: tr.Sender()})
		}
		c.mu.Lock()
		c.pubs = append(c.pubs, pubs...)
		c.mu.Unlock()
		c.neg.needed = true
		return nil
	})
	if err != nil {
		return err
	}
	err = c.WaitUntil(ctx, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range pubs {
			if !p.negotiated {
				return false
			}
		}
		return c.connState == webrtc.PeerConnectionStateConnected
	})
	if err != nil {
		return fmt.Errorf("bench: publishing: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	for _, p := range pubs {
		c.media.Add(2)
		go func() {
			defer c.media.Done()
			if err := p.src.Run(c.ctx); err != nil {
				c.log.Warn("source stopped", "mid", p.mid, "err", err)
			}
		}()
		go func() {
			defer c.media.Done()
			readRTCP(p)
		}()
	}
	return nil
}

// readRTCP hands the server's RTCP about one published track to its source
// until the sender stops. Reading is also what makes Pion's NACK responder
// see the NACKs.
func readRTCP(p *publication) {
	for {
		pkts, _, err := p.sender.ReadRTCP()
		if err != nil {
			return
		}
		p.src.HandleRTCP(pkts)
	}
}
