package load

import (
	"github.com/switchboard-rtc/switchboard/bench"
)

// videoSource is a synthetic camera: one stream, or three simulcast layers.
type videoSource interface {
	bench.Source
	source
}

// newVideo returns the camera a publisher of sc sends.
func newVideo(sc Scenario) (videoSource, error) {
	if !sc.Simulcast {
		return bench.NewSyntheticVideo(bench.WithBitrate(sc.Bitrate), bench.WithResolution(1280, 720))
	}
	// The bitrate is the three layers' together; bench's ladder gives the
	// lower two a tenth and a third of the top one's.
	top := sc.Bitrate * 30 / 43
	s, err := bench.NewSyntheticSimulcast(bench.WithBitrate(top), bench.WithResolution(1280, 720))
	if err != nil {
		return nil, err
	}
	return simulcastSource{s}, nil
}

// simulcastSource counts the three layers of a simulcast camera as one.
type simulcastSource struct{ *bench.SyntheticSimulcast }

// Stats adds up the layers' counters.
func (s simulcastSource) Stats() bench.SourceStats {
	var sum bench.SourceStats
	for _, l := range s.LayerStats() {
		sum.Packets += l.Packets
		sum.Bytes += l.Bytes
		sum.Frames += l.Frames
		sum.Keyframes += l.Keyframes
		sum.PLIs += l.PLIs
		sum.FIRs += l.FIRs
		sum.NACKed += l.NACKed
		sum.WriteErrors += l.WriteErrors
		if l.LastKeyframe.After(sum.LastKeyframe) {
			sum.LastKeyframe = l.LastKeyframe
		}
	}
	return sum
}
