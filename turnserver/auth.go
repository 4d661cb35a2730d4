package turnserver

import (
	"log/slog"
	"time"

	"github.com/pion/turn/v5"
)

// authHandler checks REST credentials. It returns the long-term key
// (RFC 8489 §9.2.2) for pion/turn to check the request's MESSAGE-INTEGRITY
// with: a password not made with our secret fails there, a username whose
// expiry has passed fails here.
func authHandler(secret string, now func() time.Time, log *slog.Logger) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		expiry, identity, ok := parseUsername(ra.Username)
		if !ok {
			log.Info("turn: refused a username not of the form expiry:identity", "username", ra.Username, "from", ra.SrcAddr)
			return "", nil, false
		}
		if !now().Before(expiry) {
			log.Info("turn: refused expired credentials", "username", ra.Username, "expired", expiry, "from", ra.SrcAddr)
			return "", nil, false
		}
		if identity == "" {
			identity = ra.Username
		}
		return identity, turn.GenerateAuthKey(ra.Username, ra.Realm, restPassword(secret, ra.Username)), true
	}
}
