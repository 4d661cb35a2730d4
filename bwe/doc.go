// Package bwe shares one subscriber's bandwidth estimate among the tracks
// it receives: which simulcast layer of each video track to forward.
//
// The estimate comes from send-side congestion control on the
// subscriber's transport: SendSide numbers the packets, reads the
// transport-wide CC feedback and detects queues building from the delay
// variation (Trendline, after GCC); RateController turns that into an
// estimate. The allocation
// follows what a subscriber notices most: audio first and always, then
// screen shares (text must stay legible), then camera video by how large it
// is shown, each video no larger than its tile needs (LiveKit's "adaptive
// stream"). Layers move up only with headroom and not soon after a move
// down, so an estimate that wobbles around a threshold does not flap the
// picture between layers (every switch costs a key frame).
//
// The package imports nothing from Pion.
package bwe
