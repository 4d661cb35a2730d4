package signaling

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
)

func msg(i int) []byte { return fmt.Appendf(nil, "%d", i) }

func woken(q *sendQueue) bool {
	select {
	case <-q.wake:
		return true
	default:
		return false
	}
}

func TestSendQueue(t *testing.T) {
	q := newSendQueue(3)
	if _, ok := q.pop(); ok {
		t.Fatal("an empty queue gave a message")
	}
	if woken(q) {
		t.Fatal("an empty queue woke its writer")
	}
	for i := range 3 {
		if !q.push(msg(i)) {
			t.Fatalf("message %d refused below the limit", i)
		}
	}
	if q.push(msg(3)) {
		t.Fatal("a fourth message queued past the limit of 3")
	}
	if !woken(q) {
		t.Fatal("queued messages did not wake the writer")
	}
	// Taking one makes room for one, and the writer is woken for the rest.
	if data, ok := q.pop(); !ok || string(data) != "0" {
		t.Fatalf("pop = %q, %v, want 0", data, ok)
	}
	if !woken(q) {
		t.Fatal("the writer was not woken for the messages left")
	}
	if !q.push(msg(3)) || q.push(msg(4)) {
		t.Fatal("the limit does not count what is queued")
	}
	for i := 1; i <= 3; i++ {
		if data, ok := q.pop(); !ok || string(data) != fmt.Sprint(i) {
			t.Fatalf("pop = %q, %v, want %d", data, ok, i)
		}
	}
	if _, ok := q.pop(); ok || q.queued() != 0 {
		t.Fatal("a message left after all were taken")
	}
}

// TestSendQueueMemory: a queue that never drains stays within twice its
// limit; one that drained lets a burst's array go.
func TestSendQueueMemory(t *testing.T) {
	q := newSendQueue(100)
	for i := range 10_000 {
		q.push(msg(i))
		if i%3 == 0 {
			q.pop()
		}
		if c := cap(q.items); c > 2*q.limit+sendQueueKeep {
			t.Fatalf("after %d messages, an array of %d for a limit of %d", i, c, q.limit)
		}
	}
	for q.queued() > 0 {
		q.pop()
	}
	if q.items != nil {
		t.Errorf("a drained queue keeps an array of %d", cap(q.items))
	}
	// A message at a time reuses the small array: no allocation.
	q.push(msg(0))
	q.pop()
	data := msg(1)
	if a := testing.AllocsPerRun(100, func() { q.push(data); q.pop() }); a != 0 {
		t.Errorf("%v allocations per message through an idle queue", a)
	}
}

// TestSendQueueConcurrent: producers and a writer as the session has them
// (run with -race): every message arrives once, in each producer's order.
func TestSendQueueConcurrent(t *testing.T) {
	const producers, each = 4, 2000
	q := newSendQueue(producers * each)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if !q.push(fmt.Appendf(nil, "%d %d", p, i)) {
					t.Error("refused below the limit")
					return
				}
			}
		})
	}
	got, next := 0, make([]int, producers)
	for got < producers*each {
		<-q.wake
		data, ok := q.pop()
		if !ok {
			continue
		}
		var p, i int
		if _, err := fmt.Sscanf(string(data), "%d %d", &p, &i); err != nil || i != next[p] {
			t.Fatalf("message %q, want %d of producer %d", data, next[p], p)
		}
		next[p]++
		got++
	}
	wg.Wait()
}

// TestQueueFullEndsSession: a client whose queue is full is disconnected
// (the session finishes, the writer flushes what is queued); nothing is
// queued after that, nor after the last word.
func TestQueueFullEndsSession(t *testing.T) {
	newTestSession := func(limit int) *session {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		return &session{h: &Handler{log: log}, log: log, send: newSendQueue(limit), done: make(chan struct{})}
	}
	s := newTestSession(4)
	for i := range 4 {
		s.sendMsg(i)
	}
	if s.finished() || s.send.queued() != 4 {
		t.Fatalf("finished %v with %d queued, want 4 queued and on", s.finished(), s.send.queued())
	}
	s.sendMsg(4)
	if !s.finished() {
		t.Fatal("a full queue did not end the session")
	}
	s.sendMsg(5)
	if n := s.send.queued(); n != 4 {
		t.Fatalf("%d queued after the session ended, want the 4 before", n)
	}
	for i := range 4 {
		if data, _ := s.send.pop(); string(data) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q", i, data)
		}
	}

	s = newTestSession(4)
	s.end(map[string]string{"type": "bye"})
	s.sendMsg(1)
	if n := s.send.queued(); n != 1 {
		t.Fatalf("%d queued after the last word, want it alone", n)
	}
}
