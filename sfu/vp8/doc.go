// Package vp8 parses the VP8 RTP payload descriptor (RFC 7741 §4.2) and
// rewrites its PictureID and TL0PICIDX in place, so that a subscriber
// switched between simulcast layers sees one continuous sequence of each.
//
// Every simulcast layer is a separate VP8 encoding with its own PictureID
// and TL0PICIDX counters. A receiver uses PictureID to find lost pictures
// and TL0PICIDX to find the base-layer picture a temporal-layer picture
// depends on (RFC 7741 §4.2); libwebrtc drops a picture whose PictureID
// looks older than one it has already seen. So an SFU that switches a
// subscriber from one layer to another must make the new layer's numbers
// continue the old ones, exactly as it does for RTP sequence numbers and
// timestamps (package rewriter). Within one source the mapping is a
// constant offset, so reordering looks to the subscriber as it did to the
// SFU.
//
// The payload of a packet is shared by all subscribers, so Munge rewrites
// it in place and returns the original values: the caller writes the
// packet and then calls Restore before the next subscriber munges it.
//
// The package imports nothing from Pion: it deals in bytes and numbers only.
package vp8
