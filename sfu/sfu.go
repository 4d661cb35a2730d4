// Package sfu forwards RTP between the participants of rooms: one
// PeerConnection per participant carries everything it publishes and
// receives. It knows nothing of WebSockets; package signaling drives it.
package sfu

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu/network"
)

// SFU holds the rooms of one server.
type SFU struct {
	cfg config
	api *webrtc.API
	// relayAPI makes the ingress ends of relays when the SFU serves all
	// media on one UDP port. The two ends between a pair of nodes, one
	// each way, would otherwise both run between the two nodes' shared
	// ports: one 5-tuple for two ICE sessions, which a UDP mux cannot tell
	// apart once connected (it maps a remote address to one connection).
	// The ingress end, which only receives, takes a port of its own; the
	// egress end, which sends the media, keeps the shared port and its
	// batched sends. Nil without a UDP mux.
	relayAPI *webrtc.API
	log      *slog.Logger
	stats    counters

	// estimators holds each new PeerConnection's bandwidth estimator, by
	// PeerConnection id, until its participant takes it.
	estimators sync.Map

	dataRelay atomic.Pointer[DataRelay] // data_relay.go

	// directBufs are direct SRTP's encryption buffers, shared by every
	// participant's association (directsrtp_bufs.go).
	directBufs directBufPool
	// sysNet is the network every setting engine gathers and listens
	// on, made once (sysnet.go).
	sysNetOnce sync.Once
	sysNet     transport.Net

	// network says where every PeerConnection gathers, and sockets are
	// the ones they share (nil: none); both set up by New.
	network *network.Config
	sockets *network.Sockets
	// direct are the batched sockets direct SRTP sends on, and demux
	// takes publishers' SRTP off them for its receive path
	// (directsrtp_demux.go); both nil when direct SRTP is off: not asked
	// for, or not possible (enableDirectSRTP).
	direct []directSocket
	demux  *recvDemux

	// ssrcs caps the SSRCs of participants' connections, on the shared
	// sockets and on sockets of their own; ssrcSets holds each
	// participant's SSRC set by its local ICE username (ssrccap.go).
	ssrcs    ssrcCap
	ssrcSets sync.Map

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
}

// New creates an SFU. Network options that cannot work fail it with an
// error wrapping network.ErrBadConfig or network.ErrBadICEIP.
func New(opts ...Option) (*SFU, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	nw, err := network.NewConfig(append(cfg.network, network.WithNet(cfg.net))...)
	if err != nil {
		return nil, err
	}
	s := &SFU{cfg: cfg, network: nw, log: cfg.logger, rooms: make(map[string]*Room)}
	s.ssrcs = ssrcCap{max: cfg.maxSSRCs, dropped: &s.stats.SSRCCapDropped, log: cfg.logger, sets: &s.ssrcSets}
	if s.sockets, err = nw.Listen(); err != nil {
		return nil, err
	}
	if cfg.directSRTP {
		s.enableDirectSRTP()
	}
	var onEstimator func(string, *bwe.SendSide)
	if cfg.estimateBW {
		onEstimator = func(id string, e *bwe.SendSide) { s.estimators.Store(id, e) }
	}
	if s.api, err = s.newAPI(onEstimator, true); err != nil {
		_ = s.sockets.Close()
		return nil, err
	}
	// Relays carry a room's every track: their ingress ends must not be
	// capped as a participant's connection is (ssrccap.go).
	if s.sockets.SharesUDP() || cfg.maxSSRCs > 0 {
		if s.relayAPI, err = s.newAPI(onEstimator, false); err != nil {
			_ = s.sockets.Close()
			return nil, err
		}
	}
	return s, nil
}

// MediaAddrs lists the shared sockets (WithUDPMux, WithICETCP); it is empty
// when every PeerConnection has ports of its own.
func (s *SFU) MediaAddrs() []network.MediaAddr { return s.sockets.Addrs() }

// Join creates a participant in the named room (creating the room on first
// join). The listener's Joined is called before Join returns, and before any
// other event for this participant. Options limit what it may do.
func (s *SFU) Join(roomName, displayName string, l Listener, opts ...JoinOption) (*Participant, error) {
	p, err := newParticipant(s, displayName, l, notRelay)
	if err != nil {
		return nil, err
	}
	jc := joinOptions(opts)
	p.perms, p.identity = jc.perms, jc.identity
	if err := s.admit(roomName, p); err != nil {
		return nil, err
	}
	p.log.Info("participant joined", "room", roomName, "name", displayName)
	return p, nil
}

// admit puts p in the named room, creating it; on failure p is torn down.
func (s *SFU) admit(roomName string, p *Participant) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.teardown()
		return ErrClosed
	}
	room := s.rooms[roomName]
	if room == nil {
		room = newRoom(roomName, s)
		s.rooms[roomName] = room
	}
	err := room.join(p)
	if err != nil && room.empty() {
		delete(s.rooms, roomName)
		room.stopSpeakers()
	}
	s.mu.Unlock()
	if err != nil {
		p.teardown()
	}
	return err
}

// leave takes p out of its room (a relay's end: of every room it is in)
// and drops a room left empty.
func (s *SFU) leave(p *Participant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.room != nil {
		s.leaveLocked(p, p.room)
	}
	p.mu.Lock()
	rooms := make([]*Room, 0, len(p.relayRooms))
	for name, r := range p.relayRooms {
		rooms = append(rooms, r)
		delete(p.relayRooms, name)
	}
	p.mu.Unlock()
	for _, r := range rooms {
		s.leaveLocked(p, r)
	}
}

func (s *SFU) leaveLocked(p *Participant, room *Room) {
	room.leave(p)
	if room.empty() && s.rooms[room.name] == room {
		delete(s.rooms, room.name)
		room.stopSpeakers()
		s.log.Debug("room closed", "room", room.name)
	}
}

// Close removes every participant, telling each listener, and refuses new
// joins. It returns when every PeerConnection is closed.
func (s *SFU) Close() error {
	s.mu.Lock()
	s.closed = true
	seen := make(map[*Participant]bool)
	var all []*Participant
	for _, r := range s.rooms {
		for _, p := range r.members() {
			if !seen[p] { // a relay's end is in several rooms
				seen[p] = true
				all = append(all, p)
			}
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close(ErrShuttingDown)
		}()
	}
	wg.Wait()
	_ = s.sockets.Close() // sfu/network
	return nil
}

// Stats returns a snapshot of the counters and the current sizes.
func (s *SFU) Stats() Stats {
	st := statstable.Snapshot[Stats](&s.stats)
	s.mu.Lock()
	st.Rooms = len(s.rooms)
	for _, r := range s.rooms {
		z := r.size()
		st.Participants += z.participants
		st.Tracks += z.tracks
		st.RelayStreamsIn += z.relayIn
		st.RelayStreamsOut += z.relayOut
	}
	s.mu.Unlock()
	calls, n := s.sockets.Sent()
	st.SendCalls += calls
	st.SendDatagrams += n
	return st
}
