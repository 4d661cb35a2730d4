package bench

import (
	"fmt"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// SetTrackSettings tells the server how this client shows a track it
// receives: the tile's size in device pixels, and whether it is hidden.
// The server picks the simulcast layer that fits.
func (c *Client) SetTrackSettings(trackID string, width, height int, paused bool) error {
	return c.send(protocol.TrackSettings{
		Type: protocol.TypeTrackSettings, TrackID: trackID, Width: width, Height: height, Paused: paused,
	})
}

// setActiveLayers applies the server's dynacast message to the simulcast
// source published on mid.
func (c *Client) setActiveLayers(mid string, rids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pubs {
		if l, ok := p.src.(Layered); ok && p.mid == mid {
			l.SetActiveLayers(rids)
		}
	}
}

// SetMuted tells the server this client muted (or unmuted) what it
// publishes from source ("microphone", "camera", "screen"); the others are
// told. It fails for a source not published yet.
func (c *Client) SetMuted(source string, muted bool) error {
	c.mu.Lock()
	mid := ""
	for _, p := range c.pubs {
		if p.src.Source() == source && p.negotiated {
			mid = p.mid
		}
	}
	c.mu.Unlock()
	if mid == "" {
		return fmt.Errorf("%w: nothing published from %q", ErrUnexpectedMessage, source)
	}
	return c.send(protocol.Mute{Type: protocol.TypeMute, Mid: mid, Muted: muted})
}

// TrackMuted tells what the server last said of a remote track's mute
// state.
func (c *Client) TrackMuted(trackID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tracks[trackID].Muted
}
