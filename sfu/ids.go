package sfu

import "crypto/rand"

// newID returns a random identifier with a prefix that tells what it names
// ("PA" participant, "TR" track), so logs read easily.
func newID(prefix string) string {
	return prefix + "_" + rand.Text()[:12]
}
