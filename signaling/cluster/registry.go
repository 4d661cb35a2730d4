package cluster

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// resyncEvery is how many heartbeats pass between two full reads of the
// rooms when nothing suggests one was missed: the room channels carry every
// join and leave, so the full read is a safety net, not the mechanism, and
// it costs Redis a read of the whole room.
const resyncEvery = 10

// tick is the heartbeat, on run: refresh this node's registration, read
// everyone's, let go of the nodes that died, and keep the relays up. The
// rooms are read and this node's participants written again at once when
// Redis lost them (a restart) or was away (messages may have been lost),
// else every resyncEvery heartbeats.
func (n *Node) tick() {
	n.register()
	n.readRegistry(time.Now())
	n.beats++
	periodic := n.beats%resyncEvery == 0
	if n.resync || periodic {
		// Only the periodic reads may find a participant gone: right after
		// Redis came back, the other nodes may not have written theirs yet.
		for _, r := range n.rooms {
			n.reconcile(r, periodic && !n.resync)
		}
		n.resync = false
	}
	for _, r := range n.rooms {
		for peer := range n.roomPeers(r) {
			n.ensureRelay(r, peer) // a relay end whose ICE failed is made again
		}
	}
}

func (n *Node) register() {
	st := n.sfu.Stats()
	info := nodeInfo{ID: n.id, URL: n.cfg.advertiseURL, Participants: st.Participants, Tracks: st.Tracks,
		Max: n.cfg.maxParticipants, Draining: n.draining.Load()}
	data, _ := json.Marshal(info)
	ctx, cancel := n.call()
	defer cancel()
	pipe := n.rdb.TxPipeline()
	// GET: a registration that is gone (Redis restarted empty, or we could
	// not refresh it in time) means our rooms are gone too.
	prev := pipe.SetArgs(ctx, n.nodeKey(n.id), data, redis.SetArgs{TTL: n.cfg.ttl, Get: true})
	pipe.SAdd(ctx, n.nodesKey(), n.id)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		if n.ctx.Err() == nil {
			n.log.Warn("registering in the cluster", "err", err)
		}
		return
	}
	if errors.Is(prev.Err(), redis.Nil) && n.beats > 0 {
		n.log.Info("registration was gone from Redis: writing the rooms again")
		n.resync = true
	}
}

// readRegistry reads every node's registration. A peer whose registration
// has been missing for deadAfter, while Redis answered, is dead: its
// participants leave every room here and its relays close. While Redis
// does not answer, nobody is declared dead: after it comes back, every
// node has deadAfter to register again.
func (n *Node) readRegistry(now time.Time) {
	ctx, cancel := n.call()
	defer cancel()
	ids, err := n.rdb.SMembers(ctx, n.nodesKey()).Result()
	var vals []any
	if err == nil && len(ids) > 0 {
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = n.nodeKey(id)
		}
		vals, err = n.rdb.MGet(ctx, keys...).Result()
	}
	if err != nil {
		if !n.down && n.ctx.Err() == nil {
			n.log.Warn("reading the cluster registry", "err", err)
		}
		n.down = true
		clear(n.gone)
		return
	}
	if n.down {
		n.log.Info("cluster registry reachable again")
		n.down, n.resync = false, true
	}
	live := make(map[string]nodeInfo, len(ids))
	for i, v := range vals {
		s, ok := v.(string)
		var info nodeInfo
		if !ok || json.Unmarshal([]byte(s), &info) != nil || info.ID != ids[i] {
			// Expired: the node is gone from the set too.
			n.rdb.SRem(ctx, n.nodesKey(), ids[i])
			continue
		}
		live[info.ID] = info
	}
	n.live = live
	n.stats.Nodes.Store(int64(len(live)))
	others := make([]nodeInfo, 0, len(live))
	for id, info := range live {
		if id != n.id {
			others = append(others, info)
		}
	}
	n.others.Store(&others)
	for _, peer := range n.peers() {
		if _, ok := live[peer]; ok {
			delete(n.gone, peer)
			continue
		}
		since, seen := n.gone[peer]
		if !seen {
			n.gone[peer] = now
			continue
		}
		if now.Sub(since) >= n.cfg.deadAfter {
			delete(n.gone, peer)
			n.peerDead(peer)
		}
	}
}

// peers lists the other nodes this node shares a room with.
func (n *Node) peers() []string {
	set := make(map[string]struct{})
	for id := range n.relays {
		set[id] = struct{}{}
	}
	for _, r := range n.rooms {
		for _, m := range r.remote {
			set[m.Node] = struct{}{}
		}

	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	return out
}

// peerDead lets go of a node that stopped without a word: its participants
// leave (here and in Redis, for whoever reads the room next) and the
// relays to it close.
func (n *Node) peerDead(peer string) {
	n.log.Warn("cluster node gone", "peer", peer)
	for _, r := range n.rooms {
		var ids []string
		for id, m := range r.remote {
			if m.Node == peer {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			ctx, cancel := n.call()
			n.rdb.HDel(ctx, n.roomKey(r.name), ids...)
			cancel()
		}
		for _, id := range ids {
			n.removeRemote(r, id)
		}
	}
	n.closeRelay(peer)
}

// leaveCluster takes this node out at once on a clean stop: the others
// need not wait for its registration to expire.
func (n *Node) leaveCluster() {
	ctx, cancel := n.call()
	defer cancel()
	pipe := n.rdb.TxPipeline()
	pipe.Del(ctx, n.nodeKey(n.id))
	pipe.SRem(ctx, n.nodesKey(), n.id)
	for _, r := range n.rooms {
		for id := range r.local {
			pipe.HDel(ctx, n.roomKey(r.name), id)
		}
	}
	_, _ = pipe.Exec(ctx)
	for _, r := range n.rooms {
		for id, m := range r.local {
			// Published here, not through the outbox: the node stops next.
			if data, err := seal(n.cfg.secret, n.id, message{Kind: kindLeave, Room: r.name, Member: &m}); err == nil {
				n.rdb.Publish(ctx, n.roomChan(r.name), data)
			}
			delete(r.local, id)
		}
	}
}
