package bench

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/dataframe"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// WithDataChannels opens the two data channels, as the web client does:
// the first offer then carries an SCTP section, sent once joined even when
// nothing is published.
func WithDataChannels() Option { return func(o *options) { o.dataChannels = true } }

// ReceivedData is one data message the client got.
type ReceivedData struct {
	ParticipantID, Identity, Topic string
	Payload                        []byte
	// OnChannel: it came on a data channel, not the signaling socket.
	OnChannel bool
}

// dataState is what the client sent and got of data and attributes; under
// Client.mu.
type dataState struct {
	received   []ReceivedData
	errors     []protocol.Error
	attributes map[string]map[string]string // by participant id
}

// openDataChannels creates the negotiated channels on the new
// PeerConnection and has the run goroutine offer them.
func (c *Client) openDataChannels() error {
	for _, ch := range dataframe.Channels() {
		dc, err := c.pc.CreateDataChannel(ch.Label, ch.Init())
		if err != nil {
			return err
		}
		dc.OnMessage(c.onDataFrame)
		if ch.Reliable {
			c.reliableDC = dc
		} else {
			c.lossyDC = dc
		}
	}
	c.neg.needed = true
	c.wake <- struct{}{} // run has not started: the buffer has room
	return nil
}

func (c *Client) onDataFrame(m webrtc.DataChannelMessage) {
	h, payload, err := dataframe.Parse(m.Data)
	if err != nil {
		c.log.Warn("bad data frame from the server", "err", err)
		return
	}
	c.mu.Lock()
	c.data.received = append(c.data.received, ReceivedData{
		ParticipantID: h.FromID, Identity: h.From, Topic: h.Topic, Payload: payload, OnChannel: true,
	})
	c.mu.Unlock()
}

// DataChannelsOpen tells whether both data channels are open.
func (c *Client) DataChannelsOpen() bool {
	return c.reliableDC != nil && c.reliableDC.ReadyState() == webrtc.DataChannelStateOpen &&
		c.lossyDC.ReadyState() == webrtc.DataChannelStateOpen
}

// PublishData sends payload to the room (to the identities in to, or
// everyone): on the data channel when open, else on the signaling socket.
func (c *Client) PublishData(payload []byte, topic string, reliable bool, to ...string) error {
	dc := c.lossyDC
	if reliable {
		dc = c.reliableDC
	}
	if dc != nil && dc.ReadyState() == webrtc.DataChannelStateOpen {
		frame, err := dataframe.Append(nil, dataframe.Header{Topic: topic, To: to}, payload)
		if err != nil {
			return err
		}
		return dc.Send(frame)
	}
	return c.send(protocol.Data{Type: protocol.TypeData, Payload: payload, Topic: topic, Lossy: !reliable, DestinationIdentities: to})
}

// SendFrame sends raw bytes on the reliable data channel (a test's
// malformed or spoofing frame).
func (c *Client) SendFrame(frame []byte) error {
	if c.reliableDC == nil {
		return fmt.Errorf("%w: no data channels (WithDataChannels)", ErrBadOption)
	}
	return c.reliableDC.Send(frame)
}

// SendMessage sends one signaling message as it is (a test's spoofed or
// malformed one).
func (c *Client) SendMessage(msg any) error { return c.send(msg) }

// SetAttributes sends the client's attribute changes.
func (c *Client) SetAttributes(changed map[string]string) error {
	return c.send(protocol.Attributes{Type: protocol.TypeAttributes, Attributes: changed})
}

// Data returns the data messages received so far, in order.
func (c *Client) Data() []ReceivedData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.data.received)
}

// Errors returns the error messages the server sent so far.
func (c *Client) Errors() []protocol.Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.data.errors)
}

// Attributes returns a participant's attributes as the server last told
// (joined, participant-joined, then attributes changes).
func (c *Client) Attributes(participantID string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.data.attributes[participantID])
}

// updateData applies data, attributes and error messages; c.mu held.
func (c *Client) updateData(msg any) {
	switch m := msg.(type) {
	case *protocol.Data:
		c.counts[m.Type]++
		c.data.received = append(c.data.received, ReceivedData{
			ParticipantID: m.ParticipantID, Identity: m.Identity, Topic: m.Topic, Payload: m.Payload,
		})
	case *protocol.Attributes:
		c.counts[m.Type]++
		attrs := c.data.attributes[m.ParticipantID]
		if attrs == nil {
			attrs = make(map[string]string)
			c.data.attributes[m.ParticipantID] = attrs
		}
		for k, v := range m.Attributes {
			if v == "" {
				delete(attrs, k)
			} else {
				attrs[k] = v
			}
		}
	case *protocol.Error:
		c.data.errors = append(c.data.errors, *m)
	}
}
