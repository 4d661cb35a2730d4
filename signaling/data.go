package signaling

import (
	"errors"
	"fmt"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// publishData sends a data message that came on the signaling socket (the
// client's data channel is not open yet). The sender is the session's
// participant, whatever the message says.
func (s *session) publishData(m *protocol.Data) {
	for _, id := range m.DestinationIdentities {
		if id == "" {
			s.refuse(fmt.Errorf("%w: empty destination identity", ErrBadData))
			return
		}
	}
	err := s.participant.PublishData(sfu.DataPacket{
		Payload: m.Payload, Topic: m.Topic, Reliable: !m.Lossy, Destinations: m.DestinationIdentities,
	})
	if err != nil {
		s.reject(err)
	}
}

// isDataRefusal tells the errors of the data and attribute limits apart:
// a chatty client is told, not counted as misbehaving (its message was
// well-formed), so a burst past the rate does not disconnect it.
func isDataRefusal(err error) bool {
	return errors.Is(err, sfu.ErrDataTooLarge) || errors.Is(err, sfu.ErrDataRateLimited) || errors.Is(err, sfu.ErrAttributesTooLarge)
}

// refusalBurstFactor: a client may have ten bursts' worth of data
// messages refused (1000 by default, refilled at the message rate) before
// it is disconnected; a chat's accidental flood stays well within it, one
// that never stops does not.
const refusalBurstFactor = 10

// reject tells the client its message was refused; a refusal of the data
// limits does not count as a bad message, anything else does.
func (s *session) reject(err error) {
	if !isDataRefusal(err) {
		s.refuse(err)
		return
	}
	if !s.refusals.AllowN(s.h.cfg.clock.Now(), 1) {
		s.fail(fmt.Errorf("%w: data messages refused without end: %v", ErrRateLimited, err))
		return
	}
	s.log.Debug("refused data", "err", err)
	s.sendMsg(protocol.Error{Type: protocol.TypeError, Code: errorCode(err), Message: err.Error()})
}

func (e *events) Data(d sfu.ReceivedData) {
	e.cur().sendMsg(protocol.Data{
		Type: protocol.TypeData, Payload: d.Payload, Topic: d.Topic, Lossy: !d.Reliable,
		ParticipantID: d.ParticipantID, Identity: d.Identity,
	})
}

func (e *events) AttributesChanged(participantID string, changed map[string]string) {
	e.cur().sendMsg(protocol.Attributes{Type: protocol.TypeAttributes, ParticipantID: participantID, Attributes: changed})
}
