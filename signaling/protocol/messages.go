// Package protocol defines Switchboard's signaling wire format: JSON messages
// exchanged over one WebSocket per participant. It holds only types and
// decoding, so that any client (the bundled load generator included) can speak
// the protocol without importing the server.
package protocol

// Version is the protocol version this package speaks; a client names the
// version it speaks in its join message. Version 2 added redirect: a client
// that names 1 is never sent one (it gets an unavailable error, or a bye,
// instead).
const Version = 2

// MinVersion is the oldest version a server still accepts.
const MinVersion = 1

// Message types. Client → server: join, offer, answer, candidate, mute, leave.
// Server → client: joined, participant-joined, participant-left,
// track-published, track-unpublished, mute, offer, answer, candidate,
// layers, speakers, error, bye, redirect. Both ways: data, attributes.
const (
	TypeJoin              = "join"
	TypeJoined            = "joined"
	TypeParticipantJoined = "participant-joined"
	TypeParticipantLeft   = "participant-left"
	TypeTrackPublished    = "track-published"
	TypeTrackUnpublished  = "track-unpublished"
	TypeMute              = "mute"
	TypeOffer             = "offer"
	TypeAnswer            = "answer"
	TypeCandidate         = "candidate"
	TypeLeave             = "leave"
	TypeError             = "error"
	TypeBye               = "bye"
	TypeTrackSettings     = "track-settings"
	TypeLayers            = "layers"
	TypeRedirect          = "redirect"
	TypeSpeakers          = "speakers"
	TypeQuality           = "quality"
	TypeData              = "data"
	TypeAttributes        = "attributes"
)

// Track sources.
const (
	SourceCamera     = "camera"
	SourceMicrophone = "microphone"
	SourceScreen     = "screen"
)

// Envelope is the part every message shares; decoding reads it first to
// learn which concrete message follows.
type Envelope struct {
	Type string `json:"type"`
}

// Join is the first message a client sends.
type Join struct {
	Type    string `json:"type"`
	Version int    `json:"version"`
	Room    string `json:"room"`
	Name    string `json:"name"`
	Token   string `json:"token,omitempty"`
	// Resume, when set, is the resumeToken of an earlier joined: the
	// session whose WebSocket dropped is taken over instead of a new join.
	Resume string `json:"resume,omitempty"`
}

// ICEServer is one STUN or TURN server handed to the client.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// TrackInfo describes one published track as every participant sees it.
type TrackInfo struct {
	ID            string `json:"id"`
	ParticipantID string `json:"participantId"`
	Kind          string `json:"kind"`   // "audio" or "video"
	Source        string `json:"source"` // camera, microphone or screen
	Muted         bool   `json:"muted"`
}

// ParticipantInfo describes one participant of a room.
type ParticipantInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Identity is the access token's subject; the participant's id on a
	// server without tokens, and for a participant of another node.
	Identity   string            `json:"identity"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tracks     []TrackInfo       `json:"tracks"`
}

// Joined answers a successful join.
type Joined struct {
	Type          string            `json:"type"`
	Version       int               `json:"version"`
	ParticipantID string            `json:"participantId"`
	Identity      string            `json:"identity"`
	Room          string            `json:"room"`
	Participants  []ParticipantInfo `json:"participants"`
	ICEServers    []ICEServer       `json:"iceServers"`
	Permissions   Permissions       `json:"permissions"`
	// ResumeToken resumes this session once, on a new WebSocket, within the
	// server's resume window (join.resume); empty when resume is off.
	ResumeToken string `json:"resumeToken,omitempty"`
	// Resumed: this joined took over a dropped session (same participant,
	// PeerConnection and subscriptions); Participants is the room now.
	Resumed bool `json:"resumed,omitempty"`
}

// Permissions say what the participant may do; a client should not offer
// what it may not (the server refuses it).
type Permissions struct {
	Publish       bool `json:"publish"`
	PublishScreen bool `json:"publishScreen"`
	Subscribe     bool `json:"subscribe"`
}

// ParticipantJoined announces a newcomer to the others.
type ParticipantJoined struct {
	Type        string          `json:"type"`
	Participant ParticipantInfo `json:"participant"`
}

// ParticipantLeft announces a departure.
type ParticipantLeft struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
}

// TrackPublished announces a new track; it is sent to everyone but its owner.
type TrackPublished struct {
	Type  string    `json:"type"`
	Track TrackInfo `json:"track"`
}

// TrackUnpublished announces that a track is gone.
type TrackUnpublished struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
}

// Mute, from a client, names its own track by the transceiver's mid; from the
// server it names a track by participant and track id.
type Mute struct {
	Type          string `json:"type"`
	Mid           string `json:"mid,omitempty"`
	ParticipantID string `json:"participantId,omitempty"`
	TrackID       string `json:"trackId,omitempty"`
	Muted         bool   `json:"muted"`
}

// PublishedTrack is the client's description of a track it sends, keyed by
// the mid of its transceiver (known after setLocalDescription).
type PublishedTrack struct {
	Mid    string `json:"mid"`
	Source string `json:"source"`
	Muted  bool   `json:"muted,omitempty"`
}

// SessionDescription carries an offer or an answer in either direction.
//
// From a client, Tracks describes what it publishes. From the server,
// TrackIDs maps the mid of every transceiver on which the server sends to the
// id of the track it carries, so the client can tell its remote tracks apart
// before ontrack fires.
type SessionDescription struct {
	Type     string            `json:"type"`
	SDP      string            `json:"sdp"`
	Tracks   []PublishedTrack  `json:"tracks,omitempty"`
	TrackIDs map[string]string `json:"trackIds,omitempty"`
}

// Candidate carries one trickled ICE candidate. A null candidate is not sent:
// end of candidates needs no message.
type Candidate struct {
	Type      string       `json:"type"`
	Candidate ICECandidate `json:"candidate"`
}

// ICECandidate is the browser's RTCIceCandidateInit (W3C WebRTC §4.8.1.1):
// the candidate line of RFC 8839 §5.1 and what it belongs to. Its fields are
// those of Pion's ICECandidateInit, so that one converts to the other, but
// the protocol package stays free of any WebRTC stack.
type ICECandidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}

// TrackSettings, from a subscriber, says how it shows a track it receives:
// the tile's size in device pixels and whether it is visible. The server
// sends the simulcast layer that fits; a paused track costs nothing.
type TrackSettings struct {
	Type    string `json:"type"`
	TrackID string `json:"trackId"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Paused  bool   `json:"paused"`
}

// Layers, to a publisher, names the simulcast layers (rids) of its track on
// mid that anyone needs; it should stop encoding the others (set their
// encodings' active to false) and resume them when named again.
type Layers struct {
	Type   string   `json:"type"`
	Mid    string   `json:"mid"`
	Active []string `json:"active"`
}

// Speakers is the room's list of who is speaking: the dominant speaker
// first (the one holding the floor), then the others from the loudest;
// empty when nobody is. The server sends it when the list changes, at most
// every 200 ms, and once after joined when someone is speaking. Added in
// version 2 without changing the version: a client ignores message types
// it does not know.
type Speakers struct {
	Type     string        `json:"type"`
	Speakers []SpeakerInfo `json:"speakers"`
}

// SpeakerInfo is one speaker: its participant id and its audio level from
// 0 (-60 dBov or quieter) to 1 (full scale), linear in decibels.
type SpeakerInfo struct {
	ParticipantID string  `json:"participantId"`
	Level         float64 `json:"level"`
}

// Quality carries the connection quality of the room's participants whose
// level changed (at join, every level known): the server scores each
// client's uplink and downlink every 1.5 s and sends a level only when it
// changes, with hysteresis. Added in version 2 without changing the
// version.
type Quality struct {
	Type      string        `json:"type"`
	Qualities []QualityInfo `json:"qualities"`
}

// QualityInfo is one participant's level ("excellent", "good", "poor",
// "lost") and the MOS-like score from 1 to 5 (0 when lost) behind it.
type QualityInfo struct {
	ParticipantID string  `json:"participantId"`
	Quality       string  `json:"quality"`
	Score         float64 `json:"score"`
}

// Data is a data message on the signaling socket, where the data channel
// is not open yet (docs/protocol.md, "Data"). From a client: Payload, Topic,
// Lossy (the lossy channel's smaller size limit applies) and
// DestinationIdentities (none: everyone in the room); whatever
// ParticipantID and Identity it writes are ignored. From the server: the
// sender's ParticipantID and Identity, stamped by the server. Payload is
// base64 in JSON.
type Data struct {
	Type                  string   `json:"type"`
	Payload               []byte   `json:"payload"`
	Topic                 string   `json:"topic,omitempty"`
	Lossy                 bool     `json:"lossy,omitempty"`
	DestinationIdentities []string `json:"destinationIdentities,omitempty"`
	ParticipantID         string   `json:"participantId,omitempty"`
	Identity              string   `json:"identity,omitempty"`
}

// Attributes, from a client, changes its own attributes (an empty value
// removes a key); from the server, names the attributes of ParticipantID
// that changed, sent to everyone in the room, the participant included.
type Attributes struct {
	Type          string            `json:"type"`
	ParticipantID string            `json:"participantId,omitempty"`
	Attributes    map[string]string `json:"attributes"`
}

// Leave ends the session politely. As the first message of a new
// connection, with the room and the resumeToken of the last joined, it takes
// out a session whose connection dropped (held for resume): a client that
// leaves while it reconnects cannot send it on the connection it lost.
type Leave struct {
	Type   string `json:"type"`
	Room   string `json:"room,omitempty"`
	Resume string `json:"resume,omitempty"`
}

// Bye tells the client that the server ends the session (shutdown, kicked).
type Bye struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// Redirect (version 2) sends the client to another server of the cluster:
// in answer to its join when this one is full, or during a session when
// this one is shutting down. The client joins again there (the same room,
// name and token); URL is that server's base URL (https://sfu-2.example.com)
// or its ws(s):// signaling URL.
type Redirect struct {
	Type   string `json:"type"`
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// Error reports a problem with what the client sent. Fatal errors are
// followed by the server closing the connection.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal,omitempty"`
}

// Error codes.
const (
	CodeBadRequest         = "bad-request"
	CodeUnsupportedVersion = "unsupported-version"
	CodeInvalidRoom        = "invalid-room"
	CodeInvalidName        = "invalid-name"
	CodeRoomFull           = "room-full"
	CodeNotJoined          = "not-joined"
	CodeAlreadyJoined      = "already-joined"
	CodeRateLimited        = "rate-limited"
	CodeTooLarge           = "message-too-large"
	CodeBadSDP             = "bad-sdp"
	CodeUnauthorized       = "unauthorized"
	CodeInternal           = "internal"
	// CodeUnavailable: the server cannot take joins now (a cluster node
	// that cannot reach the cluster's shared state); try again or
	// another node.
	CodeUnavailable = "unavailable"
	// CodeTooManyTracks: an offer would send more tracks than the server
	// allows one participant; the offer is refused, the session goes on.
	// Sent to clients of any version: a client takes a code it does not
	// know as an error like any other.
	CodeTooManyTracks = "too-many-tracks"
	// CodeDataTooLarge: a data message past the size limits; it went to
	// nobody. Past the rate limits a data message gets CodeRateLimited.
	CodeDataTooLarge = "data-too-large"
	// CodeInvalidAttributes: attributes past their limits (keys, bytes)
	// or with an empty key; nothing changed.
	CodeInvalidAttributes = "invalid-attributes"
	// CodeResumeFailed: a join's resume token is unknown, used, expired or
	// for another room; the client joins afresh.
	CodeResumeFailed = "resume-failed"
)
