package sfu

// DataRelay carries a data message published in a room to the room's
// participants on other nodes (a cluster's room channel); like a
// Listener's methods, it must only queue.
type DataRelay func(room string, d ReceivedData, destinations []string)

// SetDataRelay makes every data message published here also go to relay;
// nil stops it. A cluster node sets it when it starts.
func (s *SFU) SetDataRelay(relay DataRelay) {
	if relay == nil {
		s.dataRelay.Store(nil)
		return
	}
	s.dataRelay.Store(&relay)
}

// DeliverData hands a data message from another node's participant to the
// participants of the room here (those of destinations, when named). A
// room with nobody here ignores it.
func (s *SFU) DeliverData(roomName string, d ReceivedData, destinations []string) {
	if r := s.room(roomName); r != nil {
		r.deliverData(nil, d, destinations)
	}
}
