package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// joinMeeting opens room in tb under name, clicks Join and returns the
// participant id once the page is in the meeting. Actions such as a
// viewport emulation may come first.
func joinMeeting(t *testing.T, tb *tab, base, room, name string, before ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	return joinMeetingWith(t, tb, base, room, name, "", before...)
}

// joinMeetingWith is joinMeeting that runs the JavaScript setup in the page
// once it is open, before Join is clicked (and so before its
// RTCPeerConnection exists).
func joinMeetingWith(t *testing.T, tb *tab, base, room, name, setup string, before ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	tb.do("opening the room", append(before, chromedp.Navigate(base+"/room/"+room+"?name="+url.QueryEscape(name)))...)
	if setup != "" {
		if _, err := eval[bool](tb, setup); err != nil {
			t.Fatalf("tab %s: setting the page up: %v", tb.name, err)
		}
	}
	// Join waits for the camera: the preview first, so the camera is published.
	tb.waitFor("the camera preview", `(() => { const v = document.getElementById('preview'); return v.readyState >= 2 && v.videoWidth > 0; })()`, 15*time.Second)
	tb.do("clicking Join", chromedp.Click(chromedp.ID("join")))
	tb.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom && !!window.switchboardRoom.participantId`, 20*time.Second)
	return participantID(t, tb)
}

// Publisher uplink floor for the simulcast tests, in kbit/s: about twice
// what the three layers need together (q 150 + h 500 + f's minimum of
// 600 kbit/s at 1280x720).
const (
	uplinkMinKbps   = 2000
	uplinkStartKbps = 2500
)

// uplinkFloorJS makes the page's RTCPeerConnections hold their estimate of
// the uplink at uplinkMinKbps or more, starting at uplinkStartKbps: every
// remote description gets x-google-min-bitrate and x-google-start-bitrate
// on its VP8 payload types, which Chromium reads from the remote
// description for what it sends. The simulcast tests are about what the
// server does with the layers; on a loaded 2-core machine the publisher's
// own Chromium, short of CPU, otherwise holds its estimate at about
// 0.8 Mbit/s and never sends the top layer. Test code only: the product
// does not touch the SDP so.
//
// Its Opus payload types get the floor too (not the start, which would
// reset the estimate at each audio section added): Chromium hands the one
// transport's estimator the bitrate parameters of every section's send
// codec, audio's included, the last one set winning, so an audio section
// without them (a subscription added after the camera's) put the floor
// back at 0. Measured before this (2026-12-08, TestBrowserSimulcastNarrowLink
// alone, 3 runs): the estimate at 0.6-1.5 Mbit/s for 20 s in two, the top
// layer steady only after 23.4 and 30.4 s; 3.8 s in the third.
var uplinkFloorJS = fmt.Sprintf(`(() => {
  if (window.uplinkFloor) return true;
  const videoParams = 'x-google-min-bitrate=%d;x-google-start-bitrate=%d';
  const audioParams = 'x-google-min-bitrate=%d';
  const floor = (sdp) => sdp.split(/\r\n(?=m=)/).map((section) => {
    const video = section.startsWith('m=video');
    if (!video && !section.startsWith('m=audio')) return section;
    const params = video ? videoParams : audioParams;
    const codec = video ? /^a=rtpmap:(\d+) VP8\//i : /^a=rtpmap:(\d+) opus\//i;
    const lines = section.split('\r\n');
    const pts = new Set();
    for (const l of lines) {
      const m = codec.exec(l);
      if (m) pts.add(m[1]);
    }
    const done = new Set();
    const out = lines.map((l) => {
      const m = /^a=fmtp:(\d+) (.*)$/.exec(l);
      if (!m || !pts.has(m[1]) || /x-google-min-bitrate/.test(m[2])) return l;
      done.add(m[1]);
      return l + ';' + params;
    });
    for (const pt of pts) {
      if (done.has(pt)) continue;
      const at = out.findIndex((l) => l.startsWith('a=rtpmap:' + pt + ' '));
      out.splice(at + 1, 0, 'a=fmtp:' + pt + ' ' + params);
    }
    return out.join('\r\n');
  }).join('\r\n');
  const set = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description, ...rest) {
    if (description && description.sdp && description.type !== 'rollback') {
      description = {type: description.type, sdp: floor(description.sdp)};
    }
    return set.call(this, description, ...rest);
  };
  window.uplinkFloor = true;
  return true;
})()`, uplinkMinKbps, uplinkStartKbps, uplinkMinKbps)

// layersSentJS records in window.layersSent, from the moment it runs, the
// first size at which each simulcast layer (rid) of the page's camera was
// seen sending (bytesSent rising between two samples 250 ms apart, with a
// frame size). Dynacast may stop a layer nobody needs within moments of
// the publisher's start, before a test that waits on other tabs first
// samples it from Go.
const layersSentJS = `(() => {
  const room = window.switchboardRoom;
  window.layersSent = {};
  const last = {};
  const tick = async () => {
    const pub = room.publishedTracks.find((p) => p.source === 'camera');
    if (pub && pub.mid !== null) {
      (await room.pc.getStats()).forEach((s) => {
        if (s.type !== 'outbound-rtp' || s.mid !== pub.mid || !s.rid) return;
        if (!window.layersSent[s.rid] && s.frameWidth > 0 && last[s.rid] !== undefined && s.bytesSent > last[s.rid]) {
          window.layersSent[s.rid] = {rid: s.rid, frameWidth: s.frameWidth, frameHeight: s.frameHeight, bytesSent: s.bytesSent, active: s.active !== false};
        }
        last[s.rid] = s.bytesSent;
      });
    }
    if (!room.closed) setTimeout(tick, 250);
  };
  tick();
  return true;
})()`

// joinPublisher is joinMeeting for the simulcast tests' publisher: its
// uplink estimate stays at uplinkMinKbps or more (uplinkFloorJS), so that
// it sends its three layers however busy the machine is, and the layers it
// sends are recorded from the start (layersSentJS, read by waitSimulcast).
func joinPublisher(t *testing.T, tb *tab, base, room, name string) string {
	t.Helper()
	id := joinMeetingWith(t, tb, base, room, name, uplinkFloorJS)
	tb.waitFor("the uplink floor in the server's description", `(() => {
  const d = window.switchboardRoom.pc.currentRemoteDescription;
  return !!d && /^a=fmtp:\d+ .*x-google-min-bitrate=/m.test(d.sdp);
})()`, 15*time.Second)
	if _, err := eval[bool](tb, layersSentJS); err != nil {
		t.Fatalf("tab %s: %v", tb.name, err)
	}
	return id
}

// quiet turns the tab's camera off and mutes its microphone through the
// UI, so it costs little CPU and its audio is silence.
func quiet(t *testing.T, tb *tab) {
	t.Helper()
	tb.waitFor("the controls", `!document.getElementById('toggle-camera').disabled && !document.getElementById('toggle-mic').disabled`, 5*time.Second)
	tb.do("turning the camera off and muting", chromedp.Click(chromedp.ID("toggle-camera")), chromedp.Click(chromedp.ID("toggle-mic")))
	tb.waitFor("camera off", `document.getElementById('toggle-camera').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
}

// outboundStream is one encoding of a published track, from getStats.
type outboundStream struct {
	Rid             string  `json:"rid"`
	Active          bool    `json:"active"`
	BytesSent       int64   `json:"bytesSent"`
	PacketsSent     int64   `json:"packetsSent"`
	FramesEncoded   int64   `json:"framesEncoded"`
	FrameWidth      int64   `json:"frameWidth"`
	FrameHeight     int64   `json:"frameHeight"`
	FramesPerSecond float64 `json:"framesPerSecond"`
	Limitation      string  `json:"limitation"`
}

func (s outboundStream) String() string {
	return fmt.Sprintf("%s %dx%d %.0f fps %d B active=%v limit=%s", s.Rid, s.FrameWidth, s.FrameHeight, s.FramesPerSecond, s.BytesSent, s.Active, s.Limitation)
}

// outboundJS returns a function of a source ('camera', 'microphone',
// 'screen') that lists the outbound-rtp streams of the page's published
// track of that source, one per encoding (rid), sorted by rid.
const outboundJS = `(async (source) => {
  const room = window.switchboardRoom;
  const pub = room && room.publishedTracks.find((p) => p.source === source);
  if (!pub || pub.mid === null) return [];
  const stats = await room.pc.getStats();
  const out = [];
  stats.forEach((s) => {
    if (s.type !== 'outbound-rtp' || s.mid !== pub.mid) return;
    out.push({rid: s.rid || '', active: s.active !== false, bytesSent: s.bytesSent || 0, packetsSent: s.packetsSent || 0,
      framesEncoded: s.framesEncoded || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0,
      framesPerSecond: s.framesPerSecond || 0, limitation: s.qualityLimitationReason || ''});
  });
  return out.sort((a, b) => a.rid.localeCompare(b.rid));
})`

func outbound(t *testing.T, tb *tab, source string) map[string]outboundStream {
	t.Helper()
	list, err := eval[[]outboundStream](tb, fmt.Sprintf("(%s)(%q)", outboundJS, source))
	if err != nil {
		t.Fatalf("tab %s: outbound stats: %v", tb.name, err)
	}
	m := make(map[string]outboundStream, len(list))
	for _, s := range list {
		m[s.Rid] = s
	}
	return m
}

// videoIn is the inbound-rtp of one remote video track, from getStats.
type videoIn struct {
	TrackID         string  `json:"trackId"`
	FrameWidth      int64   `json:"frameWidth"`
	FrameHeight     int64   `json:"frameHeight"`
	FramesDecoded   int64   `json:"framesDecoded"`
	FramesPerSecond float64 `json:"framesPerSecond"`
	BytesReceived   int64   `json:"bytesReceived"`
	PacketsLost     int64   `json:"packetsLost"`
	FreezeCount     int64   `json:"freezeCount"`
	FreezeSeconds   float64 `json:"freezeSeconds"`
	KeyFrames       int64   `json:"keyFrames"`
	FramesReceived  int64   `json:"framesReceived"`
	FramesDropped   int64   `json:"framesDropped"`
	PacketsReceived int64   `json:"packetsReceived"`
	NackCount       int64   `json:"nackCount"`
	PliCount        int64   `json:"pliCount"`
}

func (v videoIn) String() string {
	return fmt.Sprintf("%dx%d, %.0f fps, %d frames decoded, %d keyframes, %d lost, %d freezes (%.1f s)",
		v.FrameWidth, v.FrameHeight, v.FramesPerSecond, v.FramesDecoded, v.KeyFrames, v.PacketsLost, v.FreezeCount, v.FreezeSeconds)
}

// inboundVideoJS returns a function of a participant id and a source that
// reads the inbound-rtp of the video the page receives from them.
const inboundVideoJS = `(async (pid, source) => {
  const room = window.switchboardRoom;
  const mids = new Map();
  if (room) for (const r of room.remoteTracks.values()) {
    if (r.participantId === pid && r.info.source === source && r.track.kind === 'video') mids.set(r.mid, r.trackId);
  }
  if (!mids.size) return {trackId: ''};
  const stats = await room.pc.getStats();
  let out = {trackId: ''};
  stats.forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video' || !mids.has(s.mid)) return;
    out = {trackId: mids.get(s.mid), frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0,
      framesDecoded: s.framesDecoded || 0, framesPerSecond: s.framesPerSecond || 0, bytesReceived: s.bytesReceived || 0,
      packetsLost: s.packetsLost || 0, freezeCount: s.freezeCount || 0, freezeSeconds: s.totalFreezesDuration || 0,
      keyFrames: s.keyFramesDecoded || 0, framesReceived: s.framesReceived || 0, framesDropped: s.framesDropped || 0,
      packetsReceived: s.packetsReceived || 0, nackCount: s.nackCount || 0, pliCount: s.pliCount || 0};
  });
  return out;
})`

func inboundVideo(t *testing.T, tb *tab, participant, source string) videoIn {
	t.Helper()
	v, err := eval[videoIn](tb, fmt.Sprintf("(%s)(%q, %q)", inboundVideoJS, participant, source))
	if err != nil {
		t.Fatalf("tab %s: inbound stats: %v", tb.name, err)
	}
	return v
}

// trackSettings is what the page last sent in track-settings for a track.
type trackSettings struct {
	Width  int  `json:"width"`
	Height int  `json:"height"`
	Paused bool `json:"paused"`
}

func sentSettings(t *testing.T, tb *tab, trackID string) *trackSettings {
	t.Helper()
	s, err := eval[*trackSettings](tb, fmt.Sprintf("window.switchboardRoom.trackSettings(%q)", trackID))
	if err != nil {
		t.Fatalf("tab %s: track settings: %v", tb.name, err)
	}
	return s
}

// waitVideo samples the video tb receives from participant every half
// second until ok holds for a sample whose framesDecoded rose since the one
// before, and returns that sample. It fails the test after timeout.
func waitVideo(t *testing.T, tb *tab, participant, source, what string, timeout time.Duration, ok func(videoIn) bool) videoIn {
	t.Helper()
	start := time.Now()
	end := start.Add(timeout)
	if end.After(tb.deadline) {
		end = tb.deadline
	}
	var prev, cur videoIn
	for time.Now().Before(end) {
		prev, cur = cur, inboundVideo(t, tb, participant, source)
		if cur.TrackID != "" && prev.TrackID == cur.TrackID && cur.FramesDecoded > prev.FramesDecoded && ok(cur) {
			t.Logf("%s: %s after %v: %s", tb.name, what, time.Since(start).Round(100*time.Millisecond), cur)
			return cur
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("tab %s: %s: not within %v; last sample %s", tb.name, what, timeout, cur)
	return cur
}

// waitSteadyVideo samples the video tb receives from participant every half
// second until, for hold on end, every sample has decoded frames since the
// one before and satisfies ok; it returns how long that took, and fails the
// test after timeout.
func waitSteadyVideo(t *testing.T, tb *tab, participant, source, what string, hold, timeout time.Duration, ok func(videoIn) bool) time.Duration {
	t.Helper()
	start := time.Now()
	end := start.Add(timeout)
	if end.After(tb.deadline) {
		end = tb.deadline
	}
	var since time.Time // of the first sample of the current steady run
	prev := inboundVideo(t, tb, participant, source)
	for time.Now().Before(end) {
		time.Sleep(500 * time.Millisecond)
		cur := inboundVideo(t, tb, participant, source)
		switch {
		case cur.TrackID == "" || cur.TrackID != prev.TrackID || cur.FramesDecoded <= prev.FramesDecoded || !ok(cur):
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= hold:
			took := time.Since(start)
			t.Logf("%s: %s for %v on end, after %v: %s", tb.name, what, hold, took.Round(100*time.Millisecond), cur)
			return took
		}
		prev = cur
	}
	t.Fatalf("tab %s: %s for %v on end: not within %v; last sample %s", tb.name, what, hold, timeout, prev)
	return 0
}

// playback is what sampling a received video for a while showed.
type playback struct {
	first, last videoIn
	widths      []int64       // the frame widths seen, in order, without repeats
	longestStop time.Duration // the longest time framesDecoded did not advance
	stopEnd     time.Time     // when the longest stop ended (or was last seen)
	samples     []videoSample // every sample, in order
}

// videoSample is one sample of a watched video, and when it was taken.
type videoSample struct {
	at time.Time
	v  videoIn
}

func (p playback) fps(d time.Duration) float64 {
	return float64(p.last.FramesDecoded-p.first.FramesDecoded) / d.Seconds()
}

// watchVideo samples the video tb receives from participant every 250 ms
// for d.
func watchVideo(t *testing.T, tb *tab, participant, source string, d time.Duration) playback {
	t.Helper()
	return watchVideos(t, d, viewer{tb, participant, source})[0]
}

// viewer is a tab watching the video of one participant's source.
type viewer struct {
	tb                  *tab
	participant, source string
}

// watchVideos samples, every 250 ms for d, the video each viewer receives.
func watchVideos(t *testing.T, d time.Duration, viewers ...viewer) []playback {
	t.Helper()
	out := make([]playback, len(viewers))
	advanced := make([]time.Time, len(viewers))
	for i, v := range viewers {
		out[i].first = inboundVideo(t, v.tb, v.participant, v.source)
		out[i].last = out[i].first
		advanced[i] = time.Now()
	}
	for end := time.Now().Add(d); time.Now().Before(end); {
		time.Sleep(250 * time.Millisecond)
		for i, v := range viewers {
			p := &out[i]
			cur := inboundVideo(t, v.tb, v.participant, v.source)
			now := time.Now()
			if cur.FramesDecoded > p.last.FramesDecoded {
				advanced[i] = now
			}
			if stop := now.Sub(advanced[i]); stop > p.longestStop {
				p.longestStop, p.stopEnd = stop, now
			}
			p.samples = append(p.samples, videoSample{now, cur})
			if len(p.widths) == 0 || p.widths[len(p.widths)-1] != cur.FrameWidth {
				p.widths = append(p.widths, cur.FrameWidth)
			}
			p.last = cur
		}
	}
	return out
}

// sendEstimate is the page's estimate of its uplink (the selected candidate
// pair's availableOutgoingBitrate), in bit/s.
func sendEstimate(t *testing.T, tb *tab) float64 {
	t.Helper()
	bps, err := eval[float64](tb, `(async () => {
  let bps = 0;
  (await window.switchboardRoom.pc.getStats()).forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) bps = s.availableOutgoingBitrate;
  });
  return bps;
})()`)
	if err != nil {
		t.Fatalf("tab %s: %v", tb.name, err)
	}
	return bps
}

// rids returns the rids of streams, sorted.
func rids(streams map[string]outboundStream) []string {
	out := make([]string, 0, len(streams))
	for rid := range streams {
		out = append(out, rid)
	}
	slices.Sort(out)
	return out
}

// describe lists streams by rid, for messages.
func describe(streams map[string]outboundStream) string {
	parts := make([]string, 0, len(streams))
	for _, rid := range rids(streams) {
		parts = append(parts, streams[rid].String())
	}
	return strings.Join(parts, "; ")
}
