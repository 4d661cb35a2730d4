package bench

import (
	"maps"
	"slices"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// ID is the participant id the server gave this client.
func (c *Client) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Identity is the identity the server gave this client (joined).
func (c *Client) Identity() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.identity
}

// Room is the room the client joined.
func (c *Client) Room() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.room
}

// Participants are the other participants in the room now, sorted by id,
// each with its current tracks.
func (c *Client) Participants() []protocol.ParticipantInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]protocol.ParticipantInfo, 0, len(c.participants))
	for _, id := range slices.Sorted(maps.Keys(c.participants)) {
		p := c.participants[id]
		p.Tracks = nil
		for _, tid := range slices.Sorted(maps.Keys(c.tracks)) {
			if t := c.tracks[tid]; t.ParticipantID == id {
				p.Tracks = append(p.Tracks, t)
			}
		}
		out = append(out, p)
	}
	return out
}

// Tracks are the tracks others publish now, as the server announced them.
func (c *Client) Tracks() []protocol.TrackInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]protocol.TrackInfo, 0, len(c.tracks))
	for _, id := range slices.Sorted(maps.Keys(c.tracks)) {
		out = append(out, c.tracks[id])
	}
	return out
}

// RemoteTracks are every track the server sent this client, ended ones
// included, in the order they started.
func (c *Client) RemoteTracks() []*RemoteTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.remote)
}

// RemoteTracksFrom are the remote tracks published by one participant.
func (c *Client) RemoteTracksFrom(participantID string) []*RemoteTrack {
	var out []*RemoteTrack
	for _, t := range c.RemoteTracks() {
		if t.ParticipantID == participantID {
			out = append(out, t)
		}
	}
	return out
}

// Received is how many messages of a protocol type the server sent.
func (c *Client) Received(msgType string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[msgType]
}

// ConnectionState is the PeerConnection's state.
func (c *Client) ConnectionState() webrtc.PeerConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connState
}

// PeerConnection is the client's PeerConnection, for statistics; the client
// owns its negotiation.
func (c *Client) PeerConnection() *webrtc.PeerConnection { return c.pc }

// Collisions is how many server offers arrived while an offer of the
// client's was outstanding (each one rolled back and offered again).
func (c *Client) Collisions() int { return int(c.collisions.Load()) }

// URL is the signaling URL the client joined at, after any redirect.
func (c *Client) URL() string { return c.url }

// RedirectedTo is the server another sent this client to mid-session (when
// it shut down), "" if none.
func (c *Client) RedirectedTo() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.redirectedTo
}

// Speakers is the room's list of speakers in the last speakers message the
// server sent (the dominant speaker first), nil before any; Received
// (protocol.TypeSpeakers) counts them.
func (c *Client) Speakers() []protocol.SpeakerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.speakers)
}
