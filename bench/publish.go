package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pion/sdp/v3"
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
			if l, ok := src.(Layered); ok {
				for _, t := range l.Layers()[1:] {
					if err := tr.Sender().AddEncoding(t); err != nil {
						return fmt.Errorf("bench: adding simulcast layer %s: %w", t.RID(), err)
					}
				}
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
		if sc, ok := p.src.(*SyntheticSimulcast); ok {
			midID, ridID, _ := headerExtensionIDs(p.sender)
			sc.tagLayers(midID, ridID, p.mid)
		}
		if a, ok := p.src.(*SyntheticAudio); ok {
			_, _, levelID := headerExtensionIDs(p.sender)
			a.levelID = levelID
		}
		c.media.Add(2)
		go func() {
			defer c.media.Done()
			if err := p.src.Run(c.ctx); err != nil {
				c.log.Warn("source stopped", "mid", p.mid, "err", err)
			}
		}()
		if l, ok := p.src.(Layered); ok {
			layers := l.Layers()
			c.media.Add(len(layers) - 1) // one RTCP reader a layer, not one
			for _, t := range layers {
				go func() {
					defer c.media.Done()
					readLayerRTCP(p.sender, l, t.RID())
				}()
			}
			continue
		}
		go func() {
			defer c.media.Done()
			readRTCP(p)
		}()
	}
	return nil
}

// readLayerRTCP hands the server's RTCP about one simulcast layer to its
// source until the sender stops.
func readLayerRTCP(sender *webrtc.RTPSender, l Layered, rid string) {
	for {
		pkts, _, err := sender.ReadSimulcastRTCP(rid)
		if err != nil {
			return
		}
		l.HandleLayerRTCP(rid, pkts)
	}
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

// headerExtensionIDs returns the ids negotiated for the mid, rid and audio
// level header extensions on sender (0 if not negotiated).
func headerExtensionIDs(sender *webrtc.RTPSender) (midID, ridID, levelID uint8) {
	for _, e := range sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		case sdp.AudioLevelURI:
			levelID = uint8(e.ID)
		}
	}
	return midID, ridID, levelID
}
