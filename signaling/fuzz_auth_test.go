package signaling

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// fuzzKeys are the API keys of the fuzzed server: two, so that the issuer
// picks the secret.
var fuzzKeys = map[string]string{"APIkey1": "a secret of the server's", "APIkey2": "another secret"}

func fuzzHandler() *Handler { return &Handler{cfg: config{apiKeys: fuzzKeys}} }

// FuzzAuthorize verifies whatever a client sends as its access token (RFC
// 7519). Seeds (testdata/fuzz/FuzzAuthorize) are tokens NewToken mints,
// with each of them altered: another algorithm (RFC 7518 §3.1, "none"
// among them), another key, an expired or not yet valid one, a forged
// signature.
//
// Properties: it never panics and refuses only as unauthorized; a token it
// accepts is HS256 with a signature that is the HMAC of its signing input
// under the secret of its issuer (RFC 7515 §5.2), unexpired, for the room
// joined, and names an identity.
func FuzzAuthorize(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJyb29tIjoiciJ9.", "r")
	f.Fuzz(func(t *testing.T, token, room string) {
		g, err := fuzzHandler().authorize(&protocol.Join{Room: room, Token: token})
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if g.Room != room || g.Identity == "" {
			t.Fatalf("granted %+v for room %q", g, room)
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token of %d parts", len(parts))
		}
		var head struct{ Alg string }
		var claims struct {
			Iss string
			Exp *float64
		}
		if !decodePart(parts[0], &head) || head.Alg != "HS256" || !decodePart(parts[1], &claims) {
			t.Fatalf("accepted a token whose header says %+v", head)
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		secret, known := fuzzKeys[claims.Iss]
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if err != nil || !known || !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted a token not signed with the secret of its issuer %q", claims.Iss)
		}
		if claims.Exp == nil || time.Unix(int64(*claims.Exp), 0).Add(clockSkew+time.Second).Before(time.Now()) {
			t.Fatal("accepted a token without exp, or expired")
		}
	})
}

func decodePart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}

// FuzzTokenRoundTrip: what NewToken mints, authorize grants back as it
// was, for that room only.
func FuzzTokenRoundTrip(f *testing.F) {
	f.Add("team-sync", "alice@example.com", "Alice", uint8(7), false)
	f.Add("r", "\u00e9", "", uint8(0), true)
	f.Fuzz(func(t *testing.T, room, identity, name string, bits uint8, second bool) {
		key := "APIkey1"
		if second {
			key = "APIkey2"
		}
		want := Grant{Room: room, Identity: identity, Name: name, Permissions: sfu.Permissions{
			Publish: bits&1 != 0, PublishScreen: bits&2 != 0, Subscribe: bits&4 != 0,
		}}
		tok, err := NewToken(key, fuzzKeys[key], want, time.Hour, time.Now())
		if err != nil {
			if !errors.Is(err, ErrBadGrant) || room != "" && identity != "" {
				t.Fatalf("NewToken: %v", err)
			}
			return
		}
		g, err := fuzzHandler().authorize(&protocol.Join{Room: room, Token: tok})
		if !utf8.ValidString(room) || !utf8.ValidString(identity) || !utf8.ValidString(name) {
			return // JSON carries only UTF-8: such a grant cannot round-trip
		}
		if err != nil || g != want {
			t.Fatalf("minted %+v, granted %+v (%v)", want, g, err)
		}
		if _, err := fuzzHandler().authorize(&protocol.Join{Room: room + "x", Token: tok}); err == nil {
			t.Fatal("a token admitted to another room")
		}
	})
}

// FuzzJoinFields: what the join's room and name checks accept stays within
// the README's rules (room: 1–64 of A-Z a-z 0-9 - _ .; name: 1–64 printable
// characters, trimmed), and a cleaned name is clean. Seeds
// (testdata/fuzz/FuzzJoinFields) are the joins of the browser tests.
func FuzzJoinFields(f *testing.F) {
	f.Add("team-sync", " Alice ")
	f.Fuzz(func(t *testing.T, room, name string) {
		if validRoom(room) {
			if len(room) == 0 || len(room) > maxNameLen || strings.Trim(room, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
				t.Fatalf("room %q accepted", room)
			}
		}
		clean, ok := cleanName(name)
		if !ok {
			return
		}
		if n := utf8.RuneCountInString(clean); n == 0 || n > maxNameLen || !utf8.ValidString(clean) || clean != strings.TrimSpace(clean) {
			t.Fatalf("name %q cleaned to %q", name, clean)
		}
		if again, ok := cleanName(clean); !ok || again != clean {
			t.Fatalf("cleaning %q again gave %q, %v", clean, again, ok)
		}
	})
}
