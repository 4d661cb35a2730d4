package sfu

import (
	"fmt"
	"slices"

	"github.com/switchboard-rtc/switchboard/sfu/dataframe"
)

// Bounds of a data message's topic and of its list of destinations.
const (
	maxTopic        = 256
	maxDestinations = 64
)

// DataPacket is a data message a participant publishes to its room.
type DataPacket struct {
	Payload  []byte
	Topic    string
	Reliable bool
	// Destinations are the identities it goes to; none: everyone in the
	// room but the sender.
	Destinations []string
}

// ReceivedData is a data message as its recipients get it: the sender is
// named by the server, never by what the sender wrote.
type ReceivedData struct {
	ParticipantID string // the sender's id
	Identity      string // the sender's identity
	Topic         string
	Payload       []byte
	Reliable      bool
}

// DataListener is what a Listener implements to hear data messages and
// attribute changes. The SFU sends a data message on the recipient's data
// channel when it is open, and to its DataListener (the signaling socket)
// otherwise; attribute changes always go to the DataListener. A Listener
// without it hears neither (a relay's end, a test's listener). Like
// Listener's, its methods must only queue.
type DataListener interface {
	Data(d ReceivedData)
	// AttributesChanged names the attributes of participantID that changed;
	// an empty value is an attribute removed.
	AttributesChanged(participantID string, changed map[string]string)
}

// Identity is the participant's identity: the access token's subject, or
// its id on a server without tokens.
func (p *Participant) Identity() string {
	if p.identity != "" {
		return p.identity
	}
	return p.id
}

// PublishData sends d to the participant's room: to everyone else there, or
// to the identities d names. Past the size or rate limits (WithDataLimits)
// it is refused with ErrDataTooLarge or ErrDataRateLimited and nobody gets
// it.
func (p *Participant) PublishData(d DataPacket) error {
	lim := p.sfu.cfg.dataLimits
	limit := lim.MaxLossy
	if d.Reliable {
		limit = lim.MaxReliable
	}
	// The rate first: every message spends a token, refused or not, so
	// that a flood of oversized ones is bounded like any other.
	switch {
	case !p.dataLimiter.allow(len(d.Payload)):
		return fmt.Errorf("%w: at most %g a second (bursts of %g) and %g bytes a second", ErrDataRateLimited, lim.Rate, lim.Burst, lim.ByteRate)
	case len(d.Payload) > limit:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrDataTooLarge, len(d.Payload), limit)
	case len(d.Topic) > maxTopic:
		return fmt.Errorf("%w: a topic of %d bytes, at most %d", ErrDataTooLarge, len(d.Topic), maxTopic)
	case len(d.Destinations) > maxDestinations:
		return fmt.Errorf("%w: %d destinations, at most %d", ErrDataTooLarge, len(d.Destinations), maxDestinations)
	}
	if p.room == nil || p.relay != notRelay {
		return nil
	}
	p.room.sendData(p, d)
	return nil
}

// sendData delivers d from from to its recipients here, and hands it to
// the data relay (a cluster's other nodes) when there is one.
func (r *Room) sendData(from *Participant, d DataPacket) {
	msg := ReceivedData{ParticipantID: from.id, Identity: from.Identity(), Topic: d.Topic, Payload: d.Payload, Reliable: d.Reliable}
	r.deliverData(from, msg, d.Destinations)
	if relay := r.sfu.relay(); relay != nil {
		relay.Data(r.name, msg, d.Destinations)
	}
}

// deliverData sends msg to the clients here but from (nil: a message from
// another node), or to those of destinations. The room's lock only picks
// them: the sends happen after it is released.
func (r *Room) deliverData(from *Participant, msg ReceivedData, destinations []string) {
	r.mu.Lock()
	to := make([]*Participant, 0, len(r.participants))
	for _, o := range r.participants {
		if o == from || o.relay != notRelay {
			continue
		}
		if len(destinations) > 0 && !slices.Contains(destinations, o.Identity()) {
			continue
		}
		to = append(to, o)
	}
	r.mu.Unlock()
	var frame []byte // encoded once, for the first recipient whose channel is open
	for _, o := range to {
		if o.sendDataFrame(msg, &frame) {
			continue
		}
		if dl, ok := o.listener.(DataListener); ok {
			dl.Data(msg)
		}
	}
}

// sendDataFrame sends msg on p's data channel for it, encoding *frame on
// first use; it reports false when that channel is not open.
func (p *Participant) sendDataFrame(msg ReceivedData, frame *[]byte) bool {
	dc := p.lossyDC.Load()
	if msg.Reliable {
		dc = p.reliableDC.Load()
	}
	if dc == nil || !dc.open() {
		return false
	}
	if *frame == nil {
		f, err := dataframe.Append(nil, dataframe.Header{Topic: msg.Topic, From: msg.Identity, FromID: msg.ParticipantID}, msg.Payload)
		if err != nil {
			p.log.Warn("encoding a data frame", "err", err)
			return true
		}
		*frame = f
	}
	return dc.send(*frame)
}
