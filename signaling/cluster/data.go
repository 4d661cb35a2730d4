package cluster

import "github.com/switchboard-rtc/switchboard/sfu"

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

// relayData is the SFU's data relay: a message a participant here
// published goes on the room's channel, when another node has someone in
// the room. It only queues (the SFU calls it on a data channel's reader).
func (n *Node) relayData(roomName string, d sfu.ReceivedData, to []string) {
	n.tasks.Post(func() {
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
	})
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
		n.rejectedMsg.Add(1)
		n.log.Warn("cluster data message refused", "from", from, "room", msg.Room)
		return
	}
	d := msg.Data
	n.sfu.DeliverData(msg.Room, sfu.ReceivedData{
		ParticipantID: d.FromID, Identity: d.Identity, Topic: d.Topic, Payload: d.Payload, Reliable: d.Reliable,
	}, d.To)
}
