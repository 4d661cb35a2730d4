package sfu

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
)

// TestSSRCSet: each row admits SSRCs in turn into a set of max, and says
// which get in.
func TestSSRCSet(t *testing.T) {
	type step struct {
		ssrc uint32
		in   bool
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"known SSRCs keep passing", 2, []step{{1, true}, {2, true}, {1, true}, {2, true}, {2, true}}},
		{"a new SSRC past max is refused, the known still pass", 2, []step{{1, true}, {2, true}, {3, false}, {1, true}, {3, false}, {2, true}}},
		{"SSRC 0 is an SSRC", 1, []step{{0, true}, {0, true}, {1, false}}},
		{"a set of one", 1, []step{{0xffffffff, true}, {0xfffffffe, false}, {0xffffffff, true}}},
		{"SSRCs that share a slot", 4, []step{
			// Multiples of 2^32/table size hash close together: probing
			// must still tell them apart.
			{1 << 28, true}, {2 << 28, true}, {3 << 28, true}, {4 << 28, true},
			{5 << 28, false}, {1 << 28, true}, {4 << 28, true}, {3 << 28, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSSRCSet(tt.max)
			for i, st := range tt.steps {
				if got := s.admit(st.ssrc); got != st.in {
					t.Fatalf("step %d: admit(%#x) = %v, want %v", i, st.ssrc, got, st.in)
				}
			}
		})
	}
}

// TestSSRCSetHoldsMax: of many distinct SSRCs, exactly the first max get
// in, and each of them still does after the set is full.
func TestSSRCSetHoldsMax(t *testing.T) {
	const max = SSRCsForTracksDefault
	s := newSSRCSet(max)
	in := 0
	for i := range uint32(10_000) {
		if s.admit(i * 2654435761) {
			in++
		}
	}
	if in != max {
		t.Fatalf("%d admitted, want %d", in, max)
	}
	for i := range uint32(max) {
		if !s.admit(i * 2654435761) {
			t.Fatalf("SSRC %d of the first %d refused once the set is full", i, max)
		}
	}
}

// TestSSRCSetShared: goroutines admitting SSRCs at once (the ICE
// connections of one participant) together get exactly max in, each SSRC
// once, and agree on which.
func TestSSRCSetShared(t *testing.T) {
	const max, workers, each = 100, 4, 1000
	s := newSSRCSet(max)
	var in atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Every worker tries the same SSRCs, in its own order.
			for i := range uint32(each) {
				if s.admit((i*7 + uint32(w)*13) % each) {
					in.Add(1)
				}
			}
		})
	}
	wg.Wait()
	admitted := 0
	for i := range uint32(each) {
		if s.admit(i) {
			admitted++
		}
	}
	if admitted != max || s.n.Load() != max {
		t.Fatalf("%d SSRCs in the set (n %d), want %d", admitted, s.n.Load(), max)
	}
	if in.Load() < max {
		t.Fatalf("the workers were let in %d times, want at least %d", in.Load(), max)
	}
}

// TestGatesShareAParticipantsSet: the connections of one participant (two
// local ICE usernames, as across an ICE restart) share its cap; one whose
// username is unknown has a set of its own.
func TestGatesShareAParticipantsSet(t *testing.T) {
	var dropped atomic.Uint64
	var sets sync.Map
	c := ssrcCap{max: 2, dropped: &dropped, log: slog.New(slog.NewTextHandler(io.Discard, nil)), sets: &sets}
	share := c.newSSRCShare()
	// Two local descriptions, the second of an ICE restart; the first
	// repeated changes nothing.
	for _, sdp := range []string{"v=0\r\na=ice-ufrag:before\r\n", "v=0\r\na=ice-ufrag:before\r\n", "a=ice-pwd:x\r\na=ice-ufrag:after\r\n"} {
		share.register(sdp)
	}
	before, after, other := c.gate("before"), c.gate("after"), c.gate("unknown")
	for _, st := range []struct {
		g    *gate
		ssrc uint32
		pass bool
	}{
		{before, 1, true}, {after, 2, true}, {after, 3, false}, {before, 3, false}, {after, 1, true},
		{other, 3, true}, {other, 4, true}, {other, 5, false},
	} {
		if got := st.g.pass(rtpPacket(st.ssrc, false, 96), func() any { return nil }); got != st.pass {
			t.Fatalf("%s: SSRC %d passed %v, want %v", st.g.ufrag, st.ssrc, got, st.pass)
		}
	}
	if share.ufrags != [2]string{"after", "before"} {
		t.Fatalf("registered %q, want the current username and the one before", share.ufrags)
	}
	// A third username lets the first go.
	share.register("a=ice-ufrag:third\n")
	if _, ok := sets.Load("before"); ok {
		t.Fatal("a username two restarts old is still registered")
	}
	share.unregister()
	n := 0
	sets.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d usernames outlived their participant", n)
	}
}

// SSRCsForTracksDefault is the default cap, as the tests read it.
const SSRCsForTracksDefault = DefaultTracksPerParticipant*ssrcsPerTrack*2 + ssrcMargin

func TestSSRCsForTracks(t *testing.T) {
	tests := []struct{ tracks, want int }{{0, 0}, {-1, 0}, {1, 28}, {8, SSRCsForTracksDefault}}
	for _, tt := range tests {
		if got := SSRCsForTracks(tt.tracks); got != tt.want {
			t.Errorf("SSRCsForTracks(%d) = %d, want %d", tt.tracks, got, tt.want)
		}
	}
}

// rtpPacket is an RTP header (12 bytes) of the given SSRC, marker and
// payload type.
func rtpPacket(ssrc uint32, marker bool, pt byte) []byte {
	b := make([]byte, 12, 20)
	b[0] = 0x80
	b[1] = pt
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return b
}

func TestRTPSSRC(t *testing.T) {
	rtcp := rtpPacket(7, false, 0)
	rtcp[1] = 200 // a sender report
	tests := []struct {
		name string
		b    []byte
		ssrc uint32
		rtp  bool
	}{
		{"VP8", rtpPacket(0xdeadbeef, false, 96), 0xdeadbeef, true},
		{"VP8 with the marker", rtpPacket(5, true, 96), 5, true},
		{"RTCP sender report", rtcp, 0, false},
		{"STUN", append([]byte{0, 1}, make([]byte, 18)...), 0, false},
		{"DTLS", append([]byte{22, 254, 253}, make([]byte, 20)...), 0, false},
		{"too short", rtpPacket(5, false, 96)[:11], 0, false},
		{"version 3", append([]byte{0xc0}, rtpPacket(5, false, 96)[1:]...), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ssrc, ok := rtpSSRC(tt.b)
			if ok != tt.rtp || ssrc != tt.ssrc {
				t.Fatalf("rtpSSRC = %#x, %v; want %#x, %v", ssrc, ok, tt.ssrc, tt.rtp)
			}
		})
	}
}

// packetsConn hands out its packets, then io.EOF.
type packetsConn struct {
	net.PacketConn
	pkts [][]byte
	from netip.AddrPort
}

func (c *packetsConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	if len(c.pkts) == 0 {
		return 0, netip.AddrPort{}, io.EOF
	}
	n := copy(b, c.pkts[0])
	c.pkts = c.pkts[1:]
	return n, c.from, nil
}

func (c *packetsConn) WriteToAddrPort([]byte, netip.AddrPort) (int, error) { return 0, nil }

func (c *packetsConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(b)
	return n, net.UDPAddrFromAddrPort(ap), err
}

// TestGatedConn: past max SSRCs, the packets of new SSRCs are dropped,
// counted and logged once, whichever read ICE uses; everything else passes.
func TestGatedConn(t *testing.T) {
	stun := append([]byte{0, 1}, make([]byte, 18)...)
	rtcp := rtpPacket(9, false, 0)
	rtcp[1] = 201
	in := [][]byte{stun, rtpPacket(1, false, 96), rtpPacket(2, false, 97), rtpPacket(3, false, 96), rtcp,
		rtpPacket(1, true, 96), rtpPacket(4, false, 96), rtpPacket(2, false, 97)}
	want := [][]byte{stun, rtpPacket(1, false, 96), rtpPacket(2, false, 97), rtcp, rtpPacket(1, true, 96), rtpPacket(2, false, 97)}
	for _, tt := range []struct {
		name string
		read func(c net.PacketConn, b []byte) (int, error)
	}{
		{"ReadFromAddrPort", func(c net.PacketConn, b []byte) (int, error) {
			n, _, err := c.(ice.AddrPortReaderWriter).ReadFromAddrPort(b)
			return n, err
		}},
		{"ReadFrom", func(c net.PacketConn, b []byte) (int, error) {
			n, _, err := c.ReadFrom(b)
			return n, err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs strings.Builder
			var dropped atomic.Uint64
			c := ssrcCap{max: 2, dropped: &dropped, log: slog.New(slog.NewTextHandler(&logs, nil))}.
				wrapUDP(&packetsConn{pkts: in, from: netip.MustParseAddrPort("192.0.2.1:5000")}, "ufrag1")
			var got [][]byte
			b := make([]byte, 1500)
			for {
				n, err := tt.read(c, b)
				if err != nil {
					break
				}
				got = append(got, bytes.Clone(b[:n]))
			}
			if len(got) != len(want) {
				t.Fatalf("%d packets passed, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("packet %d: % x, want % x", i, got[i], want[i])
				}
			}
			if dropped.Load() != 2 {
				t.Errorf("dropped %d, want 2", dropped.Load())
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "ufrag=ufrag1") {
				t.Errorf("logged %d times, want once, naming the connection:\n%s", n, logs.String())
			}
		})
	}
}

// TestGatedConnAllocatesNothing: a packet of a known SSRC costs the gate
// no allocation (nor does one dropped, once the log has been written).
func TestGatedConnAllocatesNothing(t *testing.T) {
	known1, known2, unknown := rtpPacket(1, false, 96), rtpPacket(2, false, 96), rtpPacket(3, false, 96)
	src := &packetsConn{from: netip.MustParseAddrPort("192.0.2.1:5000")}
	var dropped atomic.Uint64
	c := ssrcCap{max: 2, dropped: &dropped, log: slog.New(slog.NewTextHandler(io.Discard, nil))}.wrapUDP(src, "u").(ice.AddrPortReaderWriter)
	b := make([]byte, 1500)
	pkts := make([][]byte, 0, 3)
	// Two known SSRCs in turn, so that the lookup goes past the last one
	// admitted to the table; one drop before each.
	read := func() {
		src.pkts = append(pkts[:0], unknown, known1, known2)
		for range 2 {
			if _, _, err := c.ReadFromAddrPort(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	src.pkts = [][]byte{known1, known2}
	for range 2 {
		if _, _, err := c.ReadFromAddrPort(b); err != nil {
			t.Fatal(err)
		}
	}
	read() // the log written
	if allocs := testing.AllocsPerRun(1000, read); allocs != 0 {
		t.Fatalf("%v allocations a read, want 0", allocs)
	}
	// The first read, AllocsPerRun's warm-up and its 1000 runs.
	if dropped.Load() != 1002 {
		t.Fatalf("dropped %d, want 1002", dropped.Load())
	}
}

// BenchmarkGatedConnKnownSSRC: the gate's cost for a packet of a known
// SSRC, on top of the read it wraps.
func BenchmarkGatedConnKnownSSRC(b *testing.B) {
	known := rtpPacket(1, false, 96)
	src := &packetsConn{from: netip.MustParseAddrPort("192.0.2.1:5000")}
	var dropped atomic.Uint64
	c := ssrcCap{max: SSRCsForTracksDefault, dropped: &dropped, log: slog.Default()}.wrapUDP(src, "u").(ice.AddrPortReaderWriter)
	buf := make([]byte, 1500)
	pkts := make([][]byte, 1)
	b.ReportAllocs()
	for b.Loop() {
		src.pkts = append(pkts[:0], known)
		if _, _, err := c.ReadFromAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// fakeNet opens packetsConns.
type fakeNet struct {
	transport.Net
	conn transport.UDPConn
}

func (n fakeNet) ListenUDP(string, *net.UDPAddr) (transport.UDPConn, error) { return n.conn, nil }

type packetsUDPConn struct {
	transport.UDPConn
	*packetsConn
}

func (c packetsUDPConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.packetsConn.ReadFrom(b) }

// fakeMux hands out one connection.
type fakeMux struct {
	ice.UDPMux
	conn net.PacketConn
}

func (m fakeMux) GetConn(string, net.Addr) (net.PacketConn, error) { return m.conn, nil }

// TestGatedSockets: the sockets ICE gathers on, from the shared UDP port's
// mux and from the Net of a connection's own, come gated, with the reads
// by netip.AddrPort of the socket they wrap.
func TestGatedSockets(t *testing.T) {
	pkts := func() *packetsConn {
		return &packetsConn{pkts: [][]byte{rtpPacket(1, false, 96), rtpPacket(2, false, 96), rtpPacket(1, false, 96)}}
	}
	tests := []struct {
		name string
		open func(c ssrcCap) (net.PacketConn, error)
	}{
		{"UDP mux", func(c ssrcCap) (net.PacketConn, error) {
			return gatedUDPMux{UDPMux: fakeMux{conn: pkts()}, cap: c}.GetConn("u", nil)
		}},
		{"own socket", func(c ssrcCap) (net.PacketConn, error) {
			return gatedNet{Net: fakeNet{conn: packetsUDPConn{packetsConn: pkts()}}, cap: c}.ListenUDP("udp4", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dropped atomic.Uint64
			conn, err := tt.open(ssrcCap{max: 1, dropped: &dropped, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ap, ok := conn.(ice.AddrPortReaderWriter)
			if !ok {
				t.Fatalf("%T lost the reads by netip.AddrPort", conn)
			}
			b := make([]byte, 1500)
			passed := 0
			for {
				if _, _, err := ap.ReadFromAddrPort(b); err != nil {
					break
				}
				passed++
			}
			if passed != 2 || dropped.Load() != 1 {
				t.Fatalf("%d passed and %d dropped, want 2 and 1", passed, dropped.Load())
			}
		})
	}
}
