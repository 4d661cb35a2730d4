package sfu

import (
	"slices"
	"time"
)

// dynacastHold is how long a layer nobody needs keeps being sent before the
// publisher is told to stop it, so a brief dip does not cost a keyframe.
const dynacastHold = 3 * time.Second

// dynacast is what a Receiver last told its publisher: the layers it should
// send. Only the owner's bwe goroutine touches it.
type dynacast struct {
	neededAt [maxLayers]time.Time
	sent     []string // rids; nil before the first decision
}

// updateDynacast tells this participant, as a publisher, which layers of
// each of its simulcast tracks some subscriber needs (forwards, waits for,
// or would show at its tile's size); a layer nobody has needed for
// dynacastHold is turned off, a needed one on at once.
func (p *Participant) updateDynacast(now time.Time) {
	p.mu.Lock()
	receivers := make([]*Receiver, 0, len(p.receivers))
	for _, r := range p.receivers {
		receivers = append(receivers, r)
	}
	p.mu.Unlock()
	resend := p.resendLayers.Swap(false) // resync.go: the client lost what it was told
	for _, r := range receivers {
		if active, changed := r.activeLayers(now); changed || (resend && active != nil) {
			p.log.Debug("dynacast", "track", r.id, "active", active)
			p.listener.Layers(r.mid, active)
		}
	}
}

// activeLayers returns the rids the publisher should send and whether that
// differs from what it was last told. Tracks without simulcast have
// nothing to say. Every rid the publisher declared (RFC 8853 a=rid) is
// named: a layer not seen yet stays on (browsers start their top layer
// only once their own estimate allows it, and one never switched on would
// never be seen).
func (r *Receiver) activeLayers(now time.Time) ([]string, bool) {
	declared := r.declaredRIDs()
	if len(declared) < 2 {
		return nil, false
	}
	for i := range maxLayers {
		if l := r.layer(i); l != nil && r.dynacast.neededAt[i].IsZero() {
			r.dynacast.neededAt[i] = now // a new layer is kept for the hold time at least
		}
	}
	for _, d := range *r.downTracks.Load() {
		current, target := d.layers()
		for _, i := range []int{current, target, int(d.tileWant.Load())} {
			if i >= 0 && i < maxLayers {
				r.dynacast.neededAt[i] = now
			}
		}
	}
	active := make([]string, 0, len(declared))
	for _, rid := range declared {
		l := r.layerByRID(rid)
		if l == nil {
			active = append(active, rid) // not seen yet: leave it on
			continue
		}
		if at := r.dynacast.neededAt[l.index]; !at.IsZero() && now.Sub(at) < dynacastHold {
			active = append(active, rid)
		}
	}
	if r.dynacast.sent == nil && len(active) == len(declared) {
		r.dynacast.sent = active // everything is on already: nothing to say
		return active, false
	}
	if slices.Equal(active, r.dynacast.sent) {
		return active, false
	}
	r.dynacast.sent = active
	return active, true
}

// declaredRIDs lists the rids the publisher's description declared, in its
// order; Pion makes a remote track for each before its first packet.
func (r *Receiver) declaredRIDs() []string {
	if r.rids != nil {
		return r.rids
	}
	var rids []string
	for _, t := range r.rtp.Tracks() {
		if rid := t.RID(); rid != "" {
			rids = append(rids, rid)
		}
	}
	return rids
}

func (r *Receiver) layerByRID(rid string) *Layer {
	for i := range maxLayers {
		if l := r.layer(i); l != nil && l.rid == rid {
			return l
		}
	}
	return nil
}
