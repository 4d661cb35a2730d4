package turnserver

import (
	"net"
	"sync"
)

// quota caps the allocations one user (the identity in its credentials)
// holds at once, so one participant's credentials cannot exhaust the
// relay's ports; a refused allocation gets 486 Allocation Quota Reached
// (RFC 8656 §7.2). The count follows pion/turn's allocation events, so two
// allocations racing may both pass: the cap is a bound, not an exact limit.
type quota struct {
	max int
	mu  sync.Mutex
	by  map[string]int
}

func newQuota(max int) *quota { return &quota{max: max, by: make(map[string]int)} }

func (q *quota) allow(user, _ string, _ net.Addr) bool {
	if q.max <= 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.by[user] < q.max
}

func (q *quota) created(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) {
	q.mu.Lock()
	q.by[user]++
	q.mu.Unlock()
}

func (q *quota) deleted(_, _ net.Addr, _, user, _ string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.by[user]--; q.by[user] <= 0 {
		delete(q.by, user)
	}
}
