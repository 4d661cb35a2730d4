package sfu

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/dataframe"
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

// dataChannelsOpen tells whether both channels are open.
func (p *Participant) dataChannelsOpen() bool {
	r, l := p.reliableDC.Load(), p.lossyDC.Load()
	return r != nil && l != nil && r.open() && l.open()
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
	// The two channels of dataframe.Channels, negotiated out of band.
	for _, c := range dataframe.Channels() {
		dc, err := p.pc.CreateDataChannel(c.Label, c.Init())
		if err != nil {
			p.log.Warn("creating data channel", "label", c.Label, "err", err)
			return
		}
		reliable := c.Reliable
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
