package sfu

import (
	"fmt"
	"maps"
)

// maxAttributeKey bounds one attribute's key, in bytes.
const maxAttributeKey = 64

// SetAttributes changes the participant's attributes: small key/value
// metadata everyone in the room sees (a raised hand). An empty value removes
// its key. Past the limits (WithDataLimits) nothing changes and it returns
// ErrAttributesTooLarge; otherwise everyone in the room, the participant
// included, hears the change (DataListener.AttributesChanged).
func (p *Participant) SetAttributes(changed map[string]string) error {
	lim := p.sfu.cfg.dataLimits
	for k := range changed {
		if k == "" || len(k) > maxAttributeKey {
			return fmt.Errorf("%w: a key must have 1 to %d bytes", ErrAttributesTooLarge, maxAttributeKey)
		}
	}
	p.mu.Lock()
	next := ApplyAttributes(p.attributes, changed)
	size := 0
	for k, v := range next {
		size += len(k) + len(v)
	}
	if len(next) > lim.MaxAttributes || size > lim.MaxAttributeBytes {
		p.mu.Unlock()
		return fmt.Errorf("%w: %d keys of %d bytes, at most %d keys and %d bytes", ErrAttributesTooLarge, len(next), size, lim.MaxAttributes, lim.MaxAttributeBytes)
	}
	p.attributes = next
	p.mu.Unlock()
	if p.room != nil && len(changed) > 0 {
		changed = maps.Clone(changed)
		p.room.attributesChanged(p, changed)
		if relay := p.sfu.relay(); relay != nil {
			relay.Attributes(p.room.name, p.id, changed)
		}
	}
	return nil
}

// Attributes returns a copy of the participant's attributes.
func (p *Participant) Attributes() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.attributes)
}

// baseInfo is the participant as the others see it, without its tracks.
func (p *Participant) baseInfo() ParticipantInfo {
	return ParticipantInfo{ID: p.id, Name: p.name, Identity: p.Identity(), Attributes: p.Attributes()}
}

// attributesChanged tells every client here, from under the room's lock so
// that the change is ordered with joins and leaves.
func (r *Room) attributesChanged(p *Participant, changed map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.participants[p.id] != p {
		return
	}
	r.tellAttributesLocked(p.id, changed)
}

// tellAttributesLocked tells every client here that id's attributes
// changed.
func (r *Room) tellAttributesLocked(id string, changed map[string]string) {
	for _, o := range r.participants {
		if dl, ok := o.listener.(DataListener); ok && o.relay == notRelay {
			dl.AttributesChanged(id, changed)
		}
	}
}
