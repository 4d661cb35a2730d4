// Package keyframe holds what an SFU needs to handle keyframes without
// decoding video: IsKeyframe finds the first packet of a keyframe in an RTP
// payload (so a subscriber is switched to a new layer, or started, exactly
// where it can decode), and Throttle limits how often the publisher is asked
// for one (so many subscribers' PLIs cost one keyframe, not many).
//
// The package imports nothing from Pion.
package keyframe
