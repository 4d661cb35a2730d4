package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-rtc/switchboard/internal/taskqueue"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// Node is this server's place in a cluster. Everything it knows of rooms,
// peers and relays is owned by one goroutine (run), fed by a task queue:
// the SFU's listeners, the signaling and the Redis subscription only post
// to it, and never wait for it.
type Node struct {
	cfg config
	id  string
	rdb *redis.Client
	sfu *sfu.SFU
	log *slog.Logger
	ps  *redis.PubSub

	tasks  *taskqueue.Queue // run's
	outbox *taskqueue.Queue // send's: inbox messages leave in the order made
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// run goroutine only
	rooms  map[string]*room
	relays map[string]*relay    // by peer node: one relay carries every shared room
	live   map[string]nodeInfo  // the registry as last read, this node too
	gone   map[string]time.Time // peers seen missing from the registry, since
	down   bool                 // the last registry read failed
	resync bool                 // read the rooms at the next heartbeat
	beats  int                  // heartbeats so far

	draining atomic.Bool
	others   atomic.Pointer[[]nodeInfo] // the other live nodes, for Elsewhere
	stats    liveStats                  // stats.go
}

// New makes a node of the cluster whose state is in rdb, for the rooms of
// s. Start runs it.
func New(rdb *redis.Client, s *sfu.SFU, opts ...Option) (*Node, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.secret) == 0 {
		return nil, ErrNoSecret
	}
	if cfg.nodeID == "" {
		cfg.nodeID = "node-" + rand.Text()[:10]
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Node{
		cfg:    cfg,
		id:     cfg.nodeID,
		rdb:    rdb,
		sfu:    s,
		log:    cfg.logger,
		tasks:  taskqueue.New(),
		outbox: taskqueue.New(),
		ctx:    ctx,
		cancel: cancel,
		rooms:  make(map[string]*room),
		relays: make(map[string]*relay),
		live:   make(map[string]nodeInfo),
		gone:   make(map[string]time.Time),
	}, nil
}

// ID names the node.
func (n *Node) ID() string { return n.id }

// Start registers the node and follows the cluster until Close. It does not
// fail when Redis is down: the node keeps trying, and joins are refused
// with ErrUnavailable meanwhile.
func (n *Node) Start() {
	n.ps = n.rdb.Subscribe(n.ctx, n.inbox(n.id))
	n.sfu.SetDataRelay(dataRelay{n})
	n.wg.Add(3)
	go n.run()
	go n.send()
	go n.receive()
	n.tasks.Post(n.tick)
}

// Close leaves the cluster: the node's registration and participants are
// taken out of Redis at once, its relays closed.
func (n *Node) Close() error {
	done := make(chan struct{})
	if n.tasks.Post(func() { n.leaveCluster(); close(done) }) {
		select {
		case <-done:
		case <-time.After(3 * n.cfg.redisTimeout):
		}
	}
	n.cancel()
	n.tasks.Close()
	n.outbox.Close()
	err := n.ps.Close()
	n.wg.Wait()
	return err
}

// Admit tells whether a client may join now: a join needs the shared state.
func (n *Node) Admit(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.redisTimeout)
	defer cancel()
	if err := n.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Elsewhere names the live node with the most room, this one apart: its
// advertised URL. Nodes that advertise none, are draining or are full are
// never named.
func (n *Node) Elsewhere() (string, bool) {
	others := n.others.Load()
	if others == nil {
		return "", false
	}
	best := -1
	for i, o := range *others {
		if !o.hasRoom() {
			continue
		}
		if best < 0 || o.Participants < (*others)[best].Participants ||
			o.Participants == (*others)[best].Participants && o.ID < (*others)[best].ID {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return (*others)[best].URL, true
}

// SetDraining tells the other nodes, at once, to send no more clients
// here: the node is shutting down.
func (n *Node) SetDraining() {
	n.draining.Store(true)
	done := make(chan struct{})
	if n.tasks.Post(func() { n.register(); close(done) }) {
		select {
		case <-done:
		case <-time.After(n.cfg.redisTimeout):
		}
	}
}

// Joined records a participant that joined a room on this node.
func (n *Node) Joined(roomName, participantID, name, identity string) {
	n.tasks.Post(func() {
		n.localJoined(roomName, member{ID: participantID, Name: name, Identity: identity, Node: n.id})
	})
}

// Left records that a participant of this node left its room.
func (n *Node) Left(roomName, participantID string) {
	n.tasks.Post(func() { n.localLeft(roomName, participantID) })
}

// Keys and channels.
func (n *Node) nodeKey(id string) string    { return n.cfg.prefix + "node:" + id }
func (n *Node) nodesKey() string            { return n.cfg.prefix + "nodes" }
func (n *Node) roomKey(name string) string  { return n.cfg.prefix + "room:" + name }
func (n *Node) roomChan(name string) string { return n.cfg.prefix + "room:" + name }
func (n *Node) inbox(id string) string      { return n.cfg.prefix + "inbox:" + id }

// call bounds one Redis call made on the run goroutine.
func (n *Node) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(n.ctx, n.cfg.redisTimeout)
}

func (n *Node) run() {
	defer n.wg.Done()
	tick := time.NewTicker(n.cfg.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			n.closeRelays()
			return
		case <-n.tasks.Wake():
		case <-tick.C:
			n.tick()
		}
		for _, t := range n.tasks.Take() {
			t()
		}
		n.countRelayEnds()
	}
}

// countRelayEnds publishes how many relay ends the rooms hold, for
// RelayEnds (the metrics' goroutine).
func (n *Node) countRelayEnds() {
	ends := 0
	for _, rel := range n.relays {
		if rel.egress != nil {
			ends++
		}
		if rel.ingress != nil {
			ends++
		}
	}
	n.stats.RelayEnds.Store(int64(ends))
}

// send publishes what the node has to say, in order, off every caller's
// path.
func (n *Node) send() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.outbox.Wake():
		}
		for _, t := range n.outbox.Take() {
			t()
		}
	}
}

// publish signs msg and sends it on channel, from the send goroutine.
func (n *Node) publish(channel string, msg message) {
	data, err := seal(n.cfg.secret, n.id, msg)
	if err != nil {
		n.log.Error("encoding cluster message", "err", err)
		return
	}
	n.outbox.Post(func() {
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.redisTimeout)
		defer cancel()
		if err := n.rdb.Publish(ctx, channel, data).Err(); err != nil && n.ctx.Err() == nil {
			n.log.Warn("publishing to the cluster", "channel", channel, "kind", msg.Kind, "err", err)
		}
	})
}

// receive reads the subscription (which go-redis restores after a lost
// connection) and hands what is genuine to run.
func (n *Node) receive() {
	defer n.wg.Done()
	ch := n.ps.Channel()
	for {
		select {
		case <-n.ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			from, body, err := open(n.cfg.secret, []byte(m.Payload))
			if err != nil {
				n.stats.MessagesRejected.Add(1)
				n.log.Warn("cluster message refused", "channel", m.Channel, "err", err)
				continue
			}
			if from == n.id {
				continue // our own, on a room channel
			}
			var msg message
			if err := json.Unmarshal(body, &msg); err != nil {
				n.stats.MessagesRejected.Add(1)
				continue
			}
			n.tasks.Post(func() { n.handle(from, msg) })
		}
	}
}

// handle acts on a message from another node, on run.
func (n *Node) handle(from string, msg message) {
	if !n.known(from) {
		n.stats.MessagesRejected.Add(1)
		n.log.Warn("cluster message refused", "from", from, "err", ErrUnknownNode)
		return
	}
	switch msg.Kind {
	case kindJoin:
		if r := n.rooms[msg.Room]; r != nil && msg.Member != nil && msg.Member.Node == from {
			n.remoteJoined(r, *msg.Member)
		}
	case kindData:
		n.deliverData(from, msg)
	case kindAttrs:
		n.deliverAttributes(from, msg)
	case kindQuality:
		n.deliverQuality(from, msg)
	case kindLeave:
		if r := n.rooms[msg.Room]; r != nil && msg.Member != nil && r.remote[msg.Member.ID].Node == from {
			n.removeRemote(r, msg.Member.ID)
		}
	default:
		n.handleRelay(from, msg)
	}
}

// known tells whether a node is in the registry, reading it again for a
// node not seen before (it may have started since the last heartbeat).
func (n *Node) known(id string) bool {
	if _, ok := n.live[id]; ok {
		return true
	}
	ctx, cancel := n.call()
	defer cancel()
	data, err := n.rdb.Get(ctx, n.nodeKey(id)).Bytes()
	if err != nil {
		return false
	}
	var info nodeInfo
	if json.Unmarshal(data, &info) != nil || info.ID != id {
		return false
	}
	n.live[id] = info
	return true
}
