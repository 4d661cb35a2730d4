package sfu

import "github.com/pion/webrtc/v4"

// onTrack runs in its own goroutine (Pion starts one per remote track, and
// with simulcast one per rid) once the stream's first packet has arrived.
// The first layer of a transceiver creates and publishes its Receiver; every
// layer then forwards until it ends, and the last one to end unpublishes.
func (p *Participant) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	defer p.wg.Done()
	defer p.recoverPanic("read loop")
	mid := ""
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Receiver() == recv {
			mid = tr.Mid()
			break
		}
	}
	// A client's track is known by its mid and its layers by their rids; a
	// relayed layer arrives on a transceiver of its own, named by the far
	// node's description (relay.go).
	key, rid := mid, track.RID()
	relayed, isRelayed := p.relayed[mid]
	if isRelayed {
		key, rid = relayed.TrackID, relayed.RID
	}
	r, existing := p.receivers[key]
	if !existing {
		meta, ok := p.published[mid]
		if !ok || !ValidSource(meta.Source) {
			meta.Source = defaultSource(track.Kind())
		}
		meta.Mid = mid
		r = newReceiver(p, track, recv, meta)
		if isRelayed {
			relayed.adopt(r)
			r.room = p.relayRooms[relayed.Room]
		}
		if r.room == nil {
			// A relayed track of a room this node no longer has.
			p.mu.Unlock()
			p.log.Debug("relayed track for a room not here", "track", relayed.TrackID, "room", relayed.Room)
			return
		}
		p.receivers[key] = r
	}
	l := r.addLayer(track, recv, rid)
	if l != nil {
		r.running.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.recoverPanic("publisher rtcp reader")
			r.drainRTCP(l)
		}()
	}
	p.mu.Unlock()
	if l == nil {
		p.log.Warn("no room for another layer", "track", r.id, "rid", track.RID())
		return
	}
	p.log.Info("track layer", "track", r.id, "kind", r.kind.String(), "source", r.source,
		"codec", r.codec.MimeType, "mid", mid, "rid", l.rid, "layer", l.index, "ssrc", l.ssrc)
	if !existing && !r.room.publish(r) {
		r.running.Add(-1)
		return
	}
	// With direct SRTP, the layer's packets come from the shared socket's
	// read loop too, through its direct loop, until it ends
	// (directsrtp_recv.go, layer_in.go).
	direct := p.direct.receiver()
	if direct.bindLayer(l) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.recoverPanic("publisher direct loop")
			l.runDirect()
		}()
	}
	l.forward()
	direct.unbindLayer(l)
	if r.running.Add(-1) > 0 {
		return
	}
	r.closed.Store(true)
	r.room.unpublish(r)
	p.mu.Lock()
	if p.receivers[key] == r {
		delete(p.receivers, key)
	}
	p.mu.Unlock()
	p.log.Debug("track ended", "track", r.id)
}
