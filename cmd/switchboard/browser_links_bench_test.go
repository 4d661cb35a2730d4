package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-rtc/switchboard/bench/report"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// linkPhase is a stretch of a benchmark's link: its rate and random loss.
type linkPhase struct {
	name string
	kbps int
	loss float64 // percent of the UDP received, dropped at random
	dur  time.Duration
}

// linkShapes are issue 10's links, each a schedule of phases.
var linkShapes = map[string][]linkPhase{
	"300k":     {{"300 kbit/s", 300, 0, 40 * time.Second}},
	"600k":     {{"600 kbit/s", 600, 0, 40 * time.Second}},
	"1500k":    {{"1.5 Mbit/s", 1500, 0, 40 * time.Second}},
	"2m-loss5": {{"2 Mbit/s, 5 % loss", 2000, 5, 40 * time.Second}},
	"step":     {{"2 Mbit/s", 2000, 0, 20 * time.Second}, {"300 kbit/s", 300, 0, 20 * time.Second}, {"2 Mbit/s again", 2000, 0, 25 * time.Second}},
}

// linkOrder is the order of the shapes in the report.
var linkOrder = []string{"300k", "600k", "1500k", "2m-loss5", "step"}

// TestBenchLinks is `make bench-links`: for the shape named by
// SWITCHBOARD_BENCH_LINKS, a meeting of two Chromium publishers (the fake
// 720p camera in simulcast) and one Chromium subscriber whose downlink is
// shaped with tc in its own namespace, sampled every 250 ms: the server's
// records (/debug/bwe) and the page's decoded frames. It writes
// <shape>.json and <shape>.svg to SWITCHBOARD_BENCH_OUT (default
// bench-out/links) and fails when a target of issue 10 is missed.
func TestBenchLinks(t *testing.T) {
	shape := os.Getenv("SWITCHBOARD_BENCH_LINKS")
	if shape == "" {
		t.Skip("SWITCHBOARD_BENCH_LINKS not set (make bench-links)")
	}
	phases, ok := linkShapes[shape]
	if !ok {
		t.Fatalf("unknown shape %q", shape)
	}
	out := os.Getenv("SWITCHBOARD_BENCH_OUT")
	if out == "" {
		out = filepath.Join("..", "..", "bench-out", "links")
	}
	chromium := requireBrowser(t)
	requireTools(t, "tc", "nsenter", "unshare", "ip")
	var total time.Duration
	for _, p := range phases {
		total += p.dur
	}
	deadline := time.Now().Add(total + 150*time.Second)
	before := loadAverage()
	link := newVethLink(t, 61)
	shapeLink(t, link, phases[0])
	debug := freeLoopbackAddr(t)
	local, remote, narrowBrowser := startLinkServer(t, link, chromium, "--pprof-listen", debug)
	// The publishers' fake camera at 30 fps, the (Chromium's
	// default is 20): a resolution entered at half rate is then 15 fps.
	browser := newBrowser(t, chromium, chromedp.Flag("use-fake-device-for-media-stream", "fps=30"))
	room := roomName(t)
	pubs := []*tab{openTab(t, browser, "publisher 1", deadline), openTab(t, browser, "publisher 2", deadline)}
	sub := openTab(t, narrowBrowser, "subscriber", deadline)
	// The subscriber first: its tiles want the top layers, so dynacast
	// keeps every layer of the publishers on from their start.
	joinMeeting(t, sub, remote, room, "Subscriber", chromedp.EmulateViewport(1920, 1080))
	quiet(t, sub)
	var ids []string
	for i, p := range pubs {
		ids = append(ids, joinPublisher(t, p, local, room, fmt.Sprintf("Publisher %d", i+1)))
	}
	for _, p := range pubs {
		waitSimulcast(t, p)
	}
	for _, id := range ids {
		waitVideo(t, sub, id, "camera", "video through the link", 30*time.Second, func(v videoIn) bool { return v.FrameWidth > 0 })
	}
	if _, err := eval[bool](sub, frameSamplerJS); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	encoded := publishersEncoded(t, pubs)
	var bounds []time.Duration
	at := time.Duration(0)
	for i, p := range phases {
		if i > 0 {
			shapeLink(t, link, p)
		}
		at += p.dur
		bounds = append(bounds, at)
		time.Sleep(time.Until(start.Add(at))) // the schedule itself, not a wait for a condition
	}
	frames, err := eval[[]pageFrame](sub, `window.frameSamples`)
	if err != nil {
		t.Fatal(err)
	}
	traces := fetchTraces(t, debug)
	run := buildLinkRun(shape, phases, start, bounds, videoMids(frames), frames, traces)
	// The publishers' own frame rate bounds every video's: a target of
	// 15 fps at half the frame rate needs a 30 fps camera.
	var rates []string
	for i, n := range publishersEncoded(t, pubs) {
		rates = append(rates, fmt.Sprintf("%.1f", float64(n-encoded[i])/time.Since(start).Seconds()))
	}
	run.Machine = fmt.Sprintf("load average %s before, %s after; %d cores; the publishers encoded %s fps", before, loadAverage(), runtime.NumCPU(), strings.Join(rates, " and "))
	t.Log(run.Machine)
	writeLinkRun(t, out, run)
	writeJSON(t, filepath.Join(out, shape+"-trace.json"), traces)
	for _, c := range run.Checks {
		t.Logf("%s: %s (%s)", map[bool]string{true: "met", false: "MISSED"}[c.OK], c.Target, c.Got)
		if !c.OK {
			t.Errorf("target missed: %s: %s", c.Target, c.Got)
		}
	}
}

// publishersEncoded is each publisher's frames encoded so far, at its
// full layer.
func publishersEncoded(t *testing.T, pubs []*tab) []int64 {
	t.Helper()
	var n []int64
	for _, p := range pubs {
		n = append(n, outbound(t, p, "camera")["f"].FramesEncoded)
	}
	return n
}

// shapeLink sets the link's downlink: a token bucket at the phase's rate
// on the outer veth's egress, and its random loss as an nftables rule in
// the subscriber's namespace dropping that share of the UDP it receives
// (this machine's kernel has no netem; numgen random is as random).
func shapeLink(t *testing.T, l *udpBlockedLink, p linkPhase) {
	t.Helper()
	// A burst of 1/50 s of the rate, at least 16 kbit, and a 100 ms queue.
	burst := strconv.Itoa(max(16, p.kbps/50)) + "kbit"
	runCmd(t, "tc", "qdisc", "replace", "dev", l.outer, "root", "tbf", "rate", strconv.Itoa(p.kbps)+"kbit", "burst", burst, "latency", "100ms")
	_ = exec.Command("nsenter", "--net="+l.netns(), "nft", "delete", "table", "inet", "switchboard_loss").Run()
	if p.loss > 0 {
		rules := fmt.Sprintf("table inet switchboard_loss {\n chain in {\n  type filter hook input priority 0; policy accept;\n  meta l4proto udp numgen random mod 1000 < %d counter drop\n }\n}\n", int(p.loss*10))
		cmd := exec.Command("nsenter", "--net="+l.netns(), "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(rules)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft: %v: %s", err, out)
		}
	}
	t.Logf("link %s: %s", l.outer, p.name)
}

// pageFrame is one sample of the subscriber page's sampler.
type pageFrame struct {
	At      float64 `json:"at"` // Date.now(), ms
	Mid     string  `json:"mid"`
	Frames  int64   `json:"frames"`
	Height  int     `json:"height"`
	Freezes int64   `json:"freezes"`
}

// frameSamplerJS records every 100 ms, for each received video, its
// framesDecoded and frame height in window.frameSamples: fine enough to
// see a gap of a second between frames.
const frameSamplerJS = `(() => {
  const room = window.switchboardRoom;
  window.frameSamples = [];
  const tick = async () => {
    (await room.pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      window.frameSamples.push({at: Date.now(), mid: s.mid, frames: s.framesDecoded || 0, height: s.frameHeight || 0, freezes: s.freezeCount || 0});
    });
    if (!room.closed) setTimeout(tick, 100);
  };
  tick();
  return true;
})()`

// fetchTraces reads the server's bandwidth records.
func fetchTraces(t *testing.T, debug string) []sfu.BWETrace {
	t.Helper()
	resp, err := http.Get("http://" + debug + "/debug/bwe")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var traces []sfu.BWETrace
	if err := json.NewDecoder(resp.Body).Decode(&traces); err != nil {
		t.Fatalf("/debug/bwe: %v", err)
	}
	return traces
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func writeLinkRun(t *testing.T, dir string, run *report.LinkRun) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(dir, run.Shape+".json"), run)
	f, err := os.Create(filepath.Join(dir, run.Shape+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := report.WriteLinkSVG(f, run); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s.json and %s.svg in %s", run.Shape, run.Shape, dir)
	writeLinksHTML(t, dir)
}

// writeJSON writes v as indented JSON to path.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	j, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, j, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeLinksHTML gathers every shape's JSON in dir into links.html, in
// the order of linkOrder.
func writeLinksHTML(t *testing.T, dir string) {
	t.Helper()
	var runs []*report.LinkRun
	for _, shape := range linkOrder {
		b, err := os.ReadFile(filepath.Join(dir, shape+".json"))
		if err != nil {
			continue
		}
		var r report.LinkRun
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s.json: %v", shape, err)
		}
		runs = append(runs, &r)
	}
	f, err := os.Create(filepath.Join(dir, "links.html"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := report.WriteLinksHTML(f, runs); err != nil {
		t.Fatal(err)
	}
}

// subscriberTrace is the subscriber's records among the server's.
func subscriberTrace(traces []sfu.BWETrace) []sfu.BWERecord {
	for _, tr := range traces {
		if tr.Name == "Subscriber" {
			return tr.Records
		}
	}
	return nil
}

// videoMids lists the mids of the videos the page sampled, sorted.
func videoMids(frames []pageFrame) []string {
	var mids []string
	for _, f := range frames {
		if !slices.Contains(mids, f.Mid) {
			mids = append(mids, f.Mid)
		}
	}
	slices.Sort(mids)
	return mids
}
