package signaling

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// Access errors; both are reported with the unauthorized code.
var (
	// ErrUnauthorized refuses a join: its token is missing, expired, forged
	// or for another room. It is fatal: the client needs a new token.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden refuses something the participant's token does not
	// allow, such as publishing without the publish permission.
	ErrForbidden = errors.New("not permitted")
)

// clockSkew is how far the clocks of the server and of whoever minted a
// token may disagree (RFC 7519 §4.1.4 allows "some small leeway").
const clockSkew = 10 * time.Second

// Grant is what an access token allows: who joins which room, under which
// name, and what they may do there.
type Grant struct {
	Room        string
	Identity    string // who the participant is, for the application and logs
	Name        string // display name; the join's name when empty
	Permissions sfu.Permissions
}

// tokenClaims is an access token's payload (RFC 7519 §4): "iss" is the API
// key whose secret signed it, "sub" the identity, "exp" required.
// Permissions absent from a token are not granted.
type tokenClaims struct {
	jwt.RegisteredClaims
	Name          string `json:"name,omitempty"`
	Room          string `json:"room"`
	Publish       bool   `json:"publish"`
	Subscribe     bool   `json:"subscribe"`
	PublishScreen bool   `json:"publishScreen"`
}

// NewToken mints an access token for g, signed with HS256 (RFC 7518 §3.2)
// by secret under key and valid for ttl from now.
func NewToken(key, secret string, g Grant, ttl time.Duration, now time.Time) (string, error) {
	if key == "" || secret == "" || g.Room == "" || g.Identity == "" || ttl <= 0 {
		return "", fmt.Errorf("%w: a token needs a key, a secret, a room, an identity and a positive ttl", ErrBadGrant)
	}
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    key,
			Subject:   g.Identity,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Name:          g.Name,
		Room:          g.Room,
		Publish:       g.Permissions.Publish,
		Subscribe:     g.Permissions.Subscribe,
		PublishScreen: g.Permissions.PublishScreen,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
}

// ErrBadGrant reports a token that cannot be minted.
var ErrBadGrant = errors.New("bad grant")

// authorize checks a join's token when the server has API keys, and
// returns what it grants. Without keys the server is open: everyone may do
// everything.
func (h *Handler) authorize(j *protocol.Join) (Grant, error) {
	if len(h.cfg.apiKeys) == 0 {
		return Grant{Room: j.Room, Permissions: sfu.AllPermissions()}, nil
	}
	if j.Token == "" {
		return Grant{}, fmt.Errorf("%w: this server admits only participants with an access token", ErrUnauthorized)
	}
	var claims tokenClaims
	_, err := jwt.ParseWithClaims(j.Token, &claims, h.signingKey,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Grant{}, fmt.Errorf("%w: access token expired", ErrUnauthorized)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Grant{}, fmt.Errorf("%w: access token not valid yet", ErrUnauthorized)
	case err != nil:
		return Grant{}, fmt.Errorf("%w: invalid access token: %w", ErrUnauthorized, err)
	}
	if claims.Room != j.Room {
		return Grant{}, fmt.Errorf("%w: access token is for another room", ErrUnauthorized)
	}
	if claims.Subject == "" {
		return Grant{}, fmt.Errorf("%w: access token names no identity (sub)", ErrUnauthorized)
	}
	return Grant{
		Room:     claims.Room,
		Identity: claims.Subject,
		Name:     claims.Name,
		Permissions: sfu.Permissions{
			Publish: claims.Publish, Subscribe: claims.Subscribe, PublishScreen: claims.PublishScreen,
		},
	}, nil
}

// signingKey finds the secret of the API key that issued the token.
func (h *Handler) signingKey(t *jwt.Token) (any, error) {
	iss, err := t.Claims.GetIssuer()
	if err != nil {
		return nil, err
	}
	secret, ok := h.cfg.apiKeys[iss]
	if !ok {
		return nil, errUnknownKey
	}
	return []byte(secret), nil
}

var errUnknownKey = errors.New("unknown API key (iss)")
