package sfu

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/dataframe"
)

// The participant's two data channels, as LiveKit has them: one reliable
// and ordered, one lossy (no retransmission, unordered: RFC 8831 §6.1's
// partial reliability). Both are negotiated out of band (RFC 8832 is not
// used: the ids are agreed in advance, RFC 8831 §6.5), so they open with
// the SCTP association and need no signaling round of their own.
const (
	reliableLabel = "_reliable"
	lossyLabel    = "_lossy"
	reliableID    = 0
	lossyID       = 1
)

// maxBufferedData bounds what may wait in a recipient's data channel; past
// it a recipient that does not read loses messages rather than growing the
// server's memory.
const maxBufferedData = 4 << 20

// dataChannel is one of a participant's channels.
type dataChannel struct {
	dc  *webrtc.DataChannel
	log *slog.Logger
}

func (c *dataChannel) open() bool { return c.dc.ReadyState() == webrtc.DataChannelStateOpen }

// send reports whether the frame was queued on the channel; one dropped for
// a full buffer counts as sent (it is not sent another way either).
func (c *dataChannel) send(frame []byte) bool {
	if c.dc.BufferedAmount() > maxBufferedData {
		c.log.Debug("data channel full: message dropped", "channel", c.dc.Label())
		return true
	}
	if err := c.dc.Send(frame); err != nil {
		c.log.Debug("data channel send", "channel", c.dc.Label(), "err", err)
		return false
	}
	return true
}

// offersData tells whether a session description has an SCTP section.
func offersData(sdp string) bool {
	return strings.Contains(sdp, "\nm=application ")
}

// openDataChannels creates the two channels once the client's offer has an
// application section (a client that asks for none gets none, and the
// server's offers do not add one). Run goroutine only.
func (p *Participant) openDataChannels(sdp string) {
	if p.relay != notRelay || p.reliableDC.Load() != nil || !offersData(sdp) {
		return
	}
	for _, c := range []struct {
		label    string
		id       uint16
		reliable bool
	}{{reliableLabel, reliableID, true}, {lossyLabel, lossyID, false}} {
		negotiated, ordered := true, c.reliable
		init := &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &c.id, Ordered: &ordered}
		if !c.reliable {
			zero := uint16(0)
			init.MaxRetransmits = &zero
		}
		dc, err := p.pc.CreateDataChannel(c.label, init)
		if err != nil {
			p.log.Warn("creating data channel", "label", c.label, "err", err)
			return
		}
		reliable := c.reliable
		dc.OnMessage(func(m webrtc.DataChannelMessage) { p.onDataFrame(m.Data, reliable) })
		ch := &dataChannel{dc: dc, log: p.log}
		if reliable {
			p.reliableDC.Store(ch)
		} else {
			p.lossyDC.Store(ch)
		}
	}
}

// onDataFrame publishes what the client sent on a data channel; a frame
// that does not parse, or that the limits refuse, is an error to this
// client alone. Whatever sender the frame names is ignored.
func (p *Participant) onDataFrame(frame []byte, reliable bool) {
	h, payload, err := dataframe.Parse(frame)
	if err != nil {
		p.listener.Error(fmt.Errorf("%w: %v", ErrBadDataFrame, err))
		return
	}
	if err := p.PublishData(DataPacket{Payload: payload, Topic: h.Topic, Reliable: reliable, Destinations: h.To}); err != nil {
		p.listener.Error(err)
	}
}
