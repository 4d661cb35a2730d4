package sfu

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/sfu/srtpkeys"
)

// capturingSocket keeps a copy of each datagram, as udpbatch.Conn does.
type capturingSocket struct {
	got  [][]byte
	addr []netip.AddrPort
}

func (s *capturingSocket) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	s.got = append(s.got, append([]byte(nil), b...))
	s.addr = append(s.addr, addr)
	return len(b), nil
}

// countingSocket drops datagrams, counting them: for the allocation check.
type countingSocket struct{ n int }

func (s *countingSocket) WriteToAddrPort(b []byte, _ netip.AddrPort) (int, error) {
	s.n++
	return len(b), nil
}

func testKeys(t testing.TB, p srtp.ProtectionProfile) srtpkeys.Keys {
	t.Helper()
	keyLen, err := p.KeyLen()
	if err != nil {
		t.Fatal(err)
	}
	saltLen, err := p.SaltLen()
	if err != nil {
		t.Fatal(err)
	}
	k := srtpkeys.Keys{Profile: p, LocalKey: make([]byte, keyLen), LocalSalt: make([]byte, saltLen)}
	for i := range k.LocalKey {
		k.LocalKey[i] = byte(i + 1)
	}
	for i := range k.LocalSalt {
		k.LocalSalt[i] = byte(0xa0 + i)
	}
	return k
}

// TestDirectSRTPWrap sends a stream whose sequence numbers wrap through the
// direct path and decrypts every packet with a receiver's context, in
// order: across the wrap the sender must have moved to rollover counter 1
// (RFC 3711 §3.3.1), or the authentication (HMAC or GCM tag) fails.
func TestDirectSRTPWrap(t *testing.T) {
	for _, profile := range []srtp.ProtectionProfile{srtp.ProtectionProfileAeadAes128Gcm, srtp.ProtectionProfileAes128CmHmacSha1_80, srtp.ProtectionProfileAeadAes256Gcm} {
		t.Run(profile.String(), func(t *testing.T) {
			keys := testKeys(t, profile)
			d := &directSRTP{}
			var viaPion int
			w := d.BindLocalStream(&interceptor.StreamInfo{}, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
				viaPion++
				return 1, nil
			}))
			sock := &capturingSocket{}
			to := netip.MustParseAddrPort("192.0.2.7:50000")
			const start, count = 65530, 20 // wraps after 6 packets
			write := func(i int) (int, error) {
				h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(start + i), Timestamp: uint32(3000 * i), SSRC: 0xfeed}
				return w.Write(&h, []byte{byte(i), 0xbe, 0xef}, nil)
			}

			// Not armed yet: Pion's path.
			if _, err := write(0); err != nil || viaPion != 1 || len(sock.got) != 0 {
				t.Fatalf("before arming: err %v, via pion %d, direct %d", err, viaPion, len(sock.got))
			}
			if err := d.arm(keys); err != nil {
				t.Fatal(err)
			}
			d.route(sock, to)
			for i := 1; i < count; i++ {
				if n, err := write(i); err != nil || n == 0 {
					t.Fatalf("packet %d: n %d, err %v", i, n, err)
				}
			}
			if viaPion != 1 || len(sock.got) != count-1 {
				t.Fatalf("via pion %d (want 1), direct %d (want %d)", viaPion, len(sock.got), count-1)
			}

			recv, err := srtp.CreateContext(keys.LocalKey, keys.LocalSalt, profile)
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range sock.got {
				if sock.addr[i] != to {
					t.Fatalf("packet %d sent to %v, want %v", i, sock.addr[i], to)
				}
				plain, err := recv.DecryptRTP(nil, b, nil)
				if err != nil {
					t.Fatalf("packet %d (seq %d): %v", i+1, uint16(start+i+1), err)
				}
				var p rtp.Packet
				if err := p.Unmarshal(plain); err != nil {
					t.Fatal(err)
				}
				if p.SequenceNumber != uint16(start+i+1) || !bytes.Equal(p.Payload, []byte{byte(i + 1), 0xbe, 0xef}) {
					t.Fatalf("packet %d: seq %d payload %x", i+1, p.SequenceNumber, p.Payload)
				}
			}
			if roc, ok := recv.ROC(0xfeed); !ok || roc != 1 {
				t.Fatalf("receiver ROC %d (known %v), want 1 after the wrap", roc, ok)
			}

			// A selected pair off the shared socket: nothing is sent, and the
			// stream does not fall back to Pion, whose ROC is stale.
			d.route(nil, netip.AddrPort{})
			if n, err := write(count); n != 0 || err != nil || viaPion != 1 || len(sock.got) != count-1 {
				t.Fatalf("off the shared socket: n %d err %v via pion %d direct %d", n, err, viaPion, len(sock.got))
			}
		})
	}
}

// countingPacketConn stands for an ICE-TCP packet conn: it counts the
// packets written to it, and to where.
type countingPacketConn struct {
	net.PacketConn // nil: only WriteTo is called
	n              int
	to             net.Addr
}

func (c *countingPacketConn) WriteTo(b []byte, to net.Addr) (int, error) {
	c.n++
	c.to = to
	return len(b), nil
}

// TestDirectSRTPNoAllocs: our part of the direct path allocates nothing per
// packet, to the UDP socket and to an ICE-TCP packet conn alike. (On TCP,
// pion/ice's tcpPacketConn.WriteTo then allocates the RFC 4571 framed copy
// and its table's key, as it does for Pion's own SRTP path.)
func TestDirectSRTPNoAllocs(t *testing.T) {
	d, w, sock := armedDirect(t)
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1, Extension: true, ExtensionProfile: rtp.ExtensionProfileOneByte}
	if err := h.SetExtension(3, []byte{0, 1}); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 1100)
	write := func() {
		h.SequenceNumber++
		if _, err := w.Write(&h, payload, nil); err != nil {
			t.Fatal(err)
		}
	}
	if allocs := testing.AllocsPerRun(1000, write); allocs != 0 {
		t.Fatalf("UDP: %v allocations per packet, want 0", allocs)
	}
	if sock.n < 1000 {
		t.Fatalf("UDP: %d packets sent", sock.n)
	}
	tcp := &countingPacketConn{}
	to := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 50001}
	d.routeTCP(tcp, to)
	if allocs := testing.AllocsPerRun(1000, write); allocs != 0 {
		t.Fatalf("ICE-TCP: %v allocations per packet, want 0", allocs)
	}
	if tcp.n < 1000 || tcp.to != net.Addr(to) {
		t.Fatalf("ICE-TCP: %d packets sent, to %v", tcp.n, tcp.to)
	}
}

// TestDirectSRTPOverICETCP follows a selected pair onto ICE-TCP with
// pion/ice's own TCP mux: a client connects to the shared port and sends
// its connectivity check (RFC 6544, framed by RFC 4571); ICE reads it
// through the direct gate, which so learns the packet conn of the client's
// address; packets encrypted by the direct path then reach the client
// through that conn, each in an RFC 4571 frame, and decrypt in order. Once
// ICE closes the conn (an ICE restart), the address is forgotten.
func TestDirectSRTPOverICETCP(t *testing.T) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	mux := ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: ln, ReadBufferSize: 8})
	defer mux.Close()
	routes := newTCPRoutes(nil)
	// The SSRC cap on too: the direct gate sits under it.
	gate := directGate{ssrcCap: ssrcCap{max: 4, dropped: &atomic.Uint64{}, log: slog.New(slog.DiscardHandler)}, tcp: routes}
	conn, err := gate.GateTCP(mux).GetConnByUfrag("srv", false, net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = conn.Close()
		}
	}()

	client, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	check := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.NewUsername("srv:cli"))
	if _, err := client.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(check.Raw))), check.Raw...)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	if _, from, err := conn.ReadFrom(buf); err != nil || from.String() != client.LocalAddr().String() {
		t.Fatalf("ICE's read: from %v, err %v", from, err)
	}
	remote := client.LocalAddr().(*net.TCPAddr).AddrPort()
	pair := &webrtc.ICECandidatePair{
		Local:  &webrtc.ICECandidate{Protocol: webrtc.ICEProtocolTCP, TCPType: "passive", Address: "127.0.0.1", Port: uint16(ln.Addr().(*net.TCPAddr).Port)},
		Remote: &webrtc.ICECandidate{Protocol: webrtc.ICEProtocolTCP, Typ: webrtc.ICECandidateTypePrflx, Address: remote.Addr().String(), Port: remote.Port()},
	}
	rt, ok := selectedTCPRoute(pair, routes)
	if !ok {
		t.Fatalf("no route for %v", remote)
	}

	keys := testKeys(t, srtp.ProtectionProfileAeadAes128Gcm)
	d := &directSRTP{tcp: routes}
	if err := d.arm(keys); err != nil {
		t.Fatal(err)
	}
	d.routeTCP(rt.conn, rt.to)
	w := d.BindLocalStream(&interceptor.StreamInfo{}, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
		t.Fatal("armed path went to Pion")
		return 0, nil
	}))
	recv, err := srtp.CreateContext(keys.LocalKey, keys.LocalSalt, keys.Profile)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(65530 + i), Timestamp: uint32(3000 * i), SSRC: 0xfeed}
		payload := bytes.Repeat([]byte{byte(i)}, 200+i)
		if _, err := w.Write(&h, payload, nil); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		// RFC 4571 §2: a 16-bit length, then the packet.
		var frame [2]byte
		if _, err := io.ReadFull(client, frame[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, binary.BigEndian.Uint16(frame[:]))
		if _, err := io.ReadFull(client, b); err != nil {
			t.Fatal(err)
		}
		plain, err := recv.DecryptRTP(nil, b, nil)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(plain); err != nil || p.SequenceNumber != h.SequenceNumber || !bytes.Equal(p.Payload, payload) {
			t.Fatalf("packet %d: seq %d, %d bytes, err %v", i, p.SequenceNumber, len(p.Payload), err)
		}
	}

	closed = true
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := selectedTCPRoute(pair, routes); ok {
		t.Fatal("the closed conn's address is still routed")
	}
}

// BenchmarkDirectSRTP is the direct path's cost per forwarded packet: marshal,
// encrypt (AEAD_AES_128_GCM, what Chromium negotiates with Pion), queue.
func BenchmarkDirectSRTP(b *testing.B) {
	_, w, _ := armedDirect(b)
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}
	payload := make([]byte, 1100)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		h.SequenceNumber++
		if _, err := w.Write(&h, payload, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func armedDirect(t testing.TB) (*directSRTP, interceptor.RTPWriter, *countingSocket) {
	t.Helper()
	d := &directSRTP{}
	if err := d.arm(testKeys(t, srtp.ProtectionProfileAeadAes128Gcm)); err != nil {
		t.Fatal(err)
	}
	sock := &countingSocket{}
	d.route(sock, netip.MustParseAddrPort("192.0.2.7:50000"))
	w := d.BindLocalStream(&interceptor.StreamInfo{}, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
		t.Fatal("armed path went to Pion")
		return 0, nil
	}))
	return d, w, sock
}

// TestDirectSRTPMarshalsAsPion: what the direct path encrypts is byte for
// byte what Pion's own path marshals (rtp.Packet.Marshal) for the packets
// the SFU writes: media with header extensions, and a probe's padding-only
// packet, whose padding is in the header (PaddingSize) and must go on the
// wire after the payload, its last octet counting them (RFC 3550 §5.1).
// Without them a probe put a tenth of its bits on the wire, and a receiver
// read the last header octet as the count: a malformed packet.
func TestDirectSRTPMarshalsAsPion(t *testing.T) {
	withExt := func(h rtp.Header) rtp.Header {
		h.Extension, h.ExtensionProfile = true, rtp.ExtensionProfileOneByte
		if err := h.SetExtension(3, []byte{0x12, 0x34}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name    string
		hdr     rtp.Header
		payload []byte
		size    int // of the plain packet
	}{
		{"media", withExt(rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 90, SSRC: 0xfeed, Marker: true}),
			[]byte{1, 2, 3, 4, 5}, 12 + 8 + 5},
		{"padding only", withExt(rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 8, Timestamp: 90, SSRC: 0xfeed, Padding: true, PaddingSize: maxPadding}),
			nil, 12 + 8 + maxPadding},
		{"padding only, no extension", rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 9, Timestamp: 90, SSRC: 0xfeed, Padding: true, PaddingSize: 40},
			nil, 12 + 40},
	}
	keys := testKeys(t, srtp.ProtectionProfileAes128CmHmacSha1_80)
	recv, err := srtp.CreateContext(keys.LocalKey, keys.LocalSalt, keys.Profile)
	if err != nil {
		t.Fatal(err)
	}
	d := &directSRTP{}
	if err := d.arm(keys); err != nil {
		t.Fatal(err)
	}
	sock := &capturingSocket{}
	d.route(sock, netip.MustParseAddrPort("192.0.2.7:50000"))
	w := d.BindLocalStream(&interceptor.StreamInfo{}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.hdr
			n, err := w.Write(&h, tt.payload, nil)
			if err != nil {
				t.Fatal(err)
			}
			wire := sock.got[len(sock.got)-1]
			if n != len(wire) {
				t.Fatalf("Write returned %d, %d bytes sent", n, len(wire))
			}
			plain, err := recv.DecryptRTP(nil, wire, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := (&rtp.Packet{Header: tt.hdr, Payload: tt.payload}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(plain) != tt.size || !bytes.Equal(plain, want) {
				t.Fatalf("sent %d bytes %x\nwant %d bytes %x (Pion's marshalling)", len(plain), plain, len(want), want)
			}
			var p rtp.Packet
			if err := p.Unmarshal(plain); err != nil {
				t.Fatalf("the receiver cannot parse it: %v", err)
			}
			if p.Padding != tt.hdr.Padding || p.PaddingSize != tt.hdr.PaddingSize || len(p.Payload) != len(tt.payload) {
				t.Fatalf("parsed padding %v size %d payload %d, want %v %d %d", p.Padding, p.PaddingSize, len(p.Payload), tt.hdr.Padding, tt.hdr.PaddingSize, len(tt.payload))
			}
		})
	}
}
