package signaling

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is
// still running when they end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, IgnoreJoinBucketExpiry)
}

// IgnoreJoinBucketExpiry ignores the goroutine golang-lru v2's expirable
// LRU runs to free expired entries, which it never stops (its done channel
// is never closed, upstream keeps that for a v3): one per Handler whose
// joins are limited per address (addrlimit.go), one per Handler with
// resume on (resume.go).
var IgnoreJoinBucketExpiry = goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1")
