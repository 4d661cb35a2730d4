package sfu

import "maps"

// DataRelay carries what the participants here publish in a room (data
// messages, attribute changes) and what this node measures of them
// (connection quality) to the room's participants on other nodes (a
// cluster's room channel). Like a Listener's, its methods must only queue.
type DataRelay interface {
	Data(room string, d ReceivedData, destinations []string)
	Attributes(room, participantID string, changed map[string]string)
	// Quality is the levels of participants here that changed (room_quality.go).
	Quality(room string, changed []QualityInfo)
}

// SetDataRelay makes every data message and attribute change published
// here also go to relay; nil stops it. A cluster node sets it when it
// starts.
func (s *SFU) SetDataRelay(relay DataRelay) {
	if relay == nil {
		s.dataRelay.Store(nil)
		return
	}
	s.dataRelay.Store(&relay)
}

func (s *SFU) relay() DataRelay {
	if r := s.dataRelay.Load(); r != nil {
		return *r
	}
	return nil
}

// DeliverData hands a data message from another node's participant to the
// participants of the room here (those of destinations, when named). A
// room with nobody here ignores it.
func (s *SFU) DeliverData(roomName string, d ReceivedData, destinations []string) {
	if r := s.room(roomName); r != nil {
		r.deliverData(nil, d, destinations)
	}
}

// DeliverAttributes records that a participant of another node changed
// its attributes, and tells the clients of the room here.
func (s *SFU) DeliverAttributes(roomName, participantID string, changed map[string]string) {
	if r := s.room(roomName); r != nil {
		r.remoteAttributes(participantID, changed)
	}
}

func (r *Room) remoteAttributes(id string, changed map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info, ok := r.remotes[id]
	if !ok {
		return
	}
	info.Attributes = ApplyAttributes(info.Attributes, changed)
	r.remotes[id] = info
	r.tellAttributesLocked(id, changed)
}

// ApplyAttributes returns a copy of attrs with changed applied: an empty
// value removes its key.
func ApplyAttributes(attrs, changed map[string]string) map[string]string {
	next := maps.Clone(attrs)
	if next == nil {
		next = make(map[string]string, len(changed))
	}
	for k, v := range changed {
		if v == "" {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	return next
}
