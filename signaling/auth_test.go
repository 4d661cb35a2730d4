package signaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

const (
	apiKey    = "APIkey1"
	apiSecret = "a secret of the server's"
)

// token mints a token for room and identity with every permission but
// those in perms' false fields when perms is given.
func token(t *testing.T, room, identity string, ttl time.Duration, perms ...sfu.Permissions) string {
	t.Helper()
	p := sfu.AllPermissions()
	if len(perms) > 0 {
		p = perms[0]
	}
	tok, err := signaling.NewToken(apiKey, apiSecret, signaling.Grant{Room: room, Identity: identity, Name: "Name of " + identity, Permissions: p}, ttl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func withToken(room, name, tok string) protocol.Join {
	j := join(room, name)
	j.Token = tok
	return j
}

// signed signs arbitrary claims, for tokens NewToken would never make.
func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJoinRefusesBadTokens(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithAPIKey(apiKey, apiSecret))
	now := time.Now()
	valid := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": apiKey, "sub": "alice", "room": "locked", "exp": now.Add(time.Hour).Unix(), "publish": true}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	good := token(t, "locked", "alice", time.Hour)
	parts := strings.Split(good, ".")
	tests := []struct {
		name  string
		token string
	}{
		{"missing", ""},
		{"expired", signed(t, jwt.SigningMethodHS256, []byte(apiSecret), valid(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()}))},
		{"not valid yet", signed(t, jwt.SigningMethodHS256, []byte(apiSecret), valid(jwt.MapClaims{"nbf": now.Add(time.Hour).Unix()}))},
		{"no expiry", signed(t, jwt.SigningMethodHS256, []byte(apiSecret), valid(jwt.MapClaims{"exp": nil}))},
		{"forged: another secret", signed(t, jwt.SigningMethodHS256, []byte("guessed"), valid(nil))},
		{"forged: payload changed", parts[0] + "." + signedPayload(t, valid(jwt.MapClaims{"room": "locked", "sub": "admin"})) + "." + parts[2]},
		{"forged: alg none", signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil))},
		{"forged: HS512", signed(t, jwt.SigningMethodHS512, []byte(apiSecret), valid(nil))},
		{"unknown API key", signed(t, jwt.SigningMethodHS256, []byte(apiSecret), valid(jwt.MapClaims{"iss": "other"}))},
		{"wrong room", token(t, "another-room", "alice", time.Hour)},
		{"no identity", signed(t, jwt.SigningMethodHS256, []byte(apiSecret), valid(jwt.MapClaims{"sub": nil}))},
		{"garbage", "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			send(t, c, withToken("locked", "Alice", tt.token))
			m := next(t, c, protocol.TypeError)
			if m["code"] != protocol.CodeUnauthorized || m["fatal"] != true {
				t.Fatalf("got %v, want a fatal %q error", m, protocol.CodeUnauthorized)
			}
			t.Logf("%s: %s", tt.name, m["message"])
			expectClosed(t, c)
		})
	}
}

// signedPayload encodes claims as a JWT payload segment.
func signedPayload(t *testing.T, claims jwt.MapClaims) string {
	tok := signed(t, jwt.SigningMethodHS256, []byte("whatever"), claims)
	return strings.Split(tok, ".")[1]
}

func TestJoinWithToken(t *testing.T) {
	var gotHost, gotIdentity string
	ice := func(host, identity string) []protocol.ICEServer {
		gotHost, gotIdentity = host, identity
		return []protocol.ICEServer{{URLs: []string{"turn:" + host + "?transport=udp"}, Username: "u-" + identity, Credential: "c"}}
	}
	url := newTestServer(t, nil, signaling.WithAPIKey("old", "old secret"), signaling.WithAPIKey(apiKey, apiSecret), signaling.WithICEServersFunc(ice))
	c := dial(t, url)
	send(t, c, withToken("locked", "Typed name", token(t, "locked", "alice", time.Minute)))
	m := next(t, c, protocol.TypeJoined)
	ice0 := m["iceServers"].([]any)[0].(map[string]any)
	if ice0["username"] != "u-alice" || gotIdentity != "alice" || !strings.HasPrefix(url, "ws://"+gotHost) {
		t.Fatalf("iceServers %v from host %q identity %q", ice0, gotHost, gotIdentity)
	}
	// The token's display name is the one the others see.
	other := dial(t, url)
	send(t, other, withToken("locked", "Bob", token(t, "locked", "bob", time.Minute)))
	ps := next(t, other, protocol.TypeJoined)["participants"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["name"] != "Name of alice" {
		t.Fatalf("Bob sees %v", ps)
	}
}

// offerSDP makes a browser-like offer that sends audio and video.
func offerSDP(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

func TestPublishPermissions(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithAPIKey(apiKey, apiSecret))
	sdp := offerSDP(t)
	camera := []protocol.PublishedTrack{{Mid: "0", Source: "microphone"}, {Mid: "1", Source: "camera"}}
	screen := []protocol.PublishedTrack{{Mid: "1", Source: "screen"}}
	viewer := sfu.Permissions{Subscribe: true}
	presenter := sfu.Permissions{Subscribe: true, PublishScreen: true}
	tests := []struct {
		name   string
		perms  sfu.Permissions
		tracks []protocol.PublishedTrack
		sdp    string
		ok     bool
	}{
		{"viewer publishes camera", viewer, camera, sdp, false},
		{"viewer sends without listing", viewer, nil, sdp, false},
		{"viewer lists a screen but sends audio too", presenter, screen, sdp, false},
		{"presenter publishes camera", presenter, camera, sdp, false},
		{"speaker publishes camera", sfu.Permissions{Publish: true}, camera, sdp, true},
		{"presenter shares a screen", presenter, screen, strings.Replace(sdp, "a=sendonly", "a=recvonly", 1), true},
		{"viewer offers to receive only", viewer, nil, strings.ReplaceAll(sdp, "a=sendonly", "a=recvonly"), true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room := "perms-" + string(rune('a'+i))
			c := dial(t, url)
			send(t, c, withToken(room, "P", token(t, room, "p", time.Minute, tt.perms)))
			next(t, c, protocol.TypeJoined)
			send(t, c, protocol.SessionDescription{Type: protocol.TypeOffer, SDP: tt.sdp, Tracks: tt.tracks})
			if tt.ok {
				next(t, c, protocol.TypeAnswer)
				return
			}
			m := next(t, c, protocol.TypeError)
			if m["code"] != protocol.CodeUnauthorized || m["fatal"] == true {
				t.Fatalf("got %v, want a non-fatal %q error", m, protocol.CodeUnauthorized)
			}
		})
	}
}

// TestSubscribePermission: a participant without the subscribe permission
// hears that tracks exist but is sent none, while a full participant gets
// the same media.
func TestSubscribePermission(t *testing.T) {
	checkLeaks(t)
	url := newTestServer(t, nil, signaling.WithAPIKey(apiKey, apiSecret))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dialAs := func(identity string, perms sfu.Permissions) *bench.Client {
		c, err := bench.Dial(ctx, url, "subs", bench.WithICEIPs([]string{loopback}), bench.WithName(identity),
			bench.WithToken(token(t, "subs", identity, time.Minute, perms)))
		if err != nil {
			t.Fatalf("%s: %v", identity, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	pub := dialAs("publisher", sfu.AllPermissions())
	blind := dialAs("blind", sfu.Permissions{Publish: true})
	full := dialAs("full", sfu.Permissions{Subscribe: true})
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	if err := full.WaitUntil(ctx, func() bool { return receivedFromAll(full, []*bench.Client{pub}, 20) }); err != nil {
		t.Fatalf("the subscriber got no media: %v: %s", err, describe(full, []*bench.Client{pub}))
	}
	if n := len(blind.Tracks()); n != 2 {
		t.Errorf("the participant without subscribe heard of %d tracks, want 2", n)
	}
	if n := len(blind.RemoteTracks()); n != 0 || blind.Received(protocol.TypeOffer) != 0 {
		t.Errorf("the participant without subscribe got %d tracks, %d offers", n, blind.Received(protocol.TypeOffer))
	}
}
