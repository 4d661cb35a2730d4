package sfu

// ParticipantStats is a snapshot of one participant's counters as a
// subscriber.
type ParticipantStats struct {
	ID               string
	Room             string
	Name             string
	Estimate         int    // its downlink estimate, bps (0 without estimation)
	LayerSwitches    uint64 // simulcast layer switches made for it
	KeyframeRequests uint64 // keyframes asked for on its behalf (before throttling)
	EstimateChanges  uint64 // estimate changes of more than 10%
	DownTracks       int    // tracks it receives
	DataChannels     bool   // both its data channels are open
}

// Participants returns a snapshot of every participant's counters.
func (s *SFU) Participants() []ParticipantStats {
	all := s.subscribers()
	out := make([]ParticipantStats, 0, len(all))
	for _, p := range all {
		st := ParticipantStats{
			ID: p.id, Room: p.room.name, Name: p.name,
			LayerSwitches:    p.layerSwitches.Load(),
			KeyframeRequests: p.keyframeRequests.Load(),
			EstimateChanges:  p.estimateChanges.Load(),
			DownTracks:       len(*p.dtList.Load()),
			DataChannels:     p.dataChannelsOpen(),
		}
		if p.estimator != nil {
			st.Estimate = int(p.rateEstimate.Load())
		}
		out = append(out, st)
	}
	return out
}

// subscribers lists every participant but the relays' ends.
func (s *SFU) subscribers() []*Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Participant
	for _, r := range s.rooms {
		for _, p := range r.members() {
			if p.relay == notRelay {
				all = append(all, p)
			}
		}
	}
	return all
}
