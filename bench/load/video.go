package load

import (
	"github.com/switchboard-rtc/switchboard/bench"
)

// newVideo returns the camera a publisher of sc sends, and what the run
// reads of it: the same, or for simulcast its layers counted as one (the
// client must be given the simulcast source itself, which it tags).
func newVideo(sc Scenario) (bench.Source, source, error) {
	if !sc.Simulcast {
		v, err := bench.NewSyntheticVideo(bench.WithBitrate(sc.Bitrate), bench.WithResolution(1280, 720))
		return v, v, err
	}
	// The bitrate is the three layers' together; bench's ladder gives the
	// lower two a tenth and a third of the top one's.
	top := sc.Bitrate * 30 / 43
	s, err := bench.NewSyntheticSimulcast(bench.WithBitrate(top), bench.WithResolution(1280, 720))
	if err != nil {
		return nil, nil, err
	}
	return s, simulcastSource{s}, nil
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
