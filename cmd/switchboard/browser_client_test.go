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

// clientStatsJS samples the inbound RTP streams of the example page's room
// (window.room) and names the participant each comes from through the
// client library's own model: remoteParticipants → trackPublications →
// track.mediaStreamTrack, whose id getStats reports as trackIdentifier.
const clientStatsJS = `(async () => {
  const room = window.room;
  const out = {self: room.localParticipant.name, video: [], audio: [], pair: '', ice: room.pc.iceConnectionState, tracks: {}};
  const owner = {};
  for (const p of room.remoteParticipants.values()) {
    for (const pub of p.trackPublications.values()) if (pub.track) owner[pub.track.mediaStreamTrack.id] = p.name;
  }
  (await room.pc.getStats()).forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    (s.kind === 'video' ? out.video : out.audio).push({
      mid: s.mid || '', participant: owner[s.trackIdentifier] || '',
      packetsReceived: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0,
      frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, framesPerSecond: s.framesPerSecond || 0,
    });
  });
  return out;
})()`

// recordEventsJS records, in window.seen, the room.on() events of the
// LiveKit-style API with their arguments checked against each other.
const recordEventsJS = `(() => {
  const room = window.room, seen = window.seen = [];
  const consistent = (track, pub, p) => track.sid === pub.trackSid && track.kind === pub.kind &&
    p.trackPublications.get(pub.trackSid) === pub && room.remoteParticipants.get(p.identity) === p;
  room.on('participantConnected', (p) => seen.push('participantConnected ' + p.name + (room.remoteParticipants.get(p.identity) === p ? '' : ' (not in remoteParticipants)')));
  room.on('participantDisconnected', (p) => seen.push('participantDisconnected ' + p.name + (room.remoteParticipants.has(p.identity) ? ' (still in remoteParticipants)' : '')));
  room.on('trackSubscribed', (track, pub, p) => seen.push('trackSubscribed ' + pub.source + ' ' + p.name + (consistent(track, pub, p) && pub.track === track ? '' : ' (inconsistent)')));
  room.on('trackUnsubscribed', (track, pub, p) => seen.push('trackUnsubscribed ' + pub.source + ' ' + p.name + (track.sid === pub.trackSid && pub.track === null ? '' : ' (inconsistent)')));
  room.on('trackMuted', (pub, p) => seen.push('trackMuted ' + pub.source + ' ' + p.name + (pub.isMuted ? '' : ' (not muted)')));
  room.on('trackUnmuted', (pub, p) => seen.push('trackUnmuted ' + pub.source + ' ' + p.name + (pub.isMuted ? ' (muted)' : '')));
  return true;
})()`

// TestBrowserClientLibrary: the client library's LiveKit-style API, in two
// tabs of the example page (web/static/example.html), which does nothing
// but connect(url, token), localParticipant.enableCameraAndMicrophone() and
// track.attach() for the others' tracks. The server requires access tokens;
// they are minted as `switchboard token` does and name room, identity and
// display name. Each tab decodes the other's video and receives its audio,
// the attached elements play and report their size to the server, the
// events come with LiveKit's arguments, and a mute and a disconnect reach
// the other side.
func TestBrowserClientLibrary(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	const key, secret = "example-key", "example-secret-for-the-client-library-test"
	base := startServer(t, "--api-key", key, "--api-secret", secret)
	browser := newBrowser(t, chromium)
	room := roomName(t)

	people := []struct{ identity, name string }{{"alice@example.com", "Alice"}, {"bob@example.com", "Bob"}}
	tabs := make([]*tab, len(people))
	for i, p := range people {
		tb := openTab(t, browser, p.name, deadline)
		tabs[i] = tb
		token := mintToken(t, key, secret, room, p.identity, "--name", p.name)
		tb.do("opening the example page", chromedp.Navigate(base+"/static/example.html?token="+url.QueryEscape(token)))
		took := tb.waitFor("connect and enableCameraAndMicrophone", `!!window.room && window.room.localParticipant.isCameraEnabled && window.room.localParticipant.isMicrophoneEnabled && document.getElementById('status').textContent.startsWith('In ')`, 20*time.Second)
		// The failure reports of the helpers read window.switchboardRoom.
		local, err := eval[map[string]string](tb, `(() => { const r = window.switchboardRoom = window.room, lp = r.localParticipant;
			return {room: r.roomName, identity: lp.identity, name: lp.name, sid: lp.sid, status: document.getElementById('status').textContent,
				publications: [...lp.trackPublications.values()].map((p) => p.kind + '/' + p.source + (p.isMuted ? '/muted' : '')).sort().join(' ')}; })()`)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"room": room, "identity": p.identity, "name": p.name, "sid": local["sid"],
			"status": "In " + room + " as " + p.name, "publications": "audio/microphone video/camera"}
		if fmt.Sprint(local) != fmt.Sprint(want) || local["sid"] == "" {
			t.Fatalf("tab %s: local participant %v, want %v", p.name, local, want)
		}
		t.Logf("%s published camera and microphone %v after opening the page: %v", p.name, took.Round(time.Millisecond), local)
		if i == 0 { // Alice watches Bob arrive
			if _, err := eval[bool](tb, recordEventsJS); err != nil {
				t.Fatal(err)
			}
		}
	}
	alice, bob := tabs[0], tabs[1]

	// Media both ways, named through remoteParticipants and its publications.
	waitForMediaWith(t, alice, clientStatsJS, []string{"Bob"})
	waitForMediaWith(t, bob, clientStatsJS, []string{"Alice"})

	// What attach() made: a playing <video> and an <audio> per other
	// participant, and the video's size told to the server (adaptive stream).
	for i, tb := range tabs {
		other := people[1-i].name
		tb.waitFor("the attached video playing", `[...document.querySelectorAll('#media video')].some((v) => v.readyState >= 2 && v.videoWidth > 0)`, 10*time.Second)
		got, err := eval[map[string]any](tb, `(() => {
			const [p] = window.room.remoteParticipants.values();
			const cam = p.getTrackPublication('camera'), mic = p.getTrackPublication('microphone');
			const video = document.querySelector('#media video'), audio = document.querySelector('#media audio');
			const settings = window.room.trackSettings(cam.trackSid);
			return {name: p.name, remotes: window.room.remoteParticipants.size, publications: p.trackPublications.size,
				camera: cam.kind + ' subscribed=' + cam.isSubscribed + ' muted=' + cam.isMuted,
				videoAttached: cam.track.attachedElements.includes(video) && video.dataset.source === 'camera' && video.dataset.identity === p.identity,
				audioAttached: mic.track.attachedElements.includes(audio) && audio.srcObject.getAudioTracks()[0] === mic.track.mediaStreamTrack,
				settings: settings ? settings.width + 'x' + settings.height + (settings.paused ? ' paused' : '') : 'none',
				elementWidth: video.clientWidth * devicePixelRatio};
		})()`)
		if err != nil {
			t.Fatal(err)
		}
		wantSettings := fmt.Sprintf("%.0fx", got["elementWidth"])
		if got["name"] != other || got["remotes"] != 1.0 || got["publications"] != 2.0 || got["camera"] != "video subscribed=true muted=false" ||
			got["videoAttached"] != true || got["audioAttached"] != true || !strings.HasPrefix(got["settings"].(string), wantSettings) || strings.HasSuffix(got["settings"].(string), "paused") {
			t.Errorf("tab %s: remote participant and attached elements %v (want %s's camera and microphone attached, settings %s…)", tb.name, got, other, wantSettings)
		}
		t.Logf("%s: %v", tb.name, got)
	}

	// Bob turns his microphone off and on; Alice hears of it.
	if _, err := eval[bool](bob, `window.room.localParticipant.setMicrophoneEnabled(false).then(() => window.room.localParticipant.isMicrophoneEnabled === false)`); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("trackMuted", `window.seen.includes('trackMuted microphone Bob')`, 5*time.Second)
	if _, err := eval[bool](bob, `window.room.localParticipant.setMicrophoneEnabled(true).then(() => true)`); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("trackUnmuted", `window.seen.includes('trackUnmuted microphone Bob')`, 5*time.Second)

	// Bob leaves: his page says why, Alice's drops his elements.
	if _, err := eval[bool](bob, `window.room.disconnect().then(() => true)`); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("disconnected", `document.getElementById('status').textContent === 'Disconnected: left' && window.room.state === 'disconnected'`, 5*time.Second)
	alice.waitFor("Bob gone", `window.room.remoteParticipants.size === 0 && document.querySelectorAll('#media > *').length === 0 && window.seen.some((e) => e.startsWith('participantDisconnected'))`, 10*time.Second)

	seen, err := eval[[]string](alice, `window.seen`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Alice's events: %s", strings.Join(seen, "; "))
	want := []string{"participantConnected Bob", "trackSubscribed camera Bob", "trackSubscribed microphone Bob",
		"trackMuted microphone Bob", "trackUnmuted microphone Bob",
		"trackUnsubscribed camera Bob", "trackUnsubscribed microphone Bob", "participantDisconnected Bob"}
	for _, w := range want {
		if !slices.Contains(seen, w) {
			t.Errorf("Alice's events lack %q", w)
		}
	}
	for _, e := range seen {
		if strings.Contains(e, "(") {
			t.Errorf("Alice's event %q", e)
		}
	}
	if i, j := slices.Index(seen, "participantConnected Bob"), slices.Index(seen, "trackSubscribed camera Bob"); i < 0 || j < i {
		t.Errorf("participantConnected after trackSubscribed: %v", seen)
	}
	if i, j := slices.Index(seen, "trackUnsubscribed camera Bob"), slices.Index(seen, "participantDisconnected Bob"); i < 0 || j < i {
		t.Errorf("participantDisconnected before trackUnsubscribed: %v", seen)
	}
}
