package cluster

import (
	"github.com/switchboard-rtc/switchboard/sfu"
)

// dataMessage is a data message published on one node, on its way to the
// room's participants on the others. The sending node has applied the
// limits and stamped the sender.
type dataMessage struct {
	FromID   string   `json:"fromId"`
	Identity string   `json:"identity"`
	Topic    string   `json:"topic,omitempty"`
	Payload  []byte   `json:"payload"`
	Reliable bool     `json:"reliable,omitempty"`
	To       []string `json:"to,omitempty"` // destination identities; none: everyone
}

// dataRelay is the node as the SFU's DataRelay. Its methods only queue
// (the SFU calls them on a data channel's reader or a session's).
type dataRelay struct{ n *Node }

func (d dataRelay) Data(room string, msg sfu.ReceivedData, to []string) {
	d.n.tasks.Post(func() { d.n.relayData(room, msg, to) })
}

func (d dataRelay) Attributes(room, participantID string, changed map[string]string) {
	d.n.tasks.Post(func() { d.n.relayAttributes(room, participantID, changed) })
}

// relayData puts a message a participant here published on the room's
// channel, when another node has someone in the room. Run only.
func (n *Node) relayData(roomName string, d sfu.ReceivedData, to []string) {
	r := n.rooms[roomName]
	if r == nil || len(r.remote) == 0 {
		return
	}
	if _, here := r.local[d.ParticipantID]; !here {
		return
	}
	n.publish(n.roomChan(roomName), message{Kind: kindData, Room: roomName, Data: &dataMessage{
		FromID: d.ParticipantID, Identity: d.Identity, Topic: d.Topic, Payload: d.Payload, Reliable: d.Reliable, To: to,
	}})
}

// relayAttributes records a participant's changed attributes with its
// member (a node that joins the room later reads them from Redis) and
// tells the other nodes on the room's channel. Run only.
func (n *Node) relayAttributes(roomName, id string, changed map[string]string) {
	r := n.rooms[roomName]
	if r == nil {
		return
	}
	m, here := r.local[id]
	if !here {
		return
	}
	m.Attributes = sfu.ApplyAttributes(m.Attributes, changed)
	r.local[id] = m
	n.writeMember(r, m)
	n.publish(n.roomChan(roomName), message{Kind: kindAttrs, Room: roomName, Member: &member{ID: id, Node: n.id}, Changed: changed})
}

// deliverAttributes applies a remote participant's changed attributes, if
// the node that sends them is its own.
func (n *Node) deliverAttributes(from string, msg message) {
	r := n.rooms[msg.Room]
	if r == nil || msg.Member == nil {
		return
	}
	m, ok := r.remote[msg.Member.ID]
	if !ok || m.Node != from {
		n.stats.MessagesRejected.Add(1)
		n.log.Warn("cluster attributes message refused", "from", from, "room", msg.Room)
		return
	}
	m.Attributes = sfu.ApplyAttributes(m.Attributes, msg.Changed)
	r.remote[m.ID] = m
	n.sfu.DeliverAttributes(msg.Room, m.ID, msg.Changed)
}

// deliverData hands a data message from another node to the participants
// here, if its sender is that node's member of the room (a node speaks
// only for its own participants).
func (n *Node) deliverData(from string, msg message) {
	r := n.rooms[msg.Room]
	if r == nil {
		return // nobody here any more
	}
	if msg.Data == nil || r.remote[msg.Data.FromID].Node != from {
		n.stats.MessagesRejected.Add(1)
		n.log.Warn("cluster data message refused", "from", from, "room", msg.Room)
		return
	}
	d := msg.Data
	n.sfu.DeliverData(msg.Room, sfu.ReceivedData{
		ParticipantID: d.FromID, Identity: d.Identity, Topic: d.Topic, Payload: d.Payload, Reliable: d.Reliable,
	}, d.To)
}
