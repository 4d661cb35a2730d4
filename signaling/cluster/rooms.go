package cluster

import "encoding/json"

// room is what this node knows of a room it has participants in. Owned by
// run.
type room struct {
	name    string
	local   map[string]member // participants here
	remote  map[string]member // participants elsewhere, with their node
	missing map[string]int    // remote ones absent from the room's hash, for so many reads
}

// missingReads is how many periodic full reads in a row (resyncEvery
// heartbeats apart) may miss a remote participant before it counts as gone
// (its leave message lost): its node writes it again at every full read,
// and at once after Redis restarted empty, so one read that misses it
// proves nothing.
const missingReads = 2

func (n *Node) localJoined(name string, m member) {
	r := n.rooms[name]
	first := r == nil
	if first {
		r = &room{name: name, local: map[string]member{}, remote: map[string]member{},
			missing: map[string]int{}}
		n.rooms[name] = r
		ctx, cancel := n.call()
		if err := n.ps.Subscribe(ctx, n.roomChan(name)); err != nil {
			n.log.Warn("subscribing to a room", "room", name, "err", err)
		}
		cancel()
	}
	r.local[m.ID] = m
	n.writeMember(r, m)
	n.publish(n.roomChan(name), message{Kind: kindJoin, Room: name, Member: &m})
	if first {
		// New here: learn who is in the room elsewhere. From now on the
		// room's channel says who comes and goes.
		n.reconcile(r, false)
	}
}

func (n *Node) localLeft(name, id string) {
	r := n.rooms[name]
	if r == nil {
		return
	}
	m, ok := r.local[id]
	if !ok {
		return
	}
	delete(r.local, id)
	ctx, cancel := n.call()
	n.rdb.HDel(ctx, n.roomKey(name), id)
	cancel()
	n.publish(n.roomChan(name), message{Kind: kindLeave, Room: name, Member: &m})
	if len(r.local) > 0 {
		return
	}
	// Nobody here any more: nothing to relay either way.
	for peer := range n.relays {
		n.dropRoom(r, peer)
	}
	for id := range r.remote {
		delete(r.remote, id)
	}
	delete(n.rooms, name)
	ctx, cancel = n.call()
	if err := n.ps.Unsubscribe(ctx, n.roomChan(name)); err != nil {
		n.log.Debug("unsubscribing from a room", "room", name, "err", err)
	}
	cancel()
}

func (n *Node) writeMember(r *room, m member) {
	data, _ := json.Marshal(m)
	ctx, cancel := n.call()
	defer cancel()
	if err := n.rdb.HSet(ctx, n.roomKey(r.name), m.ID, data).Err(); err != nil && n.ctx.Err() == nil {
		n.log.Warn("writing a room member", "room", r.name, "err", err)
	}
}

// reconcile makes the room agree with Redis: this node's participants are
// written again, and the others' read (a join or leave message lost while
// Redis was away is made good here). Only a periodic read (prune) counts a
// participant's absence towards its leaving.
func (n *Node) reconcile(r *room, prune bool) {
	ctx, cancel := n.call()
	defer cancel()
	pipe := n.rdb.Pipeline()
	fields := make([]any, 0, 2*len(r.local))
	for _, m := range r.local {
		data, _ := json.Marshal(m)
		fields = append(fields, m.ID, data)
	}
	if len(fields) > 0 {
		pipe.HSet(ctx, n.roomKey(r.name), fields...)
	}
	all := pipe.HGetAll(ctx, n.roomKey(r.name))
	if _, err := pipe.Exec(ctx); err != nil {
		return // Redis away: keep what we know
	}
	seen := make(map[string]bool)
	for id, v := range all.Val() {
		var m member
		if json.Unmarshal([]byte(v), &m) != nil || m.ID != id || m.Node == n.id {
			continue
		}
		if _, live := n.live[m.Node]; !live {
			continue // its node is gone, or not registered again yet
		}
		seen[id] = true
		n.addRemote(r, m)
	}
	for id := range r.remote {
		switch {
		case seen[id]:
			delete(r.missing, id)
		case prune:
			if r.missing[id]++; r.missing[id] >= missingReads {
				n.removeRemote(r, id)
			}
		}
	}
	for peer := range n.roomPeers(r) {
		n.ensureRelay(r, peer)
	}
}

// roomPeers is the set of other nodes with participants in r.
func (n *Node) roomPeers(r *room) map[string]struct{} {
	set := make(map[string]struct{})
	for _, m := range r.remote {
		set[m.Node] = struct{}{}
	}
	return set
}

func (n *Node) addRemote(r *room, m member) {
	if _, ok := r.remote[m.ID]; ok || m.Node == n.id {
		return
	}
	r.remote[m.ID] = m
	n.sfu.RemoteJoined(r.name, sfuInfo(m))
	n.ensureRelay(r, m.Node)
}

func (n *Node) removeRemote(r *room, id string) {
	m, ok := r.remote[id]
	if !ok {
		return
	}
	delete(r.remote, id)
	delete(r.missing, id)
	n.sfu.RemoteLeft(r.name, id)
	if _, still := n.roomPeers(r)[m.Node]; !still {
		n.dropRoom(r, m.Node)
	}
}
