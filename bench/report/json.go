package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// SchemaVersion is the version of the JSON document's shape.
const SchemaVersion = 1

// msOf is a duration in milliseconds, for JSON.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MarshalJSON writes a distribution in milliseconds.
func (d Dist) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N     int     `json:"n"`
		P50ms float64 `json:"p50Ms"`
		P95ms float64 `json:"p95Ms"`
		P99ms float64 `json:"p99Ms"`
		MaxMs float64 `json:"maxMs"`
	}{d.N, msOf(d.P50), msOf(d.P95), msOf(d.P99), msOf(d.Max)})
}

type jsonScenario struct {
	URL             string   `json:"url"`
	URLs            []string `json:"urls,omitempty"` // a cluster's nodes
	PinPublishers   bool     `json:"pinPublishers,omitempty"`
	Rooms           int      `json:"rooms"`
	Publishers      int      `json:"publishers"`
	Subscribers     int      `json:"subscribers"`
	DurationSeconds float64  `json:"durationSeconds"`
	JoinRate        float64  `json:"joinRate"`
	Bitrate         int      `json:"bitrate"`
	Simulcast       bool     `json:"simulcast"`
	ICEIPs          []string `json:"iceIps,omitempty"`
}

type jsonSample struct {
	T                float64              `json:"t"`
	Connected        int                  `json:"connected"`
	Expected         int                  `json:"expected"`
	Tracks           int                  `json:"tracks"`
	MbpsOut          float64              `json:"mbpsOut"`
	MbpsIn           float64              `json:"mbpsIn"`
	LossPercent      float64              `json:"lossPercent"`
	LatencyP50Ms     float64              `json:"latencyP50Ms"`
	LatencyP99Ms     float64              `json:"latencyP99Ms"`
	ServerCPUPercent float64              `json:"serverCpuPercent"`
	ClientCPUPercent float64              `json:"clientCpuPercent"`
	Server           *load.ServerSnapshot `json:"server,omitempty"`
	// A cluster's nodes, in the order of scenario.urls: server is their sum.
	Nodes          []*load.ServerSnapshot `json:"nodes,omitempty"`
	NodeCPUPercent []float64              `json:"nodeCpuPercent,omitempty"`
}

type jsonParticipant struct {
	Name          string              `json:"name"`
	Room          string              `json:"room"`
	Role          load.Role           `json:"role"`
	Node          *int                `json:"node,omitempty"` // index in scenario.urls, for a cluster
	ID            string              `json:"id,omitempty"`
	JoinedMs      float64             `json:"joinedMs"`
	ConnectedMs   float64             `json:"connectedMs"`
	FirstFrameMs  float64             `json:"firstFrameMs"`
	Error         string              `json:"error,omitempty"`
	NACKsSent     uint64              `json:"nacksSent"`
	NACKedPackets uint64              `json:"nackedPackets"`
	PLIsSent      uint64              `json:"plisSent"`
	Sent          []load.SourceResult `json:"sent,omitempty"`
	Received      []jsonTrack         `json:"received"`
}

type jsonTrack struct {
	load.TrackResult
	ActiveSeconds float64 `json:"activeSeconds"`
}

type jsonReport struct {
	Version        int               `json:"version"`
	Scenario       jsonScenario      `json:"scenario"`
	Start          time.Time         `json:"start"`
	ElapsedSeconds float64           `json:"elapsedSeconds"`
	Summary        Summary           `json:"summary"`
	Samples        []jsonSample      `json:"samples"`
	Participants   []jsonParticipant `json:"participants"`
}

// WriteJSON writes the whole run, summary, samples and participants, as one
// JSON document; durations are in milliseconds or seconds as named.
func WriteJSON(w io.Writer, res *load.Result, s Summary) error {
	sc := res.Scenario
	doc := jsonReport{
		Version: SchemaVersion,
		Scenario: jsonScenario{
			URL: sc.URL, URLs: sc.URLs, PinPublishers: sc.PinPublishers, Rooms: sc.Rooms, Publishers: sc.Publishers, Subscribers: sc.Subscribers,
			DurationSeconds: sc.Duration.Seconds(), JoinRate: sc.JoinRate, Bitrate: sc.Bitrate,
			Simulcast: sc.Simulcast, ICEIPs: sc.ICEIPs,
		},
		Start: res.Start, ElapsedSeconds: res.Elapsed.Seconds(), Summary: s,
		Samples: []jsonSample{}, Participants: []jsonParticipant{},
	}
	for _, x := range res.Samples {
		doc.Samples = append(doc.Samples, jsonSample{
			T: x.At.Seconds(), Connected: x.Connected, Expected: x.Expected, Tracks: x.Tracks,
			MbpsOut: x.MbpsOut, MbpsIn: x.MbpsIn, LossPercent: x.LossPercent,
			LatencyP50Ms: msOf(x.LatencyP50), LatencyP99Ms: msOf(x.LatencyP99),
			ServerCPUPercent: x.ServerCPUPercent, ClientCPUPercent: x.ClientCPUPercent, Server: x.Server,
			Nodes: x.Nodes, NodeCPUPercent: x.NodeCPUPercent,
		})
	}
	for _, p := range res.Participants {
		jp := jsonParticipant{
			Name: p.Name, Room: p.Room, Role: p.Role, ID: p.ID, JoinedMs: msOf(p.Joined),
			ConnectedMs: msOf(p.Connected), FirstFrameMs: msOf(p.FirstFrame), Error: p.Error,
			NACKsSent: p.NACKsSent, NACKedPackets: p.NACKedPackets, PLIsSent: p.PLIsSent + p.FIRsSent,
			Sent: p.Sent, Received: []jsonTrack{},
		}
		if len(sc.Nodes()) > 1 {
			jp.Node = &p.Node
		}
		for _, t := range p.Received {
			jp.Received = append(jp.Received, jsonTrack{TrackResult: t, ActiveSeconds: t.Active.Seconds()})
		}
		doc.Participants = append(doc.Participants, jp)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
