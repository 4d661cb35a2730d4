package sfu

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// recordingWriter is a TrackLocalWriter that keeps copies of what it is
// given, or only counts when keep is false.
type recordingWriter struct {
	mu      sync.Mutex
	keep    bool
	count   int
	headers []rtp.Header
}

func (w *recordingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count++
	if w.keep {
		c := h.Clone()
		w.headers = append(w.headers, c)
	}
	return h.MarshalSize() + len(payload), nil
}

func (w *recordingWriter) Write(b []byte) (int, error) { return len(b), nil }

// vp8Payload returns a VP8 payload (RFC 7741 §4.2 descriptor, then a frame
// tag) for the first packet of a frame.
func vp8Payload(key bool, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x10 // S: start of partition 0
	if key {
		p[1] = 0x00 // frame tag: inverse key frame bit clear
		p[4], p[5], p[6] = 0x9d, 0x01, 0x2a
	} else {
		p[1] = 0x01
	}
	return p
}

const (
	audioLevelPub = 1
	audioLevelSub = 5
)

// newTestReceiver builds a Receiver with no PeerConnection behind it.
func newTestReceiver(kind webrtc.RTPCodecType) *Receiver {
	mime := webrtc.MimeTypeVP8
	if kind == webrtc.RTPCodecTypeAudio {
		mime = webrtc.MimeTypeOpus
	}
	r := &Receiver{
		id:       "TR_test",
		kind:     kind,
		codec:    webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime}},
		cache:    packetcache.New(512),
		throttle: keyframe.NewThrottle(time.Hour), // never asks: there is no publisher
		stats:    &counters{},
	}
	r.throttle.Allow(time.Now())
	r.downTracks.Store(&[]*DownTrack{})
	return r
}

// bindTestDownTrack attaches a bound DownTrack with its own SSRC.
func bindTestDownTrack(r *Receiver, ssrc uint32, w *recordingWriter) *DownTrack {
	d := newDownTrack(r, nil)
	d.ssrc, d.pt, d.writer = ssrc, 100, w
	d.extMap = []extensionMapping{{from: audioLevelPub, to: audioLevelSub}}
	d.bound.Store(true)
	r.addDownTrack(d)
	return d
}

type inPacket struct {
	seq     uint16
	ts      uint32
	key     bool
	padding bool
}

func feed(r *Receiver, pkts []inPacket) {
	var pkt rtp.Packet
	for _, in := range pkts {
		h := rtp.Header{Version: 2, SequenceNumber: in.seq, Timestamp: in.ts, SSRC: 0xdead, PayloadType: 96}
		_ = h.SetExtension(audioLevelPub, []byte{0x7f})
		payload := vp8Payload(in.key, 200)
		if r.kind == webrtc.RTPCodecTypeAudio {
			payload = make([]byte, 80)
		}
		if in.padding {
			payload = nil
			h.Padding, h.PaddingSize = true, 4
		}
		raw, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
		if err != nil {
			panic(err)
		}
		if err := pkt.Unmarshal(raw); err != nil {
			panic(err)
		}
		r.handlePacket(&pkt, raw)
	}
}

func TestDownTrackRewrites(t *testing.T) {
	tests := []struct {
		name    string
		kind    webrtc.RTPCodecType
		in      []inPacket
		wantSeq []uint16 // outgoing sequence numbers, in order
		wantTS  []uint32
	}{
		{
			name:    "video waits for a keyframe",
			kind:    webrtc.RTPCodecTypeVideo,
			in:      []inPacket{{seq: 10, ts: 1000}, {seq: 11, ts: 1000}, {seq: 12, ts: 4000, key: true}, {seq: 13, ts: 4000}},
			wantSeq: []uint16{12, 13},
			wantTS:  []uint32{4000, 4000},
		},
		{
			name:    "audio starts at once",
			kind:    webrtc.RTPCodecTypeAudio,
			in:      []inPacket{{seq: 65535, ts: 960}, {seq: 0, ts: 1920}},
			wantSeq: []uint16{65535, 0},
			wantTS:  []uint32{960, 1920},
		},
		{
			name:    "duplicates are dropped",
			kind:    webrtc.RTPCodecTypeAudio,
			in:      []inPacket{{seq: 5, ts: 0}, {seq: 6, ts: 960}, {seq: 5, ts: 0}, {seq: 6, ts: 960}, {seq: 7, ts: 1920}},
			wantSeq: []uint16{5, 6, 7},
			wantTS:  []uint32{0, 960, 1920},
		},
		{
			name:    "padding is dropped without a gap",
			kind:    webrtc.RTPCodecTypeVideo,
			in:      []inPacket{{seq: 100, ts: 0, key: true}, {seq: 101, ts: 0, padding: true}, {seq: 102, ts: 3000}, {seq: 103, ts: 3000, padding: true}, {seq: 104, ts: 6000}},
			wantSeq: []uint16{100, 101, 102},
			wantTS:  []uint32{0, 3000, 6000},
		},
		{
			name:    "reordering is kept",
			kind:    webrtc.RTPCodecTypeAudio,
			in:      []inPacket{{seq: 1, ts: 0}, {seq: 3, ts: 1920}, {seq: 2, ts: 960}},
			wantSeq: []uint16{1, 3, 2},
			wantTS:  []uint32{0, 1920, 960},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(tt.kind)
			w1, w2 := &recordingWriter{keep: true}, &recordingWriter{keep: true}
			bindTestDownTrack(r, 1111, w1)
			bindTestDownTrack(r, 2222, w2)
			feed(r, tt.in)
			for i, w := range []*recordingWriter{w1, w2} {
				ssrc := []uint32{1111, 2222}[i]
				if len(w.headers) != len(tt.wantSeq) {
					t.Fatalf("subscriber %d got %d packets, want %d", i, len(w.headers), len(tt.wantSeq))
				}
				for j, h := range w.headers {
					if h.SequenceNumber != tt.wantSeq[j] || h.Timestamp != tt.wantTS[j] {
						t.Errorf("subscriber %d packet %d: seq %d ts %d, want seq %d ts %d", i, j, h.SequenceNumber, h.Timestamp, tt.wantSeq[j], tt.wantTS[j])
					}
					if h.SSRC != ssrc || h.PayloadType != 100 {
						t.Errorf("subscriber %d packet %d: ssrc %d pt %d, want %d 100", i, j, h.SSRC, h.PayloadType, ssrc)
					}
					if got := h.GetExtension(audioLevelSub); len(got) != 1 || got[0] != 0x7f || h.GetExtension(audioLevelPub) != nil {
						t.Errorf("subscriber %d packet %d: extensions not renamed: %v", i, j, h.Extensions)
					}
				}
			}
		})
	}
}

func TestUnboundDownTrackSendsNothing(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeAudio)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 1, w)
	d.bound.Store(false)
	feed(r, []inPacket{{seq: 1}, {seq: 2}})
	if w.count != 0 {
		t.Fatalf("unbound down track wrote %d packets", w.count)
	}
	r.removeDownTrack(d)
	if n := len(*r.downTracks.Load()); n != 0 {
		t.Fatalf("%d down tracks left after removal", n)
	}
}

// forwardPacket prepares one 1100-byte VP8 packet, as a browser sends at
// about 1 Mbit/s.
func forwardPacket() (rtp.Packet, []byte) {
	h := rtp.Header{Version: 2, SequenceNumber: 1, Timestamp: 90000, SSRC: 0xdead, PayloadType: 96, Marker: true}
	_ = h.SetExtension(audioLevelPub, []byte{0x7f})
	raw, _ := (&rtp.Packet{Header: h, Payload: vp8Payload(true, 1100)}).Marshal()
	var pkt rtp.Packet
	_ = pkt.Unmarshal(raw)
	return pkt, raw
}

func TestForwardingAllocatesNothing(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo)
	for i := range 10 {
		bindTestDownTrack(r, uint32(i+1), &recordingWriter{})
	}
	pkt, raw := forwardPacket()
	seq := uint16(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		pkt.SequenceNumber = seq
		raw[2], raw[3] = byte(seq>>8), byte(seq)
		r.handlePacket(&pkt, raw)
	})
	if allocs != 0 {
		t.Fatalf("forwarding one packet to 10 down tracks allocates %.1f times", allocs)
	}
}

// BenchmarkForward measures the SFU's own cost per packet in, from the
// shared cache to every DownTrack's writer (the network write excluded).
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo)
			for i := range n {
				bindTestDownTrack(r, uint32(i+1), &recordingWriter{})
			}
			pkt, raw := forwardPacket()
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)) * int64(n))
			seq := uint16(0)
			for b.Loop() {
				seq++
				pkt.SequenceNumber = seq
				raw[2], raw[3] = byte(seq>>8), byte(seq)
				r.handlePacket(&pkt, raw)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
		})
	}
}
