package sfu

import (
	"fmt"
	"runtime/debug"
)

// recoverPanic, deferred at the top of each of a participant's goroutines
// (negotiation, bandwidth allocation, read loops, RTCP readers), turns a
// panic there into the end of that participant alone, with ErrInternal:
// one participant that reaches a bug must not take the node's other
// meetings with it. The panic is logged with its stack and counted.
func (p *Participant) recoverPanic(where string) {
	v := recover()
	if v == nil {
		return
	}
	p.sfu.RecordPanic(where, v, debug.Stack(), "participant", p.id)
	go p.close(fmt.Errorf("%w: %s", ErrInternal, where))
}

// RecordPanic logs a recovered panic with its stack and counts it
// (Stats.Panics): for the SFU's own goroutines and for its callers' (the
// signaling's sessions).
func (s *SFU) RecordPanic(where string, v any, stack []byte, attrs ...any) {
	s.stats.Panics.Add(1)
	s.log.Error("recovered from a panic", append([]any{"where", where, "panic", fmt.Sprint(v), "stack", string(stack)}, attrs...)...)
}
