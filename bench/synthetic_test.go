package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// capture is a TrackLocalContext whose write stream keeps what a source
// sends, so sources can be tested without a PeerConnection.
type capture struct {
	codec webrtc.RTPCodecParameters
	mu    sync.Mutex
	pkts  []rtp.Packet
}

func (c *capture) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{c.codec}
}
func (c *capture) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c *capture) SSRC() webrtc.SSRC                                      { return 1234 }
func (c *capture) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c *capture) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c *capture) WriteStream() webrtc.TrackLocalWriter                   { return c }
func (c *capture) ID() string                                             { return "capture" }
func (c *capture) RTCPReader() interceptor.RTCPReader                     { return nil }

func (c *capture) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pkts = append(c.pkts, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

func (c *capture) Write(b []byte) (int, error) {
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	return c.WriteRTP(&p.Header, p.Payload)
}

func (c *capture) packets() []rtp.Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rtp.Packet(nil), c.pkts...)
}

// runFor binds src to a capture, runs it for d and returns what it sent.
func runFor(t *testing.T, src Source, codec webrtc.RTPCodecCapability, pt webrtc.PayloadType, d time.Duration,
	during func()) []rtp.Packet {
	t.Helper()
	c := &capture{codec: webrtc.RTPCodecParameters{RTPCodecCapability: codec, PayloadType: pt}}
	if _, err := src.Track().Bind(c); err != nil {
		t.Fatalf("bind: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	if during != nil {
		during()
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c.packets()
}

func TestSyntheticAudio(t *testing.T) {
	a, err := NewSyntheticAudio(WithBitrate(64_000))
	if err != nil {
		t.Fatal(err)
	}
	pkts := runFor(t, a, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		111, 210*time.Millisecond, nil)
	// 50 packets/s: 11 in 210 ms (one at once, then every 20 ms); allow
	// a slow scheduler one less.
	if len(pkts) < 10 || len(pkts) > 11 {
		t.Fatalf("%d packets in 210 ms, want 10 to 11", len(pkts))
	}
	for i, p := range pkts {
		if p.PayloadType != 111 || p.SSRC != 1234 || len(p.Payload) != 160 || p.Marker != (i == 0) {
			t.Fatalf("packet %d: pt %d ssrc %d size %d marker %v", i, p.PayloadType, p.SSRC, len(p.Payload), p.Marker)
		}
		if i > 0 {
			if p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
				t.Fatalf("packet %d: RTP sequence %d after %d", i, p.SequenceNumber, pkts[i-1].SequenceNumber)
			}
			if step := p.Timestamp - pkts[i-1].Timestamp; step < 900 || step > 1100 {
				t.Fatalf("packet %d: timestamp step %d, want about 960", i, step)
			}
		}
		layout, _, err := splitCodecHeader(webrtc.MimeTypeOpus, p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := ParsePayload(layout)
		if err != nil || pl.Seq != uint64(i) {
			t.Fatalf("packet %d: payload %+v, %v", i, pl, err)
		}
	}
	if s := a.Stats(); s.Packets != uint64(len(pkts)) || s.Bytes != uint64(160*len(pkts)) {
		t.Fatalf("stats %+v for %d packets", s, len(pkts))
	}
}

func TestSyntheticVideo(t *testing.T) {
	v, err := NewSyntheticVideo(WithBitrate(960_000), WithFrameRate(20), WithKeyframeInterval(0), WithResolution(320, 240))
	if err != nil {
		t.Fatal(err)
	}
	// Ask for a keyframe mid-run, as the server does with a PLI.
	pkts := runFor(t, v, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 96,
		500*time.Millisecond, func() {
			time.Sleep(220 * time.Millisecond)
			v.HandleRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 1234}})
		})

	type frame struct {
		key   bool
		bytes int
		ts    uint32
	}
	var frames []frame
	for i, p := range pkts {
		layout, hdr, err := splitCodecHeader(webrtc.MimeTypeVP8, p.Payload)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if pl, err := ParsePayload(layout); err != nil || pl.Seq != uint64(i) {
			t.Fatalf("packet %d: payload %+v, %v", i, pl, err)
		}
		if hdr.frameStart != (i == 0 || pkts[i-1].Marker) {
			t.Fatalf("packet %d: S bit %v, but previous marker %v", i, hdr.frameStart, pkts[i-1].Marker)
		}
		if hdr.frameStart {
			if hdr.keyframe && (hdr.width != 320 || hdr.height != 240) {
				t.Fatalf("keyframe %dx%d", hdr.width, hdr.height)
			}
			frames = append(frames, frame{key: hdr.keyframe, ts: p.Timestamp})
		} else if p.Timestamp != frames[len(frames)-1].ts {
			t.Fatalf("packet %d: timestamp changed inside a frame", i)
		}
		frames[len(frames)-1].bytes += len(p.Payload)
		if len(p.Payload) > maxVideoPayload {
			t.Fatalf("packet %d: %d bytes", i, len(p.Payload))
		}
	}
	if !pkts[len(pkts)-1].Marker {
		t.Fatal("last packet without marker")
	}
	// 20 fps for 500 ms: 10 or 11 frames; keyframes at the start and right
	// after the PLI only.
	if len(frames) < 9 || len(frames) > 11 {
		t.Fatalf("%d frames in 500 ms at 20 fps", len(frames))
	}
	keys := 0
	for i, f := range frames {
		want := 6000 // 960 kbit/s / 8 / 20
		if f.key {
			keys++
			want *= keyframeCost
		}
		if f.bytes != want {
			t.Fatalf("frame %d (key %v): %d bytes, want %d", i, f.key, f.bytes, want)
		}
	}
	if !frames[0].key || keys != 2 {
		t.Fatalf("keyframes: first %v, %d in all; want the first and one after the PLI", frames[0].key, keys)
	}
	if s := v.Stats(); s.Keyframes != 2 || s.PLIs != 1 || s.Frames != uint64(len(frames)) {
		t.Fatalf("stats %+v", s)
	}
}
