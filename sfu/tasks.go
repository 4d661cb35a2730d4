package sfu

import "sync"

// taskQueue is an unbounded FIFO of functions that one goroutine runs in
// order. Posting never blocks, so a participant can post work to another
// without either waiting on the other: no lock-order deadlocks between
// participants.
type taskQueue struct {
	mu     sync.Mutex
	tasks  []func()
	wake   chan struct{}
	closed bool
}

func newTaskQueue() *taskQueue {
	return &taskQueue{wake: make(chan struct{}, 1)}
}

// post queues f; it reports false once the queue is closed.
func (q *taskQueue) post(f func()) bool {
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

// take returns every queued task, oldest first.
func (q *taskQueue) take() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.tasks
	q.tasks = nil
	return t
}

func (q *taskQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.tasks = nil
	q.mu.Unlock()
}
