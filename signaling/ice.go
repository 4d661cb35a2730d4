package signaling

import "github.com/switchboard-rtc/switchboard/signaling/protocol"

// iceServers returns what the joined message hands the client: its own
// list from WithICEServersFunc (fresh TURN credentials for this identity),
// or the fixed list of WithICEServers.
func (s *session) iceServers(participantID string) []protocol.ICEServer {
	out := s.h.cfg.iceServers
	if f := s.h.cfg.iceServersFunc; f != nil {
		identity := s.grant.Identity
		if identity == "" {
			identity = participantID
		}
		out = f(s.host, identity)
	}
	if out == nil {
		return []protocol.ICEServer{}
	}
	return out
}
