package turnserver

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 8489 long-term credentials and the TURN REST convention are defined with HMAC-SHA1
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Credentials mints a TURN username and password that expire after ttl, by
// the TURN REST convention (draft-uberti-behave-turn-rest §2.2), which
// coturn implements as use-auth-secret: the username is
// "expiry-unix-time:identity" and the password is
// base64(HMAC-SHA1(secret, username)). Any TURN server that knows the secret
// can check them without asking anyone, and a leaked pair is useless after
// expiry. A colon in identity is replaced, since it separates the fields.
func Credentials(secret, identity string, ttl time.Duration, now time.Time) (username, password string) {
	identity = strings.ReplaceAll(identity, ":", "_")
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10)
	if identity != "" {
		username += ":" + identity
	}
	return username, restPassword(secret, username)
}

func restPassword(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// parseUsername returns the expiry and the identity of a REST username.
func parseUsername(username string) (expiry time.Time, identity string, ok bool) {
	ts, identity, _ := strings.Cut(username, ":")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, "", false
	}
	return time.Unix(sec, 0), identity, true
}
