package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// canvasScreenJS shares a canvas.captureStream() track, a moving 1280x720
// picture with text, through the page's screen-share path
// (window.switchboardPublishScreen), as if getDisplayMedia had returned it.
const canvasScreenJS = `(() => {
  const canvas = document.createElement('canvas');
  canvas.width = 1280;
  canvas.height = 720;
  const g = canvas.getContext('2d');
  let n = 0;
  const draw = () => {
    g.fillStyle = '#f8fafc';
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#1e293b';
    g.font = 'bold 56px sans-serif';
    g.fillText('Quarterly review', 80, 130);
    g.font = '32px sans-serif';
    for (let i = 0; i < 8; i++) g.fillText('• line ' + (i + 1) + ' of the shared document', 100, 220 + i * 56);
    g.fillStyle = '#2563eb';
    g.fillRect(80 + (n * 8) % 1040, 660, 160, 24);
    n++;
  };
  draw();
  window.screenTimer = setInterval(draw, 66);
  const track = canvas.captureStream(15).getVideoTracks()[0];
  window.switchboardPublishScreen(track);
  return true;
})()`

// TestBrowserScreenShare: a tab shares its screen with the Share screen
// button; the others get a tile of its own, marked as a screen share, that
// spans the grid above the camera tiles, and decode it. Stopping it (the
// button, or the browser's own stop, which ends the track) removes the tile
// everywhere. Where headless Chromium offers no screen to capture, the
// test says so and shares a canvas track through the same path instead.
func TestBrowserScreenShare(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(100 * time.Second)
	base := startServer(t)
	browser := newBrowser(t, chromiumWith(t, chromium, "--auto-select-desktop-capture-source=Entire screen"))
	room := roomName(t)

	sharer := openTab(t, browser, "sharer", deadline)
	viewer := openTab(t, browser, "viewer", deadline)
	third := openTab(t, browser, "third", deadline)
	sharerID := joinMeeting(t, sharer, base, room, "Sharer")
	joinMeeting(t, viewer, base, room, "Viewer")
	joinMeeting(t, third, base, room, "Third")
	quiet(t, third)

	// The button, as a user would click it.
	sharer.waitFor("the Share screen button", `(() => { const b = document.getElementById('toggle-screen'); return !b.hidden && !b.disabled; })()`, 5*time.Second)
	sharer.do("clicking Share screen", chromedp.Click(chromedp.ID("toggle-screen")))
	sharer.waitFor("getDisplayMedia to settle", `!document.getElementById('toggle-screen').disabled`, 10*time.Second)
	shared, err := eval[bool](sharer, `document.getElementById('toggle-screen').getAttribute('aria-pressed') === 'true'`)
	if err != nil {
		t.Fatal(err)
	}
	how := "getDisplayMedia"
	if !shared {
		errText, _ := eval[string](sharer, `document.getElementById('error').hidden ? '(no error shown)' : document.getElementById('error-text').textContent`)
		t.Logf("getDisplayMedia gave no screen in headless Chromium (%s): sharing a canvas.captureStream() track as the screen instead", errText)
		if _, err := eval[bool](sharer, canvasScreenJS); err != nil {
			t.Fatal(err)
		}
		how = "a canvas track"
	}
	sharer.waitFor("the screen published", `(() => { const p = window.switchboardRoom.publishedTracks.find((p) => p.source === 'screen'); return !!p && p.mid !== null; })()`, 10*time.Second)
	pubInfo, err := eval[map[string]any](sharer, `(() => {
		const p = window.switchboardRoom.publishedTracks.find((p) => p.source === 'screen');
		const s = p.track.getSettings();
		return {hint: p.track.contentHint, rids: p.rids.length, size: s.width + 'x' + s.height, label: p.track.label,
			pressed: document.getElementById('toggle-screen').getAttribute('aria-pressed'),
			selfTile: !!document.querySelector('#grid .tile[data-self][data-source="screen"]')};
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sharer (%s): %v", how, pubInfo)
	if pubInfo["hint"] != "detail" || pubInfo["rids"] != float64(0) || pubInfo["pressed"] != "true" || pubInfo["selfTile"] != true {
		t.Errorf("sharer: %v, want contentHint detail, no simulcast, the button pressed and a tile of its own", pubInfo)
	}

	screenTile := fmt.Sprintf(`document.querySelector('#grid .tile[data-source="screen"][data-participant-id=%q]')`, sharerID)
	for _, tb := range []*tab{viewer, third} {
		tb.waitFor("the screen tile", screenTile+` !== null`, 15*time.Second)
		v := waitVideo(t, tb, sharerID, "screen", "the screen share decoding", 20*time.Second, func(v videoIn) bool { return v.FrameWidth > 0 })
		tb.waitFor("the screen tile playing", `(() => { const v = `+screenTile+`.querySelector('video'); return v.readyState >= 2 && v.videoWidth > 0; })()`, 10*time.Second)
		layout, err := eval[map[string]any](tb, `(() => {
			const grid = document.getElementById('grid'), tile = `+screenTile+`;
			const g = grid.getBoundingClientRect(), r = tile.getBoundingClientRect();
			const cams = [...grid.querySelectorAll('.tile:not([data-source="screen"])')].map((c) => c.getBoundingClientRect());
			return {layout: grid.dataset.layout || '', name: tile.querySelector('.name').textContent,
				badge: getComputedStyle(tile.querySelector('.screen-badge')).display !== 'none',
				widthShare: r.width / (g.width - 20), above: cams.every((c) => c.top >= r.bottom - 1),
				largest: cams.every((c) => c.width * c.height < r.width * r.height)};
		})()`)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: screen tile %v; video %s", tb.name, layout, v)
		if layout["layout"] != "presenting" || layout["badge"] != true || !strings.HasSuffix(fmt.Sprint(layout["name"]), "(screen)") ||
			layout["widthShare"].(float64) < 0.95 || layout["above"] != true || layout["largest"] != true {
			t.Errorf("%s: the screen tile is not a large tile marked as a screen share above the cameras: %v", tb.name, layout)
		}
	}
	viewer.waitFor("all tiles playing", `[...document.querySelectorAll('#grid .tile[data-video="on"] video')].every((v) => v.readyState >= 2 && v.videoWidth > 0)`, 10*time.Second)
	t.Logf("screenshot of the viewer with a screen share: %s", viewer.screenshot("screen-share-viewer.png"))
	t.Logf("screenshot of the sharer: %s", sharer.screenshot("screen-share-sharer.png"))

	// Stopped with the button: the tile goes everywhere, the transceiver stops sending.
	sharer.do("clicking Stop sharing", chromedp.Click(chromedp.ID("toggle-screen")))
	for _, tb := range []*tab{viewer, third} {
		tb.waitFor("the screen tile to go", screenTile+` === null && document.getElementById('grid').dataset.layout === undefined`, 10*time.Second)
	}
	sharer.waitFor("unpublished", `!window.switchboardRoom.publishedTracks.some((p) => p.source === 'screen') && !document.querySelector('#grid .tile[data-source="screen"]')`, 5*time.Second)

	// Shared again and stopped by the browser (its own "Stop sharing"
	// ends the track): the same.
	if _, err := eval[bool](sharer, canvasScreenJS); err != nil {
		t.Fatal(err)
	}
	viewer.waitFor("the screen tile again", screenTile+` !== null`, 15*time.Second)
	waitVideo(t, viewer, sharerID, "screen", "the second screen share decoding", 20*time.Second, func(v videoIn) bool { return v.FrameWidth > 0 })
	if _, err := eval[bool](sharer, `(() => { const p = window.switchboardRoom.publishedTracks.find((p) => p.source === 'screen'); p.track.stop(); p.track.dispatchEvent(new Event('ended')); return true; })()`); err != nil {
		t.Fatal(err)
	}
	viewer.waitFor("the screen tile to go after the track ended", screenTile+` === null`, 10*time.Second)
	sharer.waitFor("the button released", `document.getElementById('toggle-screen').getAttribute('aria-pressed') === 'false'`, 5*time.Second)
}

// chromiumWith returns a script that starts chromium with extra flags.
func chromiumWith(t *testing.T, chromium string, flags ...string) string {
	t.Helper()
	quoted := make([]string, len(flags))
	for i, f := range flags {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", `'\''`) + "'"
	}
	path := filepath.Join(t.TempDir(), "chromium-with-flags")
	script := fmt.Sprintf("#!/bin/sh\nexec %s %s \"$@\"\n", chromium, strings.Join(quoted, " "))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
