package bench

import "github.com/switchboard-rtc/switchboard/signaling/protocol"

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
