package load

import (
	"fmt"

	"github.com/switchboard-rtc/switchboard/bench"
)

// videoSource is a synthetic camera: one stream, or three simulcast layers.
type videoSource interface {
	bench.Source
	source
}

// newVideo returns the camera a publisher of sc sends.
func newVideo(sc Scenario) (videoSource, error) {
	opts := []bench.SyntheticOption{bench.WithBitrate(sc.Bitrate), bench.WithResolution(1280, 720)}
	if sc.Simulcast {
		return nil, fmt.Errorf("%w: simulcast", ErrBadScenario)
	}
	return bench.NewSyntheticVideo(opts...)
}
