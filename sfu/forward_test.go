package sfu

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/speakers"
)

// recordingWriter is a TrackLocalWriter that keeps copies of what it is
// given, or only counts when keep is false.
type recordingWriter struct {
	mu       sync.Mutex
	keep     bool
	count    int
	headers  []rtp.Header
	payloads [][]byte
}

func (w *recordingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count++
	if w.keep {
		c := h.Clone()
		w.headers = append(w.headers, c)
		w.payloads = append(w.payloads, append([]byte(nil), payload...))
	}
	return h.MarshalSize() + len(payload), nil
}

func (w *recordingWriter) Write(b []byte) (int, error) { return len(b), nil }

// vp8Payload returns a VP8 payload (RFC 7741 §4.2 descriptor, then a frame
// tag) for the first packet of a frame.
func vp8Payload(key bool, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x10 // S: start of partition 0
	frameTag(p[1:], key)
	return p
}

// frameTag writes a VP8 frame tag (RFC 6386 §9.1): a keyframe's carries
// the start code and a 640x360 size.
func frameTag(p []byte, key bool) {
	if !key {
		p[0] = 0x01 // inverse key frame bit set
		return
	}
	p[0] = 0x00
	p[3], p[4], p[5] = 0x9d, 0x01, 0x2a
	p[6], p[7], p[8], p[9] = 640&0xff, 640>>8, 360&0xff, 360>>8
}

// vp8PicturePayload is a VP8 packet with a 15-bit PictureID (X, I and M
// bits); start marks the first packet of a frame.
func vp8PicturePayload(pictureID uint16, start, key bool, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x80 // X
	if start {
		p[0] |= 0x10 // S
	}
	p[1] = 0x80 // I
	p[2], p[3] = 0x80|byte(pictureID>>8&0x7f), byte(pictureID)
	if start {
		frameTag(p[4:], key)
	} else {
		p[4] = 0x01
	}
	return p
}

func pictureIDOf(p []byte) uint16 { return uint16(p[2]&0x7f)<<8 | uint16(p[3]) }

const (
	audioLevelPub = 1
	audioLevelSub = 5
)

// newTestReceiver builds a Receiver with layers and no PeerConnection
// behind it, on the system's clock.
func newTestReceiver(kind webrtc.RTPCodecType, layers int) *Receiver {
	return newTestReceiverOn(clock.Real{}, kind, layers)
}

// newTestReceiverOn is newTestReceiver with its SFU, layers and down
// tracks on clk.
func newTestReceiverOn(clk clock.Clock, kind webrtc.RTPCodecType, layers int) *Receiver {
	mime := webrtc.MimeTypeVP8
	if kind == webrtc.RTPCodecTypeAudio {
		mime = webrtc.MimeTypeOpus
	}
	cfg := defaultConfig()
	cfg.clock = clk
	log := slog.New(slog.DiscardHandler)
	owner := &Participant{log: log, sfu: &SFU{cfg: cfg, log: log}}
	r := &Receiver{
		id:    "TR_test",
		owner: owner,
		kind:  kind,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}},
		stats: &counters{},
	}
	for i := range layers {
		l := &Layer{r: r, index: i, rid: []string{"q", "h", "f"}[i], cache: packetcache.New(512), clock: owner.sfu.cfg.clock,
			throttle: keyframe.NewThrottle(time.Hour), // never asks: there is no publisher
			vp8:      mime == webrtc.MimeTypeVP8}
		l.throttle.Allow(time.Now())
		r.layers[i].Store(l)
	}
	r.downTracks.Store(&[]*DownTrack{})
	return r
}

// bindTestDownTrack attaches a bound DownTrack with its own SSRC.
func bindTestDownTrack(r *Receiver, ssrc uint32, w *recordingWriter) *DownTrack {
	d := newDownTrack(r, r.owner)
	d.ssrc, d.pt, d.writer, d.clockRate = ssrc, 100, w, 90000
	d.extMap = []extensionMapping{{from: audioLevelPub, to: audioLevelSub}}
	d.bound.Store(true)
	r.addDownTrack(d)
	return d
}

type inPacket struct {
	layer   int
	picture int // VP8 PictureID + 1; 0: a payload without one
	start   bool
	seq     uint16
	ts      uint32
	key     bool
	padding bool
	marker  bool
}

func feed(r *Receiver, pkts []inPacket) {
	var pkt rtp.Packet
	for _, in := range pkts {
		h := rtp.Header{Version: 2, SequenceNumber: in.seq, Timestamp: in.ts, SSRC: 0xdead + uint32(in.layer), PayloadType: 96, Marker: in.marker}
		_ = h.SetExtension(audioLevelPub, []byte{0x7f})
		payload := vp8Payload(in.key, 200)
		if in.picture > 0 {
			payload = vp8PicturePayload(uint16(in.picture-1), in.start, in.key, 200)
		}
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
		r.layer(in.layer).handlePacket(&pkt, raw)
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
			r := newTestReceiver(tt.kind, 1)
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
	r := newTestReceiver(webrtc.RTPCodecTypeAudio, 1)
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
	raw, _ := (&rtp.Packet{Header: h, Payload: vp8PicturePayload(1234, true, true, 1100)}).Marshal()
	var pkt rtp.Packet
	_ = pkt.Unmarshal(raw)
	return pkt, raw
}

func TestForwardingAllocatesNothing(t *testing.T) {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		r, pkt, raw := forwardSetup(kind, 10)
		seq := uint16(0)
		warmForward(r.layer(0), &pkt, raw, &seq)
		before := statstable.Snapshot[Stats](r.stats)
		allocs := testing.AllocsPerRun(1000, func() {
			seq++
			pkt.SequenceNumber = seq
			raw[2], raw[3] = byte(seq>>8), byte(seq)
			r.layer(0).handlePacket(&pkt, raw)
		})
		if allocs != 0 {
			t.Fatalf("forwarding one %s packet to 10 down tracks allocates %.1f times", kind, allocs)
		}
		// The packets were counted, in and out, by those allocation-free
		// runs (AllocsPerRun's 1000 and its warm-up).
		after := statstable.Snapshot[Stats](r.stats)
		if in, out := after.PacketsIn-before.PacketsIn, after.PacketsOut-before.PacketsOut; in != 1001 || out != 10*in {
			t.Fatalf("counted %d packets in and %d out, want 1001 and 10 times that", in, out)
		}
	}
}

// forwardSetup is a receiver of kind with n down tracks, and a packet for
// it: VP8, or Opus whose audio level (-30 dBov) the room's speakers read.
func forwardSetup(kind webrtc.RTPCodecType, n int) (*Receiver, rtp.Packet, []byte) {
	r := newTestReceiver(kind, 1)
	for i := range n {
		bindTestDownTrack(r, uint32(i+1), &recordingWriter{})
	}
	if kind == webrtc.RTPCodecTypeVideo {
		pkt, raw := forwardPacket()
		return r, pkt, raw
	}
	r.levelExt = audioLevelPub
	h := rtp.Header{Version: 2, SequenceNumber: 1, Timestamp: 48000, SSRC: 0xdead, PayloadType: 111}
	_ = h.SetExtension(audioLevelPub, []byte{0x80 | 30})
	raw, _ := (&rtp.Packet{Header: h, Payload: make([]byte, 80)}).Marshal()
	var pkt rtp.Packet
	_ = pkt.Unmarshal(raw)
	return r, pkt, raw
}

// TestForwardingMetersAudioLevel: the read loop gives every packet's level
// to the receiver's meter, and forwards the extension as before.
func TestForwardingMetersAudioLevel(t *testing.T) {
	r, pkt, raw := forwardSetup(webrtc.RTPCodecTypeAudio, 1)
	for i := range 5 {
		pkt.SequenceNumber = uint16(i + 1)
		raw[2], raw[3] = byte(pkt.SequenceNumber>>8), byte(pkt.SequenceNumber)
		r.layer(0).handlePacket(&pkt, raw)
	}
	r.layer(0).handlePacket(&pkt, raw) // a duplicate: not counted twice
	if got, want := r.level.Take(), speakers.SampleOf(5, 30); got != want {
		t.Fatalf("meter took %+v, want %+v", got, want)
	}
}

// BenchmarkForward measures the SFU's own cost per packet in, from the
// shared cache to every DownTrack's writer (the network write excluded).
func BenchmarkForward(b *testing.B) {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		for _, n := range []int{1, 10, 100, 1000} {
			name := fmt.Sprintf("downtracks=%d", n)
			if kind == webrtc.RTPCodecTypeAudio {
				name = "audio/" + name // with the audio level metered
			}
			b.Run(name, func(b *testing.B) {
				r, pkt, raw := forwardSetup(kind, n)
				seq := uint16(0)
				warmForward(r.layer(0), &pkt, raw, &seq)
				b.ReportAllocs()
				b.SetBytes(int64(len(raw)) * int64(n))
				for b.Loop() {
					seq++
					pkt.SequenceNumber = seq
					raw[2], raw[3] = byte(seq>>8), byte(seq)
					r.layer(0).handlePacket(&pkt, raw)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
			})
		}
	}
}

// TestSimulcastSwitchesKeepTheStreamContinuous feeds three interleaved
// layers (each its own SSRC, sequence and timestamp base) and switches the
// subscriber between them many times: it must see one SSRC whose sequence
// numbers rise by exactly one and whose timestamps never go back.
func TestSimulcastSwitchesKeepTheStreamContinuous(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 3)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 4242, w)
	steady := &recordingWriter{keep: true} // stays on the top layer
	bindTestDownTrack(r, 4343, steady).setTarget(2, maxTemporal-1)
	seqBase := [3]uint16{100, 30000, 65000} // the top layer wraps
	tsBase := [3]uint32{1000, 4_000_000_000, 123456}
	picBase := [3]int{5, 20000, 32760} // 15-bit PictureIDs; the top wraps
	targets := []int{0, 2, 1, 2, 0, 1, 0, 2, 2, 1}
	sent := 0
	for frame := range 200 {
		if frame%20 == 0 {
			d.setTarget(targets[frame/20], maxTemporal-1)
		}
		for layer := range 3 {
			packets := layer + 1 // higher layers have more packets per frame
			for k := range packets {
				seq := seqBase[layer]
				seqBase[layer]++
				feed(r, []inPacket{{
					layer:   layer,
					picture: (picBase[layer]+frame)%(1<<15) + 1,
					start:   k == 0,
					seq:     seq,
					ts:      tsBase[layer] + uint32(frame)*3000,
					key:     k == 0 && frame%10 == 0,
					marker:  k == packets-1,
				}})
				sent++
			}
		}
	}
	if len(w.headers) < 300 {
		t.Fatalf("only %d of %d packets forwarded", len(w.headers), sent)
	}
	gaps := 0
	for i, h := range w.headers {
		if h.SSRC != 4242 {
			t.Fatalf("packet %d: ssrc %d", i, h.SSRC)
		}
		if i == 0 {
			continue
		}
		prev := w.headers[i-1]
		if h.SequenceNumber != prev.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, h.SequenceNumber, prev.SequenceNumber)
		}
		if d := int32(h.Timestamp - prev.Timestamp); d < 0 {
			t.Fatalf("packet %d: timestamp went back by %d", i, -d)
		} else if d > 0 && d != 3000 {
			gaps++ // a switch: the gap comes from the wall clock
		}
		// One PictureID per frame, +1 from frame to frame (mod 2^15).
		pid, prevPID := pictureIDOf(w.payloads[i]), pictureIDOf(w.payloads[i-1])
		newFrame := h.Timestamp != prev.Timestamp
		if newFrame && pid != (prevPID+1)&0x7fff || !newFrame && pid != prevPID {
			t.Fatalf("packet %d: PictureID %d after %d (new frame: %v)", i, pid, prevPID, newFrame)
		}
	}
	if got := r.stats.LayerSwitches.Load(); got < 6 {
		t.Fatalf("%d layer switches counted, want at least 6", got)
	}
	// The payload is shared: the steady subscriber sees the publisher's
	// own PictureIDs, untouched by the other's munging.
	if len(steady.payloads) == 0 {
		t.Fatal("the steady subscriber got nothing")
	}
	for i, p := range steady.payloads {
		if i > 0 && steady.headers[i].Timestamp != steady.headers[i-1].Timestamp {
			if got, want := pictureIDOf(p), (pictureIDOf(steady.payloads[i-1])+1)&0x7fff; got != want {
				t.Fatalf("steady subscriber packet %d: PictureID %d, want %d", i, got, want)
			}
		}
	}
	if first := pictureIDOf(steady.payloads[0]); first < uint16(picBase[2]) && first > 100 {
		t.Fatalf("steady subscriber's PictureIDs were rewritten: first %d", first)
	}
	t.Logf("%d packets forwarded, %d switches, %d timestamp gaps not one frame", len(w.headers), r.stats.LayerSwitches.Load(), gaps)
}

// vp8TemporalPayload is a VP8 packet with a 15-bit PictureID and a temporal
// layer index (X, I, T bits; RFC 7741 §4.2).
func vp8TemporalPayload(pictureID uint16, tid uint8, start, key bool, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x80 // X
	if start {
		p[0] |= 0x10 // S
	}
	p[1] = 0x80 | 0x20 // I, T
	p[2], p[3] = 0x80|byte(pictureID>>8&0x7f), byte(pictureID)
	p[4] = tid << 6
	if start {
		frameTag(p[5:], key)
	} else {
		p[5] = 0x01
	}
	return p
}

// TestTemporalLayersAreDroppedCleanly: a subscriber limited to TL0 gets only
// TL0 frames, with sequence numbers and PictureIDs closing over what was
// dropped; raised to TL2, it gets every frame again from the next TL0.
func TestTemporalLayersAreDroppedCleanly(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 77, w)
	d.setTarget(0, 0)
	pattern := []uint8{0, 2, 1, 2} // the usual three-layer VP8 pattern
	var pkt rtp.Packet
	seq := uint16(1000)
	send := func(frame int) {
		tid := pattern[frame%4]
		for k := range 2 { // two packets a frame
			h := rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(frame) * 3000, SSRC: 1, PayloadType: 96, Marker: k == 1}
			seq++
			payload := vp8TemporalPayload(uint16(frame), tid, k == 0, frame == 0 && k == 0, 120)
			raw, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
			_ = pkt.Unmarshal(raw)
			r.layer(0).handlePacket(&pkt, raw)
		}
	}
	for frame := range 16 {
		send(frame)
	}
	if got := len(w.headers); got != 8 { // 4 TL0 frames of 2 packets
		t.Fatalf("limited to TL0: %d packets forwarded, want 8", got)
	}
	if m := r.layer(0).maxTID.Load(); m != 2 {
		t.Fatalf("highest TID seen %d, want 2", m)
	}
	d.setTarget(0, 2)
	send(16) // TL0: the raise takes effect here
	send(17)
	send(18)
	if got := len(w.headers); got != 14 {
		t.Fatalf("raised to TL2: %d packets forwarded in all, want 14", got)
	}
	for i := 1; i < len(w.headers); i++ {
		h, prev := w.headers[i], w.headers[i-1]
		if h.SequenceNumber != prev.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, h.SequenceNumber, prev.SequenceNumber)
		}
		pid, prevPID := pictureIDOf(w.payloads[i]), pictureIDOf(w.payloads[i-1])
		if h.Timestamp != prev.Timestamp && pid != prevPID+1 {
			t.Fatalf("packet %d: PictureID %d after %d", i, pid, prevPID)
		}
	}
}
