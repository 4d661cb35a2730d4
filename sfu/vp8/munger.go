package vp8

import (
	"github.com/switchboard-rtc/switchboard/internal/seqnum"
	"github.com/switchboard-rtc/switchboard/sfu/renumber"
)

// Original holds the PictureID and TL0PICIDX a packet had before Munge, so
// that Restore can put them back.
type Original struct {
	PictureID uint16
	TL0PICIDX uint8
}

// Munger keeps PictureID and TL0PICIDX continuous for one subscriber across
// the sources (simulcast layers) it is switched between. Within a source,
// outgoing = incoming + offset, so reordered packets keep consistent numbers;
// each Switch sets new offsets so that the new source continues the output.
//
// The first source keeps its numbers. A Munger is not safe for concurrent
// use: its owner (one per DownTrack) already serializes the packets it
// writes, and must serialize calls here too. The zero value is not ready;
// use NewMunger.
type Munger struct {
	switching bool // the next Munge starts a new source

	// PictureIDs. The current source's part is valid once picStarted.
	picStarted    bool   // the current source has had a PictureID munged
	picAny        bool   // some PictureID has been sent
	newestIn      uint64 // extended PictureID of the newest picture, munged or skipped
	newestSent    bool   // some packet of the newest picture was munged
	newestSkipped bool   // the newest picture was skipped
	segs          renumber.Segments[uint64]
	lastOut       uint64 // extended PictureID given to newestIn (or given up for it)
	lastBits      int    // width of the last PictureID written

	// TL0PICIDX. The current source's part is valid once tl0Started.
	tl0Started bool
	tl0Any     bool  // some TL0PICIDX has been sent
	tl0Offset  uint8 // outgoing minus incoming
	tl0Last    uint8 // newest TL0PICIDX sent
}

// NewMunger returns a Munger that has seen no packet.
func NewMunger() *Munger { return &Munger{} }

// Switch makes the next Munge start a new source: its first picture gets the
// PictureID after the last one sent, and its first TL0PICIDX the one after
// the last sent (mod 2^15 or 2^7, and 2^8). The caller switches at a key
// frame of the new source, so the subscriber can decode from there, and
// must not Munge packets of the old source after it.
func (m *Munger) Switch() { m.switching = true }

// startSource forgets the current source's offsets.
func (m *Munger) startSource() {
	m.switching = false
	m.picStarted = false
	m.tl0Started = false
}

// Munge rewrites the PictureID and TL0PICIDX of payload in place (each in
// the width the source used), d being Parse's description of payload, and
// returns the original values for Restore. d itself is left describing the
// original. ok is false for a packet that cannot be placed: its picture is
// older than the current source's first one, older than the renumbering
// boundaries remembered, or was skipped. The caller drops it; payload is
// then unchanged.
//
// A packet without a PictureID is always placed (it has no order to keep);
// its TL0PICIDX, if any, is still mapped.
func (m *Munger) Munge(payload []byte, d *Descriptor) (orig Original, ok bool) {
	orig = Original{PictureID: d.PictureID, TL0PICIDX: d.TL0PICIDX}
	if d.Size > len(payload) {
		return orig, false
	}
	if m.switching {
		m.startSource()
	}
	if d.HasPictureID {
		out, ok := m.placePicture(d.PictureID, d.PictureIDBits)
		if !ok {
			return orig, false
		}
		writePictureID(payload, d, out)
		m.lastBits = d.PictureIDBits
	}
	if d.HasTL0PICIDX {
		payload[d.tl0Offset] = m.placeTL0(d.TL0PICIDX)
	}
	return orig, true
}

// placePicture returns the outgoing PictureID of picture id of the current
// source.
func (m *Munger) placePicture(id uint16, bits int) (uint16, bool) {
	if !m.picStarted {
		ext := seqnum.Start(uint64(id))
		out := ext // the first source keeps its numbers
		if m.picAny {
			out = m.lastOut + 1
			if m.lastBits == 7 {
				// The subscriber saw only the low 7 bits: continue those
				// even if this source sends 15 (the output counter is
				// relative, so it may be rebased here).
				out = seqnum.Base + m.lastOut&0x7f + 1
			}
		}
		m.picStarted, m.picAny = true, true
		m.newestIn, m.newestSent, m.newestSkipped = ext, true, false
		m.segs.Reset(ext, out-ext)
		m.lastOut = out
		return uint16(out) & 0x7fff, true
	}
	ext := seqnum.Extend(m.newestIn, uint64(id), uint(bits))
	offset, ok := m.segs.Lookup(ext)
	if !ok {
		return 0, false
	}
	out := ext + offset
	switch {
	case ext > m.newestIn:
		m.newestIn, m.newestSent, m.newestSkipped = ext, true, false
		m.lastOut = out
	case ext == m.newestIn:
		m.newestSent = true
	}
	return uint16(out) & 0x7fff, true
}

// placeTL0 returns the outgoing TL0PICIDX for in, of the current source.
func (m *Munger) placeTL0(in uint8) uint8 {
	if !m.tl0Started {
		m.tl0Offset = 0 // the first source keeps its numbers
		if m.tl0Any {
			m.tl0Offset = m.tl0Last + 1 - in
		}
		m.tl0Started, m.tl0Any = true, true
		m.tl0Last = in + m.tl0Offset
		return m.tl0Last
	}
	out := in + m.tl0Offset
	if int8(out-m.tl0Last) > 0 {
		m.tl0Last = out
	}
	return out
}

// Skip tells the Munger that the caller drops the whole picture d belongs to
// (for example a temporal layer above the subscriber's target). If it is the
// newest picture so far, later pictures are renumbered one lower so the
// subscriber sees no PictureID gap. Call it for any or all packets of the
// picture; repeats do nothing.
//
// Skip only pictures that nothing later depends on (TID above the target;
// RFC 7741 §4.2): a receiver that sees no gap decodes the next picture
// against references it does not have. A dropped reference picture should
// leave its gap, so the receiver knows to wait or ask for a key frame.
// TL0PICIDX is not renumbered, since pictures above the base layer share
// their base picture's TL0PICIDX.
//
// Skip does nothing for a picture without a PictureID, for one older than
// the newest (numbers after it are already sent), for the newest once any
// of its packets was munged (its number is already sent), and before the
// first Munge of a source (its first picture continues the output anyway).
func (m *Munger) Skip(d *Descriptor) {
	if !d.HasPictureID || m.switching || !m.picStarted {
		return
	}
	ext := seqnum.Extend(m.newestIn, uint64(d.PictureID), uint(d.PictureIDBits))
	if ext < m.newestIn || (ext == m.newestIn && (m.newestSent || m.newestSkipped)) {
		return
	}
	// Every picture between the old newest and this one keeps its place
	// (its packets may still arrive); this one's place goes to the next.
	m.lastOut += ext - m.newestIn
	m.lastOut--
	m.newestIn, m.newestSent, m.newestSkipped = ext, false, true

	m.segs.Skip(ext)
}

// Restore puts back the PictureID and TL0PICIDX that Munge replaced, so the
// shared payload is ready for the next subscriber.
func Restore(payload []byte, d *Descriptor, orig Original) {
	if d.Size > len(payload) {
		return
	}
	if d.HasPictureID {
		writePictureID(payload, d, orig.PictureID)
	}
	if d.HasTL0PICIDX {
		payload[d.tl0Offset] = orig.TL0PICIDX
	}
}
