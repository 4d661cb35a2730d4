package dataframe

import "github.com/pion/webrtc/v4"

// Channel is one of a participant's two data channels, as LiveKit has them:
// `_reliable` (ordered, reliable) and `_lossy` (unordered, no
// retransmission: RFC 8831 §6.1's partial reliability). Both are negotiated
// out of band with these ids (RFC 8831 §6.5; no RFC 8832 open message), so
// they open with the SCTP association and need no signaling of their own.
// The server, the Go client and switchboard.js open the same two.
type Channel struct {
	Label    string
	ID       uint16
	Reliable bool
}

// Channels returns the two channels, the reliable one first.
func Channels() []Channel {
	return []Channel{{Label: "_reliable", ID: 0, Reliable: true}, {Label: "_lossy", ID: 1}}
}

// Init is what CreateDataChannel takes to open c.
func (c Channel) Init() *webrtc.DataChannelInit {
	negotiated, ordered, id := true, c.Reliable, c.ID
	init := &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered}
	if !c.Reliable {
		zero := uint16(0)
		init.MaxRetransmits = &zero
	}
	return init
}
