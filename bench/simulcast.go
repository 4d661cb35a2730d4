package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// Layered is a Source sent as simulcast (RFC 8853): Track is its lowest
// layer, Layers every layer's track, lowest first, each with its rid.
type Layered interface {
	Source
	Layers() []webrtc.TrackLocal
	// HandleLayerRTCP receives the server's RTCP about one layer.
	HandleLayerRTCP(rid string, pkts []rtcp.Packet)
	// SetActiveLayers sends only the named layers (dynacast).
	SetActiveLayers(rids []string)
}

// Simulcast rids and how each layer relates to the top one: the usual
// browser ladder (quarter, half and full resolution; about a tenth, a third
// and all of the top bitrate).
var simulcastLadder = [...]struct {
	rid            string
	scale, divisor int
}{{"q", 4, 10}, {"h", 2, 3}, {"f", 1, 1}}

// SyntheticSimulcast is a synthetic camera sent as three layers (rids q, h,
// f), each a SyntheticVideo of its own size and bitrate. A keyframe request
// for a layer's SSRC makes that layer send a keyframe.
type SyntheticSimulcast struct {
	layers [len(simulcastLadder)]*SyntheticVideo
}

// NewSyntheticSimulcast makes the three layers; WithBitrate and
// WithResolution describe the top layer (default 1.5 Mbit/s, 1280x720).
func NewSyntheticSimulcast(opts ...SyntheticOption) (*SyntheticSimulcast, error) {
	cfg, err := newSyntheticConfig(syntheticConfig{
		bitrate: 1_500_000, fps: 30, keyframeInterval: 0, width: 1280, height: 720,
		source: protocol.SourceCamera, trackID: "video", streamID: "switchboard-bench",
	}, opts)
	if err != nil {
		return nil, err
	}
	s := &SyntheticSimulcast{}
	for i, step := range simulcastLadder {
		c := cfg
		c.bitrate = cfg.bitrate / step.divisor
		c.width, c.height = max(cfg.width/step.scale, 1), max(cfg.height/step.scale, 1)
		c.rid = step.rid
		v, err := newSyntheticVideo(c)
		if err != nil {
			return nil, fmt.Errorf("bench: simulcast layer %s: %w", step.rid, err)
		}
		s.layers[i] = v
	}
	return s, nil
}

// Track is the lowest layer, the one a transceiver is created with.
func (s *SyntheticSimulcast) Track() webrtc.TrackLocal { return s.layers[0].Track() }

// Layers lists every layer's track, lowest first.
func (s *SyntheticSimulcast) Layers() []webrtc.TrackLocal {
	out := make([]webrtc.TrackLocal, len(s.layers))
	for i, l := range s.layers {
		out[i] = l.Track()
	}
	return out
}

// Source is the protocol source name.
func (s *SyntheticSimulcast) Source() string { return s.layers[0].Source() }

// Run sends every layer until ctx ends.
func (s *SyntheticSimulcast) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.layers))
	for i, l := range s.layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Run(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// HandleRTCP is RTCP that names no layer: it goes to the lowest.
func (s *SyntheticSimulcast) HandleRTCP(pkts []rtcp.Packet) { s.layers[0].HandleRTCP(pkts) }

// HandleLayerRTCP hands RTCP about one layer to it.
func (s *SyntheticSimulcast) HandleLayerRTCP(rid string, pkts []rtcp.Packet) {
	for i, step := range simulcastLadder {
		if step.rid == rid {
			s.layers[i].HandleRTCP(pkts)
		}
	}
}

// LayerStats returns each layer's counters, lowest first.
func (s *SyntheticSimulcast) LayerStats() []SourceStats {
	out := make([]SourceStats, len(s.layers))
	for i, l := range s.layers {
		out[i] = l.Stats()
	}
	return out
}

// SetActiveLayers sends only the named layers (dynacast: the server says
// which ones anyone needs); the others pause until named again.
func (s *SyntheticSimulcast) SetActiveLayers(rids []string) {
	for i, step := range simulcastLadder {
		s.layers[i].SetPaused(!slices.Contains(rids, step.rid))
	}
}

// tagLayers gives every layer the negotiated mid and rid header-extension
// ids: a simulcast receiver tells the layers apart by them (Pion's sender
// does not add them itself). Called before Run.
func (s *SyntheticSimulcast) tagLayers(midID, ridID uint8, mid string) {
	for _, l := range s.layers {
		l.midID, l.ridID, l.mid = midID, ridID, mid
	}
}
