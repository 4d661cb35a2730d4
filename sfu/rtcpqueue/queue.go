// Package rtcpqueue is the queue behind each of Pion's SRTCP read streams
// (SettingEngine.BufferFactory): the decrypted RTCP packets addressed to
// one SSRC, from the session's read loop to the stream's reader.
//
// Pion's default, a packetio.Buffer, keeps a 2 KB ring from the first packet
// on and never gives back what a backlog made it grow to; and a stream that
// nobody reads, one per SSRC a peer sends RTCP about that no sender or
// receiver of ours declared (a Pion client's receiver reports on the RTX
// SSRC of every video sender, which the SFU never sends on), grows until
// its 100 KB limit, a report a second. A Queue starts at 256 bytes, grows
// by doubling while its reader is behind, shrinks back once drained, and
// holds at most 1 KB until its stream is read for the first time.
package rtcpqueue

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/pion/transport/v5/deadline"
	"github.com/pion/transport/v5/packetio"
)

// Sizes of the ring, bytes. Each packet takes 2 bytes of length before it.
const (
	// InitialSize holds a few RTCP packets (a receiver report with one
	// block is 32 bytes, a NACK 16, a PLI 12): what a stream read as
	// packets come ever holds.
	InitialSize = 256
	// UnreadLimit bounds a stream never read: enough for what arrives
	// between a stream's creation and its reader's first read (a
	// transport-wide feedback packet can be several hundred bytes), and
	// all that a stream nobody reads ever keeps.
	UnreadLimit = 1024
	// Limit is pion/srtp's own limit for an SRTCP stream (100 KB).
	Limit = 100_000
)

const headerSize = 2

// errPacketTooBig: the 2-byte length cannot frame it.
var errPacketTooBig = errors.New("rtcpqueue: packet too big")

// Queue is a FIFO of packets with one reader. Write never blocks: past the
// limit it drops the packet and returns packetio.ErrFull, which pion/srtp
// takes as a silent drop, as with its own buffer. The zero value is not
// usable: use New.
type Queue struct {
	mu     sync.Mutex
	ring   []byte // nil until the first packet, and again once drained
	head   int    // where the oldest packet's header starts
	size   int    // bytes queued, headers included
	count  int
	read   bool // Read has been called: the stream has a reader
	closed bool
	notify chan struct{} // capacity 1: a packet came, or the queue closed
	dl     *deadline.Deadline
}

// New returns an empty queue.
func New() *Queue {
	return &Queue{notify: make(chan struct{}, 1)}
}

// Write queues a copy of pkt.
func (q *Queue) Write(pkt []byte) (int, error) {
	if len(pkt) > 0xffff {
		return 0, errPacketTooBig
	}
	need := len(pkt) + headerSize
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, io.ErrClosedPipe
	}
	limit := Limit
	if !q.read {
		limit = UnreadLimit
	}
	if q.size+need > limit {
		return 0, packetio.ErrFull
	}
	if q.size+need > len(q.ring) {
		q.grow(q.size + need)
	}
	var hdr [headerSize]byte
	binary.BigEndian.PutUint16(hdr[:], uint16(len(pkt))) //nolint:gosec // bounded above
	tail := q.head + q.size
	tail = q.put(tail, hdr[:])
	q.put(tail, pkt)
	q.size += need
	q.count++
	q.wake()
	return len(pkt), nil
}

// grow makes the ring hold at least n bytes, doubling from InitialSize, the
// queued packets moved to its start.
func (q *Queue) grow(n int) {
	size := max(InitialSize, len(q.ring))
	for size < n {
		size *= 2
	}
	ring := make([]byte, size)
	if q.size > 0 {
		end := q.head + q.size
		if end <= len(q.ring) {
			copy(ring, q.ring[q.head:end])
		} else {
			k := copy(ring, q.ring[q.head:])
			copy(ring[k:], q.ring[:end-len(q.ring)])
		}
	}
	q.ring, q.head = ring, 0
}

// put copies b into the ring at offset at (taken modulo its length) and
// returns the offset after it.
func (q *Queue) put(at int, b []byte) int {
	if at >= len(q.ring) {
		at -= len(q.ring)
	}
	k := copy(q.ring[at:], b)
	if k < len(b) {
		return copy(q.ring, b[k:])
	}
	return at + k
}

// take copies n bytes from offset at into dst (as many as fit) and returns
// the offset after the n bytes.
func (q *Queue) take(at, n int, dst []byte) int {
	c := min(n, len(dst))
	k := copy(dst[:c], q.ring[at:])
	copy(dst[k:c], q.ring)
	at += n
	if at >= len(q.ring) {
		at -= len(q.ring)
	}
	return at
}

// wake tells a blocked Read to look again; the caller holds q.mu.
func (q *Queue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// Read takes the oldest packet into buf. A buf too short for it gets the
// packet's start and io.ErrShortBuffer, the packet consumed, as with
// packetio.Buffer. It blocks until a packet comes, the queue is closed and
// drained (io.EOF), or the read deadline passes.
func (q *Queue) Read(buf []byte) (int, error) {
	for {
		q.mu.Lock()
		q.read = true
		if q.count > 0 {
			n, err := q.pop(buf)
			q.mu.Unlock()
			return n, err
		}
		if q.closed {
			q.mu.Unlock()
			return 0, io.EOF
		}
		var expired <-chan struct{}
		if q.dl != nil {
			expired = q.dl.Done()
		}
		q.mu.Unlock()
		select {
		case <-q.notify:
		case <-expired:
			return 0, errTimeout{}
		}
	}
}

// pop takes the oldest packet; the caller holds q.mu and q.count > 0.
func (q *Queue) pop(buf []byte) (int, error) {
	var hdr [headerSize]byte
	at := q.take(q.head, headerSize, hdr[:])
	n := int(binary.BigEndian.Uint16(hdr[:]))
	q.head = q.take(at, n, buf)
	q.size -= n + headerSize
	q.count--
	if q.count == 0 {
		q.head = 0
		if len(q.ring) > InitialSize {
			// A backlog made it grow; a stream read as packets come needs
			// no more than the first ring.
			q.ring = nil
		}
	}
	if len(buf) < n {
		return len(buf), io.ErrShortBuffer
	}
	return n, nil
}

// Close ends the queue: writes fail, and reads return io.EOF once the
// packets queued are read.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.notify)
	}
	return nil
}

// SetReadDeadline sets when reads, a pending one included, give up; the
// zero time means never.
func (q *Queue) SetReadDeadline(t time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dl == nil {
		if t.IsZero() {
			return nil
		}
		q.dl = deadline.New()
	}
	q.dl.Set(t)
	if !q.closed {
		q.wake() // a pending Read picks up the new deadline
	}
	return nil
}

// Len is the number of packets queued.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count
}

// Cap is the ring's size in bytes (0 when it holds nothing).
func (q *Queue) Cap() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ring)
}

// errTimeout is the deadline's error, a net.Error as packetio's is.
type errTimeout struct{}

func (errTimeout) Error() string   { return "rtcpqueue: i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }
func (errTimeout) Unwrap() error   { return packetio.ErrTimeout }
