package report

import (
	"github.com/switchboard-rtc/switchboard/bench/load"
)

// Server is what the server's metrics said about the run.
type Server struct {
	// The steady window: from the first sample at which every participant
	// was connected (or as many as ever were), one sample later to let the
	// keyframe requests of the last joins settle, to the last sample.
	WindowSeconds     float64 `json:"windowSeconds"`
	CPUSeconds        float64 `json:"cpuSeconds"` // in the window
	CPUPercent        float64 `json:"cpuPercent"` // of one core, in the window
	PacketsOut        float64 `json:"packetsOut"` // forwarded in the window, retransmissions included
	PacketsOutPerSec  float64 `json:"packetsOutPerSecond"`
	PacketsInPerSec   float64 `json:"packetsInPerSecond"`
	MicrosPerPacket   float64 `json:"cpuMicrosPerForwardedPacket"`
	FloorRatio        float64 `json:"floorRatio,omitempty"` // MicrosPerPacket / floor
	RSSBytes          float64 `json:"rssBytes"`             // at the end, everyone in
	HeapBytes         float64 `json:"heapBytes"`            // live after the last GC (in use if unknown)
	IdleRSSBytes      float64 `json:"idleRssBytes"`         // before the first join
	IdleHeapBytes     float64 `json:"idleHeapBytes"`
	HeapPerTrackBytes float64 `json:"heapPerSubscribedTrackBytes"`
	RSSPerTrackBytes  float64 `json:"rssPerSubscribedTrackBytes"`
	NACKsReceived     float64 `json:"nacksReceived"` // over the run
	Retransmitted     float64 `json:"packetsRetransmitted"`
	PLIsReceived      float64 `json:"plisReceived"`
}

// summarizeServer is nil when the run had no metrics.
func summarizeServer(res *load.Result, tracks int, floor float64) *Server {
	first, last := steadyWindow(res.Samples)
	if first < 0 {
		return nil
	}
	a, b := res.Samples[first].Server, res.Samples[last].Server
	s := &Server{}
	if end := res.ServerEnd; end != nil {
		s.RSSBytes, s.HeapBytes = end.RSSBytes, heapOf(end)
		if idle := res.ServerIdle; idle != nil {
			s.IdleRSSBytes, s.IdleHeapBytes = idle.RSSBytes, heapOf(idle)
			s.NACKsReceived = end.NACKsReceived - idle.NACKsReceived
			s.Retransmitted = end.Retransmitted - idle.Retransmitted
			s.PLIsReceived = end.PLIsReceived - idle.PLIsReceived
			if tracks > 0 {
				s.HeapPerTrackBytes = (s.HeapBytes - s.IdleHeapBytes) / float64(tracks)
				s.RSSPerTrackBytes = (s.RSSBytes - s.IdleRSSBytes) / float64(tracks)
			}
		}
	}
	if last == first {
		return s
	}
	s.WindowSeconds = (b.At - a.At).Seconds()
	s.CPUSeconds = b.CPUSeconds - a.CPUSeconds
	s.PacketsOut = (b.PacketsOut + b.Retransmitted) - (a.PacketsOut + a.Retransmitted)
	if s.WindowSeconds > 0 {
		s.CPUPercent = 100 * s.CPUSeconds / s.WindowSeconds
		s.PacketsOutPerSec = s.PacketsOut / s.WindowSeconds
		s.PacketsInPerSec = (b.PacketsIn - a.PacketsIn) / s.WindowSeconds
	}
	if s.PacketsOut > 0 {
		s.MicrosPerPacket = 1e6 * s.CPUSeconds / s.PacketsOut
		if floor > 0 {
			s.FloorRatio = s.MicrosPerPacket / floor
		}
	}
	return s
}

// heapOf is the live heap after the last GC where the server tells it,
// else the heap in use, garbage included.
func heapOf(s *load.ServerSnapshot) float64 {
	if s.HeapLiveBytes > 0 {
		return s.HeapLiveBytes
	}
	return s.HeapInuseBytes
}

// steadyWindow returns the indexes of the first and last samples of the
// steady window, both with server metrics; -1 when no sample has them.
func steadyWindow(samples []load.Sample) (first, last int) {
	first, last = -1, -1
	most := 0
	for _, s := range samples {
		most = max(most, s.Connected)
	}
	for i, s := range samples {
		if s.Server == nil {
			continue
		}
		last = i
		if first < 0 && most > 0 && s.Connected == most {
			first = i
		}
	}
	if last < 0 {
		return -1, -1
	}
	if first < 0 {
		first = last
	}
	// One sample later, if that leaves a window at all.
	for i := first + 1; i < last; i++ {
		if samples[i].Server != nil {
			first = i
			break
		}
	}
	return first, last
}
