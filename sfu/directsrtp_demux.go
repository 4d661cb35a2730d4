package sfu

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// recvDemux is the shared UDP socket's tap (udpbatch.Tap) for direct SRTP:
// it finds the association of a packet by its source, the remote address
// of the association's selected ICE pair, and has that association's
// direct receive path take it (directsrtp_recv.go). Everything else, and
// whatever the association declines, goes on to Pion's UDP mux.
type recvDemux struct {
	mu sync.Mutex // writers
	by atomic.Pointer[map[netip.AddrPort]*directRecv]
}

func newRecvDemux() *recvDemux {
	d := &recvDemux{}
	d.by.Store(&map[netip.AddrPort]*directRecv{})
	return d
}

// Take implements udpbatch.Tap. Only SRTP and SRTCP reach an association
// (rtpFamily), each to its own reader (isSRTCP).
func (d *recvDemux) Take(b []byte, from netip.AddrPort) bool {
	if !rtpFamily(b) {
		return false
	}
	r := (*d.by.Load())[netip.AddrPortFrom(from.Addr().Unmap(), from.Port())]
	if r == nil {
		return false
	}
	if isSRTCP(b) {
		return r.takeRTCP(b)
	}
	return r.take(b)
}

// route sends r the packets from addr, ICE's newly selected pair on the
// shared UDP socket, and no longer those from its previous pair; an
// invalid addr (a pair elsewhere, the connection's end) only forgets.
func (d *recvDemux) route(r *directRecv, addr netip.AddrPort) {
	if d == nil || r == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := *d.by.Load()
	m := make(map[netip.AddrPort]*directRecv, len(old)+1)
	for k, v := range old {
		if v != r {
			m[k] = v
		}
	}
	if addr.IsValid() {
		m[addr] = r
	}
	d.by.Store(&m)
}

// rtpFamily tells SRTP and SRTCP from what else shares the port (STUN,
// DTLS): RFC 7983 §7, a first byte of 128 to 191.
func rtpFamily(b []byte) bool { return len(b) >= 12 && b[0] >= 128 && b[0] <= 191 }

// isSRTCP tells RTCP from RTP among them: RFC 5761 §4, a second byte
// (marker and payload type) of 192 to 223, the RTCP packet types that no
// RTP payload type then takes.
func isSRTCP(b []byte) bool { return rtpFamily(b) && b[1] >= 192 && b[1] <= 223 }

// isSRTP is the rest of them.
func isSRTP(b []byte) bool { return rtpFamily(b) && !isSRTCP(b) }
