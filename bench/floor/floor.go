// Package floor measures the least CPU time any SFU must spend to forward
// one packet on this machine: SRTP-protect it for the subscriber and write
// it to a UDP socket. A server's measured cost per forwarded packet divided
// by this floor is a machine-independent figure of its own overhead.
package floor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// ErrMeasure means the floor could not be measured.
var ErrMeasure = errors.New("floor: cannot measure")

// PacketSize is the RTP payload size measured: a full video packet.
const PacketSize = 1100

// Profiles are the SRTP protection profiles Pion offers, in its order of
// preference (webrtc/v4 defaultSrtpProtectionProfiles). Chromium offers the
// same three, so a browser and Pion agree on the first: AEAD-AES-256-GCM.
var profiles = []srtp.ProtectionProfile{
	srtp.ProtectionProfileAeadAes256Gcm,
	srtp.ProtectionProfileAeadAes128Gcm,
	srtp.ProtectionProfileAes128CmHmacSha1_80,
}

// Profiles returns the profiles Measure knows, Pion's preferred first.
func Profiles() []srtp.ProtectionProfile { return append([]srtp.ProtectionProfile(nil), profiles...) }

// Result is one measurement.
type Result struct {
	Profile         string        `json:"profile"`
	Packets         int           `json:"packets"`
	CPU             time.Duration `json:"cpu"` // of the measuring thread, user and system
	MicrosPerPacket float64       `json:"microsPerPacket"`
	ThreadCPU       bool          `json:"threadCpu"` // false: wall time stood in for CPU time
	Batch           int           `json:"batch"`     // packets per write system call
}

// Option configures Measure.
type Option func(*options)

type options struct {
	profile  srtp.ProtectionProfile
	duration time.Duration
	batch    int
	readers  int
}

// WithProfile sets the SRTP profile; Pion's preferred one by default.
func WithProfile(p srtp.ProtectionProfile) Option { return func(o *options) { o.profile = p } }

// WithDuration sets how long to measure; 300 ms by default.
func WithDuration(d time.Duration) Option { return func(o *options) { o.duration = d } }

// WithBatch writes n packets per system call (sendmmsg) instead of one
// (sendto): not the floor of today's SFUs, which write one packet at a
// time, but what batching would bring it down to.
func WithBatch(n int) Option { return func(o *options) { o.batch = max(n, 1) } }

// WithReaders sends to n sockets in turn, each read by its own goroutine,
// as a fan-out reaches n subscribers that are waiting for it. On loopback
// the kernel delivers to the reader, and wakes it, within the sender's
// system call: a cost a server on a network card does not pay, but one
// that every server measured on loopback does. 0 (the default): one
// socket nobody reads.
func WithReaders(n int) Option { return func(o *options) { o.readers = max(n, 0) } }

// readerPause is the pause between rounds of WithReaders: long enough for
// the readers to block again.
const readerPause = 500 * time.Microsecond

// Sender protects and writes packets of one stream, as an SFU does for one
// subscriber. By default it writes to a socket nobody reads: the kernel
// drops what does not fit, and no reader's wakeup is counted.
type Sender struct {
	srtp *srtp.Context
	conn *net.UDPConn
	sink *net.UDPConn
	to   *net.UDPAddr
	// readers are the sockets of WithReaders, written in turn.
	readers []*net.UDPConn
	next    int
	header  rtp.Header
	plain   []byte
	out     []byte
}

// NewSender prepares a sender on loopback with a random key.
func NewSender(profile srtp.ProtectionProfile) (*Sender, error) {
	keyLen, err := profile.KeyLen()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	saltLen, err := profile.SaltLen()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	key := make([]byte, keyLen+saltLen)
	_, _ = rand.Read(key)
	ctx, err := srtp.CreateContext(key[:keyLen], key[keyLen:], profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	sink, err := net.ListenUDP("udp4", loop)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	conn, err := net.ListenUDP("udp4", loop)
	if err != nil {
		_ = sink.Close()
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	s := &Sender{
		srtp: ctx, conn: conn, sink: sink, to: sink.LocalAddr().(*net.UDPAddr),
		header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 0x5eed, Timestamp: 90000, Marker: true},
		out:    make([]byte, 0, 1500),
	}
	payload := make([]byte, PacketSize)
	_, _ = rand.Read(payload)
	s.plain, err = (&rtp.Packet{Header: s.header, Payload: payload}).Marshal()
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%w: %v", ErrMeasure, err)
	}
	return s, nil
}

// Send protects and writes the next packet.
func (s *Sender) Send() error {
	s.header.SequenceNumber++
	s.plain[2], s.plain[3] = byte(s.header.SequenceNumber>>8), byte(s.header.SequenceNumber)
	out, err := s.srtp.EncryptRTP(s.out[:0], s.plain, &s.header)
	if err != nil {
		return err
	}
	_, err = s.conn.WriteToUDP(out, s.destination())
	return err
}

// destination is the sink, or the next reader's socket in turn.
func (s *Sender) destination() *net.UDPAddr {
	if len(s.readers) == 0 {
		return s.to
	}
	s.next = (s.next + 1) % len(s.readers)
	return s.readers[s.next].LocalAddr().(*net.UDPAddr)
}

// startReaders opens n sockets, each drained by a goroutine until Close.
func (s *Sender) startReaders(n int) error {
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMeasure, err)
		}
		s.readers = append(s.readers, c)
		go func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
					return
				}
			}
		}()
	}
	return nil
}

// Close closes every socket (which ends the readers).
func (s *Sender) Close() error {
	errs := []error{s.conn.Close(), s.sink.Close()}
	for _, r := range s.readers {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Measure sends packets for a while on one locked OS thread and returns
// that thread's CPU time per packet.
func Measure(ctx context.Context, opts ...Option) (Result, error) {
	o := options{profile: profiles[0], duration: 300 * time.Millisecond, batch: 1}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := NewSender(o.profile)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = s.Close() }()
	if err := s.startReaders(o.readers); err != nil {
		return Result{}, err
	}
	send, perCall := s.Send, 1
	if o.batch > 1 {
		send, perCall = newBatchSender(s, o.batch).sendBatch, o.batch
	}
	for range 1000 / perCall { // warm up: caches, the socket's route
		if err := send(); err != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrMeasure, err)
		}
	}
	res := Result{Profile: o.profile.String(), Batch: perCall}
	cpu, thread := startClock()
	defer cpu.stop()
	deadline := time.Now().Add(o.duration)
	// With readers, one round reaches each of them once, then the sender
	// pauses as a server does between a publisher's packets, so that the
	// readers go back to sleep and the next round must wake them. The
	// pause is not CPU time; going to sleep and waking costs the thread a
	// little, shared by the round's packets.
	round := max(256/perCall, 1)
	if o.readers > 0 {
		round = max(o.readers/perCall, 1)
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for range round {
			if err := send(); err != nil {
				return Result{}, fmt.Errorf("%w: %v", ErrMeasure, err)
			}
			res.Packets += perCall
		}
		if o.readers > 0 {
			time.Sleep(readerPause)
		}
	}
	res.CPU, res.ThreadCPU = cpu.elapsed(), thread
	res.MicrosPerPacket = float64(res.CPU) / float64(time.Microsecond) / float64(res.Packets)
	return res, ctx.Err()
}
