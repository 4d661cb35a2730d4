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

// inboundStats is what statsJS reads from a page's RTCPeerConnection.
type inboundStats struct {
	Self   string            `json:"self"`
	Video  []inboundStream   `json:"video"`
	Audio  []inboundStream   `json:"audio"`
	Pair   string            `json:"pair"`
	Ice    string            `json:"ice"`
	Tracks map[string]string `json:"tracks"` // mid → participant id, from the client
}

type inboundStream struct {
	Mid             string  `json:"mid"`
	Participant     string  `json:"participant"`
	PacketsReceived int64   `json:"packetsReceived"`
	FramesDecoded   int64   `json:"framesDecoded"`
	FrameWidth      int64   `json:"frameWidth"`
	FrameHeight     int64   `json:"frameHeight"`
	FramesPerSecond float64 `json:"framesPerSecond"`
}

// statsJS samples the inbound RTP streams of the page's RTCPeerConnection
// and names the participant each one comes from.
const statsJS = `(async () => {
  const room = window.switchboardRoom;
  if (!room || !room.pc) return {self: '', video: [], audio: [], pair: '', ice: '', tracks: {}};
  const owner = {};
  for (const r of room.remoteTracks.values()) owner[r.mid] = r.participantId;
  const out = {self: room.participantId, video: [], audio: [], pair: '', ice: room.pc.iceConnectionState, tracks: owner};
  const stats = await room.pc.getStats();
  const byId = new Map();
  stats.forEach((s) => byId.set(s.id, s));
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      (s.kind === 'video' ? out.video : out.audio).push({
        mid: s.mid || '', participant: owner[s.mid] || '',
        packetsReceived: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0,
        frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, framesPerSecond: s.framesPerSecond || 0,
      });
    }
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = byId.get(s.selectedCandidatePairId);
      const local = pair && byId.get(pair.localCandidateId), remote = pair && byId.get(pair.remoteCandidateId);
      if (local && remote) out.pair = local.candidateType + ' ' + local.address + ':' + local.port + ' ↔ ' + remote.candidateType + ' ' + remote.address + ':' + remote.port + ' ' + local.protocol;
    }
  });
  return out;
})()`

// tilesJS lists the participant ids of the tiles in the grid.
const tilesJS = `[...document.querySelectorAll('#grid .tile')].map((t) => t.dataset.participantId)`

// TestBrowserMeeting: three tabs join one room through the UI, each decodes
// the video and receives the audio of the two others, and when one leaves,
// its tile disappears from the others' grids.
func TestBrowserMeeting(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	base := startServer(t)
	browser := newBrowser(t, chromium)
	room := fmt.Sprintf("browser-test-%d", time.Now().UnixNano()%1e9)

	names := []string{"A", "B", "C"}
	tabs := make([]*tab, len(names))
	for i, name := range names {
		tabs[i] = openTab(t, browser, name, deadline)
		tabs[i].do("opening the room", chromedp.Navigate(base+"/room/"+room+"?name="+url.QueryEscape(name)))
	}
	// Real clicks, one right after the other, so that the joins overlap.
	for _, tb := range tabs {
		tb.do("clicking Join", chromedp.Click(chromedp.ID("join")))
	}
	ids := make([]string, len(tabs))
	for i, tb := range tabs {
		took := tb.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom`, 20*time.Second)
		id := participantID(t, tb)
		ids[i] = id
		t.Logf("%s joined as %s in %v", tb.name, id, took.Round(time.Millisecond))
	}

	// Media: every tab decodes two remote videos and receives two audios.
	for i, tb := range tabs {
		others := slices.Concat(ids[:i], ids[i+1:])
		waitForMedia(t, tb, others)
	}
	for _, tb := range tabs {
		tb.waitFor("3 tiles", fmt.Sprintf(`(() => { const t = %s; return t.length === 3 && new Set(t).size === 3; })()`, tilesJS), 5*time.Second)
		got, err := eval[[]string](tb, tilesJS)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Fatalf("tab %s: tiles of %v, want %v", tb.name, got, want)
		}
	}
	// Let the videos of the tiles render before the picture is taken.
	tabs[0].waitFor("tiles playing", `[...document.querySelectorAll('#grid .tile video')].every((v) => v.readyState >= 2 && v.videoWidth > 0)`, 10*time.Second)
	t.Logf("screenshot of tab A in the meeting: %s", tabs[0].screenshot("meeting-A.png"))

	// C leaves by clicking Leave; A and B drop its tile.
	leaver := tabs[2]
	clicked := time.Now()
	leaver.do("clicking Leave", chromedp.Click(chromedp.ID("leave")))
	leaver.waitFor("leaving", `document.body.dataset.state === 'ended' && window.switchboardRoom.pc.connectionState === 'closed'`, 5*time.Second)
	for _, tb := range tabs[:2] {
		tb.waitFor("C's tile to go", fmt.Sprintf(`(() => { const t = %s; return t.length === 2 && !t.includes(%q); })()`, tilesJS, ids[2]), 5*time.Second)
		t.Logf("%s: C's tile gone %v after the click on Leave", tb.name, time.Since(clicked).Round(time.Millisecond))
	}
}

// waitForMedia polls getStats until the tab decodes a video (framesDecoded
// rising between two samples, frameWidth > 0) and receives audio (packets
// rising) from each of the participants others.
func waitForMedia(t *testing.T, tb *tab, others []string) {
	t.Helper()
	waitForMediaWith(t, tb, statsJS, others)
}

// waitForMediaWith is waitForMedia with the samples taken by the
// JavaScript expression stats (an inboundStats), whose streams name their
// participants as others does.
func waitForMediaWith(t *testing.T, tb *tab, stats string, others []string) {
	t.Helper()
	start := time.Now()
	figures, err := awaitMedia(tb, stats, others)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s after %v: %s", tb.name, time.Since(start).Round(time.Millisecond), figures)
}

// awaitMedia is waitForMediaWith for any goroutine: it returns the figures
// of the two samples that showed the media rising, or why it did not.
func awaitMedia(tb *tab, stats string, others []string) (string, error) {
	var prev, cur inboundStats
	var err error
	for time.Now().Before(tb.deadline) {
		prev = cur
		if cur, err = eval[inboundStats](tb, stats); err != nil {
			return "", fmt.Errorf("tab %s: getStats: %v", tb.name, err)
		}
		video, audio := rising(prev.Video, cur.Video, true), rising(prev.Audio, cur.Audio, false)
		if containsAll(video, others) && containsAll(audio, others) {
			var figures []string
			for _, s := range cur.Video {
				if p := previous(prev.Video, s.Mid); p != nil && slices.Contains(others, s.Participant) {
					figures = append(figures, fmt.Sprintf("video from %s %dx%d framesDecoded %d→%d (%.0f fps)",
						s.Participant, s.FrameWidth, s.FrameHeight, p.FramesDecoded, s.FramesDecoded, s.FramesPerSecond))
				}
			}
			for _, s := range cur.Audio {
				if p := previous(prev.Audio, s.Mid); p != nil && slices.Contains(others, s.Participant) {
					figures = append(figures, fmt.Sprintf("audio from %s packets %d→%d", s.Participant, p.PacketsReceived, s.PacketsReceived))
				}
			}
			return fmt.Sprintf("(%s) %s; path %s", cur.Self, strings.Join(figures, ", "), cur.Pair), nil
		}
		time.Sleep(time.Second)
	}
	return "", fmt.Errorf("tab %s: no video and audio from all of %v within the deadline\nprevious sample %+v\nlast sample %+v", tb.name, others, prev, cur)
}

// rising returns the participants whose stream advanced between two samples:
// more decoded frames of a known size for video, more packets for audio.
func rising(prev, cur []inboundStream, video bool) []string {
	var out []string
	for _, s := range cur {
		p := previous(prev, s.Mid)
		if p == nil || s.Participant == "" {
			continue
		}
		if (video && s.FramesDecoded > p.FramesDecoded && s.FrameWidth > 0) || (!video && s.PacketsReceived > p.PacketsReceived) {
			out = append(out, s.Participant)
		}
	}
	return out
}

func previous(samples []inboundStream, mid string) *inboundStream {
	for i := range samples {
		if samples[i].Mid == mid {
			return &samples[i]
		}
	}
	return nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// TestBrowserPrejoin: the meeting page opens on the pre-join screen with the
// camera preview playing, the name from ?name= and the devices listed.
func TestBrowserPrejoin(t *testing.T) {
	chromium := requireBrowser(t)
	base := startServer(t)
	browser := newBrowser(t, chromium)
	tb := openTab(t, browser, "prejoin", time.Now().Add(30*time.Second))
	tb.do("opening /room/x", chromedp.Navigate(base+"/room/x?name=Zo%C3%AB"))
	took := tb.waitFor("the camera preview", `(() => { const v = document.getElementById('preview'); return v.readyState >= 2 && v.videoWidth > 0; })()`, 15*time.Second)
	t.Logf("camera preview playing after %v", took.Round(time.Millisecond))
	tb.waitFor("the devices listed", `document.getElementById('camera').options.length > 0 && document.getElementById('camera').value !== '' && document.getElementById('microphone').value !== ''`, 5*time.Second)
	state, err := eval[map[string]any](tb, `({
		state: document.body.dataset.state,
		name: document.getElementById('name').value,
		join: !document.getElementById('join').disabled && document.getElementById('join').checkVisibility(),
		meetingHidden: document.getElementById('meeting').hidden,
		size: document.getElementById('preview').videoWidth + 'x' + document.getElementById('preview').videoHeight,
	})`)
	if err != nil {
		t.Fatal(err)
	}
	if state["state"] != "prejoin" || state["name"] != "Zoë" || state["join"] != true || state["meetingHidden"] != true {
		t.Errorf("pre-join screen: %v", state)
	}
	t.Logf("pre-join: %v", state)
	t.Logf("screenshot of the pre-join screen: %s", tb.screenshot("prejoin.png"))
}
