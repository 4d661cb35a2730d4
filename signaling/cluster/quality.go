package cluster

import "github.com/switchboard-rtc/switchboard/sfu"

// Connection quality across nodes: each node scores the clients connected
// to it (it alone sees their packets and reports) and tells the room's
// other nodes on the room's channel, whose clients then see a level for
// everyone in the room.

func (d dataRelay) Quality(room string, changed []sfu.QualityInfo) {
	d.n.tasks.Post(func() { d.n.relayQuality(room, changed) })
}

// relayQuality puts the levels of participants here on the room's channel,
// when another node has someone in the room. Run only.
func (n *Node) relayQuality(roomName string, list []sfu.QualityInfo) {
	r := n.rooms[roomName]
	if r == nil || len(r.remote) == 0 {
		return
	}
	local := make([]sfu.QualityInfo, 0, len(list))
	for _, q := range list {
		if _, here := r.local[q.ParticipantID]; here {
			local = append(local, q)
		}
	}
	if len(local) > 0 {
		n.publish(n.roomChan(roomName), message{Kind: kindQuality, Room: roomName, Quality: local})
	}
}

// remoteJoined adds a participant that joined on another node; a node new
// to the room is told the levels here, which it would otherwise hear only
// when they change. Run only.
func (n *Node) remoteJoined(r *room, m member) {
	_, known := n.roomPeers(r)[m.Node]
	n.addRemote(r, m)
	if !known {
		n.relayQuality(r.name, n.sfu.LocalQuality(r.name))
	}
}

// deliverQuality hands levels from another node to the clients here, if
// every one is of that node's own participants (a node speaks only for its
// own). Run only.
func (n *Node) deliverQuality(from string, msg message) {
	r := n.rooms[msg.Room]
	if r == nil {
		return // nobody here any more
	}
	for _, q := range msg.Quality {
		if m, ok := r.remote[q.ParticipantID]; !ok || m.Node != from {
			n.stats.MessagesRejected.Add(1)
			n.log.Warn("cluster quality message refused", "from", from, "room", msg.Room)
			return
		}
	}
	n.sfu.DeliverQuality(msg.Room, msg.Quality)
}
