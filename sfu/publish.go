package sfu

import "github.com/pion/webrtc/v4"

// onTrack runs in its own goroutine (Pion starts one per remote track) once
// a published track's first packet has arrived; it forwards until the track
// ends, then unpublishes it.
func (p *Participant) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	mid := ""
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Receiver() == recv {
			mid = tr.Mid()
			break
		}
	}
	meta, ok := p.published[mid]
	if !ok || !ValidSource(meta.Source) {
		meta.Source = defaultSource(track.Kind())
	}
	meta.Mid = mid
	r := newReceiver(p, track, recv, meta)
	p.receivers[mid] = r
	p.mu.Unlock()
	defer p.wg.Done()

	p.log.Info("track published", "track", r.id, "kind", r.kind.String(), "source", r.source,
		"codec", r.codec.MimeType, "mid", mid)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		r.drainRTCP()
	}()
	if p.room.publish(r) {
		r.forward()
	}
	r.closed.Store(true)
	p.room.unpublish(r)
	p.mu.Lock()
	if p.receivers[mid] == r {
		delete(p.receivers, mid)
	}
	p.mu.Unlock()
	p.log.Debug("track ended", "track", r.id)
}
