package signaling

import "sync"

// sendQueue holds a session's encoded messages until its writer sends
// them, at most limit at a time. It replaces a channel of limit slots,
// whose buffer (24 bytes a slot: 24 KB per session at the default 1024)
// was allocated whole for a queue that is almost always empty: this one
// holds a slice that grows with what is queued and is let go once a burst
// has drained. Safe for concurrent use; no lock is held while the writer
// writes.
type sendQueue struct {
	mu    sync.Mutex
	items [][]byte // items[head:] are queued, oldest first
	head  int
	limit int
	// wake has one slot, filled when a message is queued and while
	// messages remain after the writer took one: the writer selects on it
	// as it did on the channel.
	wake chan struct{}
}

// sendQueueKeep is the capacity an empty queue keeps for the next
// messages (384 bytes); a larger array, grown by a burst, is let go.
const sendQueueKeep = 16

func newSendQueue(limit int) *sendQueue {
	return &sendQueue{limit: limit, wake: make(chan struct{}, 1)}
}

// push queues data, or reports false if limit messages are queued already
// (the writer has not taken them).
func (q *sendQueue) push(data []byte) bool {
	q.mu.Lock()
	n := len(q.items) - q.head
	if n >= q.limit {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Move what is queued to the front rather than grow past the
		// taken slots: a queue that never drains stays within twice
		// its limit.
		copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, data)
	q.mu.Unlock()
	q.signal()
	return true
}

// pop takes the oldest message, if any.
func (q *sendQueue) pop() (data []byte, ok bool) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.mu.Unlock()
		return nil, false
	}
	data = q.items[q.head]
	q.items[q.head] = nil
	q.head++
	more := q.head < len(q.items)
	if !more {
		if cap(q.items) > sendQueueKeep {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
		q.head = 0
	}
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return data, true
}

// queued is the number of messages queued.
func (q *sendQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

func (q *sendQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
