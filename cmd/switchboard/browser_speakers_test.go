package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// recordSpeakersJS records in window.spk every activeSpeakersChanged of the
// example page's room: when, and who (by name), first to last, with each
// one's isSpeaking and audioLevel as the participant objects say.
const recordSpeakersJS = `(() => {
  const room = window.room, spk = window.spk = [];
  room.on('activeSpeakersChanged', (speakers) => spk.push({at: performance.now(),
    names: speakers.map((p) => p.name), speaking: speakers.every((p) => p.isSpeaking),
    levels: speakers.map((p) => p.audioLevel), same: speakers.every((p, i) => room.activeSpeakers[i] === p)}));
  return true;
})()`

// TestBrowserActiveSpeakers: two tabs of the example page, both publishing
// Chromium's fake microphone (a beep). With one muted, the unmuted one is
// first in activeSpeakersChanged on both pages within 2 s; then the other
// way round. With both muted, nobody is speaking.
func TestBrowserActiveSpeakers(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(90 * time.Second)
	const key, secret = "speakers-key", "speakers-secret-for-the-active-speakers-test"
	base := startServer(t, "--api-key", key, "--api-secret", secret)
	browser := newBrowser(t, chromium)
	room := roomName(t)

	names := []string{"Alice", "Bob"}
	tabs := make([]*tab, len(names))
	for i, name := range names {
		tb := openTab(t, browser, name, deadline)
		tabs[i] = tb
		token := mintToken(t, key, secret, room, strings.ToLower(name)+"@example.com", "--name", name)
		tb.do("opening the example page", chromedp.Navigate(base+"/static/example.html?token="+url.QueryEscape(token)))
		tb.waitFor("connect and enableCameraAndMicrophone", `!!window.room && window.room.localParticipant.isMicrophoneEnabled && document.getElementById('status').textContent.startsWith('In ')`, 20*time.Second)
		if _, err := eval[bool](tb, `(() => { window.switchboardRoom = window.room; return true; })()`); err != nil {
			t.Fatal(err)
		}
		if _, err := eval[bool](tb, recordSpeakersJS); err != nil {
			t.Fatal(err)
		}
	}
	for _, tb := range tabs {
		tb.waitFor("the other one's audio", `[...window.room.remoteParticipants.values()].some((p) => p.getTrackPublication('microphone')?.isSubscribed)`, 15*time.Second)
	}
	// Both muted: nobody speaks, on either page.
	for _, tb := range tabs {
		if _, err := eval[bool](tb, `window.room.localParticipant.setMicrophoneEnabled(false).then(() => true)`); err != nil {
			t.Fatal(err)
		}
	}
	for _, tb := range tabs {
		tb.waitFor("nobody speaking", `window.room.activeSpeakers.length === 0 && !window.room.localParticipant.isSpeaking &&
			[...window.room.remoteParticipants.values()].every((p) => !p.isSpeaking && p.audioLevel === 0)`, 5*time.Second)
	}

	// speaker is first on both pages within 2 s of the other's mute and its
	// own unmute.
	check := func(speaker, muted int) {
		t.Helper()
		mute := tabs[muted]
		if _, err := eval[bool](mute, `window.room.localParticipant.setMicrophoneEnabled(false).then(() => true)`); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := eval[bool](tabs[speaker], `window.room.localParticipant.setMicrophoneEnabled(true).then(() => true)`); err != nil {
			t.Fatal(err)
		}
		want := names[speaker]
		cond := `(() => { const l = window.spk[window.spk.length - 1]; return !!l && l.names[0] === '` + want + `' && l.speaking && l.same &&
			window.room.activeSpeakers[0]?.name === '` + want + `' && window.room.activeSpeakers[0].isSpeaking && window.room.activeSpeakers[0].audioLevel > 0; })()`
		for _, tb := range tabs {
			for {
				ok, err := eval[bool](tb, cond)
				if err == nil && ok {
					break
				}
				if time.Since(start) > 2*time.Second {
					log, _ := eval[any](tb, `window.spk.slice(-10)`)
					t.Fatalf("tab %s: %s not first %v after %s muted (err %v); the last lists: %v",
						tb.name, want, time.Since(start).Round(time.Millisecond), names[muted], err, log)
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("tab %s: %s first %v after %s muted", tb.name, want, time.Since(start).Round(time.Millisecond), names[muted])
		}
	}
	check(0, 1) // Alice speaks, Bob muted
	check(1, 0) // and the other way round
	for _, tb := range tabs {
		log, err := eval[any](tb, `window.spk.slice(-6)`)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tab %s: the last lists (at: ms since the page opened; levels 0 to 1): %v", tb.name, log)
	}
}
