package sfu

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/taskqueue"
	"github.com/switchboard-rtc/switchboard/sfu/quality"
)

// PublishedTrack is what a client says of a track it sends, keyed by the mid
// of its transceiver.
type PublishedTrack struct {
	Mid    string
	Source string
	Muted  bool
}

// Participant is one client: one PeerConnection that carries everything it
// publishes and everything it receives. Negotiation and every change to the
// PeerConnection's transceivers run on one goroutine (run), fed by a task
// queue, so they never interleave.
type Participant struct {
	id       string
	name     string
	identity string // from the access token; "" on an open server
	joinedAt time.Time
	sfu      *SFU
	room     *Room // set once, at join
	pc       *webrtc.PeerConnection
	direct   *directSRTP // its direct SRTP paths (directsrtp.go); nil: off
	listener Listener
	log      *slog.Logger

	perms   Permissions // set once, at join (permissions.go)
	relay   RelayRole   // set once, at join (relay.go)
	mediaUp atomic.Bool // the PeerConnection has connected: writes reach the subscriber
	// resendLayers: the next dynacast round tells every active layer list
	// again, changed or not (resync.go).
	resendLayers atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	tasks  *taskqueue.Queue
	wg     sync.WaitGroup // run, publishers' read loops, down tracks' RTCP readers
	once   sync.Once

	mu        sync.Mutex
	closing   bool
	published map[string]PublishedTrack // by mid, from the client's offers
	receivers map[string]*Receiver      // by mid; relayed ones by track id
	relayed   map[string]RelayTrack     // an ingress relay's streams, by mid
	// relayRooms are the rooms a relay's end is in (one relay carries every
	// room its two nodes share); a client's is room.
	relayRooms map[string]*Room

	// Data (data.go, datachannel.go, attributes.go): the channels, set
	// once by the run goroutine; the limits' buckets; the attributes,
	// under mu.
	reliableDC  atomic.Pointer[dataChannel]
	lossyDC     atomic.Pointer[dataChannel]
	dataLimiter dataLimiter
	attributes  map[string]string

	// Owned by the run goroutine.
	downTracks map[string]*DownTrack // by published track id
	neg        negotiation

	// The subscriber side's bandwidth allocation (runBWE).
	estimator        *bwe.SendSide                // nil without estimation
	dtList           atomic.Pointer[[]*DownTrack] // copy of downTracks for runBWE
	bweWake          chan struct{}
	bweTracks        []bwe.Track   // runBWE only
	lastEstimate     int           // runBWE only
	lastSignals      bwe.Signals   // runBWE only
	resolutionUp     time.Time     // runBWE only: when a video last entered a higher resolution
	sent             atomic.Uint64 // bytes sent to this subscriber, for its rate controller
	paddingSent      atomic.Uint64 // of which probe padding (bwe_trace.go)
	rtxSent          atomic.Uint64 // of which retransmissions
	trace            bweTrace      // the last records of runBWE, for /debug/bwe
	keepTrace        bool          // WithBWETrace
	rateEstimate     atomic.Int64  // the rate controller's estimate, bps
	leanAudio        atomic.Bool   // RED audio sent with its primary blocks alone (lean_audio.go)
	rtxBudget        rtxBudget     // what retransmissions may still send this interval (rtx_budget.go)
	layerSwitches    atomic.Uint64
	keyframeRequests atomic.Uint64 // asked for on this subscriber\'s behalf
	estimateChanges  atomic.Uint64
	// For connection quality (room_quality.go), from runBWE: the
	// estimator's smoothed loss (per mille) and what the tiles ask for.
	downLoss atomic.Uint32
	wantBps  atomic.Int64
	// ssrcs is its connection's SSRC cap (ssrccap.go), nil for relays and
	// without a cap; the negotiation goroutine's.
	ssrcs *ssrcShare
	// The level its room last sent; the room's quality tick only, under
	// the room's lock.
	quality     quality.Level
	qualitySent bool
}

func newParticipant(s *SFU, name string, l Listener, role RelayRole) (*Participant, error) {
	api := s.api
	if role == RelayIngress && s.relayAPI != nil {
		api = s.relayAPI // sfu.go: a relay's two ends must not share one 5-tuple
	}
	pc, direct, err := s.newPeerConnection(api, role) // directsrtp_pc.go
	if err != nil {
		return nil, err
	}
	id := newID("PA")
	ctx, cancel := context.WithCancel(context.Background())
	p := &Participant{
		id:         id,
		name:       name,
		joinedAt:   s.cfg.clock.Now(),
		sfu:        s,
		pc:         pc,
		direct:     direct,
		listener:   l,
		log:        s.log.With("participant", id),
		ctx:        ctx,
		cancel:     cancel,
		tasks:      taskqueue.New(),
		published:  make(map[string]PublishedTrack),
		receivers:  make(map[string]*Receiver),
		relayed:    make(map[string]RelayTrack),
		relayRooms: make(map[string]*Room),
		downTracks: make(map[string]*DownTrack),
		bweWake:    make(chan struct{}, 1),
		relay:      role,

		dataLimiter: newDataLimiter(s.cfg.dataLimits, s.cfg.clock),
		keepTrace:   s.cfg.bweTrace,
		attributes:  make(map[string]string),
	}
	if role == notRelay {
		// Relays carry a room's every track: uncapped (ssrccap.go).
		p.ssrcs = s.ssrcs.newSSRCShare()
	}
	if e, ok := s.estimators.LoadAndDelete(pc.ID()); ok {
		p.estimator = e.(*bwe.SendSide)
	}
	p.rateEstimate.Store(initialEstimate)
	p.dtList.Store(&[]*DownTrack{})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		// Through the task queue, so that a candidate goes out after the
		// description that carries its ufrag: an ICE restart's candidates
		// are gathered from the answer's SetLocalDescription on, inside
		// the task that sends the answer after, and a client drops a
		// candidate whose ufrag its remote description does not have yet
		// (Pion: "doesn't match the current ufrags"). Over UDP the server's
		// checks make up for it (peer-reflexive candidates); an ICE-TCP
		// client can only dial a passive candidate it was told of (RFC
		// 6544), and never connected when the answer lacked it.
		cand := c.ToJSON()
		p.tasks.Post(func() { l.Candidate(cand) })
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		p.log.Debug("connection state", "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateConnected:
			p.tasks.Post(p.onConnected)
		case webrtc.PeerConnectionStateFailed:
			go p.close(ErrICEFailed)
		case webrtc.PeerConnectionStateClosed:
			// A close we did not start: the peer sent a DTLS close_notify
			// (RFC 5246 §7.2.1), e.g. its PeerConnection was closed.
			if p.ctx.Err() == nil {
				go p.close(ErrMediaClosed)
			}
		}
	})
	pc.OnTrack(p.onTrack)
	p.wg.Add(2)
	go p.run()
	go p.runBWE()
	return p, nil
}

// ID is the participant's id, unique in the server.
func (p *Participant) ID() string { return p.id }

// Name is the participant's display name.
func (p *Participant) Name() string { return p.name }

// Leave takes the participant out of its room and closes its PeerConnection.
// It returns when every goroutine of the participant has ended.
func (p *Participant) Leave() { p.close(nil) }

// close removes the participant; reason, when not nil, is told to its
// listener. It must not be called from the run goroutine.
func (p *Participant) close(reason error) {
	p.once.Do(func() {
		// Closing from here on: a relay's end is attached to no new room
		// between leaving its rooms and its teardown (AttachRoom checks).
		p.mu.Lock()
		p.closing = true
		p.mu.Unlock()
		p.sfu.leave(p)
		p.teardown()
		if reason != nil {
			p.listener.Closed(reason)
		}
		p.log.Info("participant left", "reason", reason)
	})
}

// teardown stops the participant's goroutines and PeerConnection.
func (p *Participant) teardown() {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.cancel()
	p.tasks.Close()
	if err := p.pc.Close(); err != nil {
		p.log.Debug("closing peer connection", "err", err)
	}
	p.wg.Wait()
	p.ssrcs.unregister()
	// run has ended: its down tracks can be taken out of their receivers.
	for id, dt := range p.downTracks {
		dt.rcv.removeDownTrack(dt)
		delete(p.downTracks, id)
	}
}

// onConnected lets negotiation continue and asks for keyframes: video sent
// before SRTP was up never reached the subscriber.
func (p *Participant) onConnected() {
	p.neg.connected = true
	p.mediaUp.Store(true)
	for _, dt := range p.downTracks {
		dt.requestKeyframe()
	}
}

// subscribe and unsubscribe are called by the room, under its lock: they
// only queue.
func (p *Participant) subscribe(t *Receiver) {
	p.tasks.Post(func() { p.addDownTrack(t) })
}

func (p *Participant) unsubscribe(trackID string) {
	p.tasks.Post(func() { p.removeDownTrack(trackID) })
}

func (p *Participant) addDownTrack(t *Receiver) {
	if t.isClosed() {
		return
	}
	if p.relay == RelayEgress {
		p.addRelayDownTracks(t)
		return
	}
	if _, ok := p.downTracks[t.id]; ok {
		return
	}
	p.attachDownTrack(t.id, newDownTrack(t, p))
}

// attachDownTrack sends dt on a transceiver of its own, from the next
// negotiation on.
func (p *Participant) attachDownTrack(key string, dt *DownTrack) {
	t := dt.rcv
	tr, err := p.pc.AddTransceiverFromTrack(dt, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		p.log.Warn("adding down track", "track", t.id, "err", err)
		return
	}
	dt.transceiver, dt.sender = tr, tr.Sender()
	p.downTracks[key] = dt
	p.publishDownTracks()
	t.addDownTrack(dt)
	p.wg.Add(1) // safe: run holds the group above zero
	go func() {
		defer p.wg.Done()
		defer p.recoverPanic("rtcp reader")
		dt.readRTCP()
	}()
	p.neg.needed = true
}

// removeDownTrack stops sending the track (every layer of it, on a relay).
func (p *Participant) removeDownTrack(trackID string) {
	for key, dt := range p.downTracks {
		if dt.rcv.id != trackID {
			continue
		}
		delete(p.downTracks, key)
		dt.rcv.removeDownTrack(dt)
		if err := p.pc.RemoveTrack(dt.sender); err != nil {
			p.log.Debug("removing down track", "track", trackID, "err", err)
		}
		p.neg.needed = true
	}
	p.publishDownTracks()
}

// publishDownTracks hands runBWE a fresh copy of the down tracks, in a
// stable order, and asks it to allocate at once.
func (p *Participant) publishDownTracks() {
	list := make([]*DownTrack, 0, len(p.downTracks))
	for _, dt := range p.downTracks {
		list = append(list, dt)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].rcv.id < list[j].rcv.id })
	p.dtList.Store(&list)
	p.wakeBWE()
}

// SetTrackSettings records how the client shows a track it receives: the
// tile's size and whether it is visible. The allocator picks layers to fit.
func (p *Participant) SetTrackSettings(trackID string, s TrackSettings) error {
	for _, dt := range *p.dtList.Load() {
		if dt.rcv.id == trackID {
			dt.settings.Store(&s)
			p.wakeBWE()
			return nil
		}
	}
	return ErrUnknownTrack
}

// trackIDs maps the mid of every transceiver the server sends on to the id
// of the track it carries.
func (p *Participant) trackIDs() map[string]string {
	m := make(map[string]string, len(p.downTracks))
	for id, dt := range p.downTracks {
		if mid := dt.transceiver.Mid(); mid != "" {
			m[mid] = id
		}
	}
	return m
}

// SetMuted records that the client muted or unmuted its track on mid.
func (p *Participant) SetMuted(mid string, muted bool) error {
	p.mu.Lock()
	meta, known := p.published[mid]
	if known {
		meta.Muted = muted
		p.published[mid] = meta
	}
	r := p.receivers[mid]
	p.mu.Unlock()
	if !known && r == nil {
		return ErrUnknownTrack
	}
	if r != nil && r.muted.Swap(muted) != muted {
		r.room.muted(r, muted)
	}
	return nil
}
