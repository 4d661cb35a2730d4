// Package taskqueue is an unbounded FIFO of functions that one goroutine runs
// in order.
package taskqueue

import "sync"

// Queue is an unbounded FIFO of functions that one goroutine runs in
// order. Posting never blocks, so a participant can post work to another
// without either waiting on the other: no lock-order deadlocks between
// participants.
type Queue struct {
	mu     sync.Mutex
	tasks  []func()
	wake   chan struct{}
	closed bool
}

// New returns an empty queue.
func New() *Queue {
	return &Queue{wake: make(chan struct{}, 1)}
}

// Wake is ready after a post; then Take returns what is queued.
func (q *Queue) Wake() <-chan struct{} { return q.wake }

// Post queues f; it reports false once the queue is closed.
func (q *Queue) Post(f func()) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.tasks = append(q.tasks, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// Take returns every queued task, oldest first.
func (q *Queue) Take() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.tasks
	q.tasks = nil
	return t
}

// Close drops what is queued and refuses what is posted from now on.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.tasks = nil
	q.mu.Unlock()
}
