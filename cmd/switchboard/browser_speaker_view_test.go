package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSpeakerView: a viewer whose grid tile of a simulcast publisher
// is at most 360 px high receives a layer no wider than 640; switched to
// the speaker view, the publisher's tile is the large one (over 360 px
// high) and the server forwards it the full 1280x720 layer.
func TestBrowserSpeakerView(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(110 * time.Second)
	base := startServer(t)
	browser := newBrowser(t, chromium)
	room := roomName(t)

	pub := openTab(t, browser, "publisher", deadline)
	viewer := openTab(t, browser, "viewer", deadline)
	pubID := joinPublisher(t, pub, base, room, "Publisher")
	// 960x800: two grid tiles side by side, about 460x260 CSS pixels
	// (width-bound); in the speaker view the featured one spans the width
	// above a strip, about 940x500.
	joinMeeting(t, viewer, base, room, "Viewer", chromedp.EmulateViewport(960, 800))
	quiet(t, viewer)
	waitSimulcast(t, pub)

	grid := waitVideo(t, viewer, pubID, "camera", "a grid tile's layer", 45*time.Second, func(v videoIn) bool { return v.FrameWidth > 0 && v.FrameWidth <= 640 })
	if s := sentSettings(t, viewer, grid.TrackID); s == nil || s.Height == 0 || s.Height > 360 {
		t.Fatalf("grid tile's track-settings %+v, want at most 360 px high", s)
	}
	t.Logf("grid view: %dx%d", grid.FrameWidth, grid.FrameHeight)

	viewer.do("switching to the speaker view", chromedp.Click(chromedp.ID("toggle-layout")))
	viewer.waitFor("the publisher's tile featured", `(() => {
  const tile = document.querySelector('#grid > .tile[data-featured]');
  return !!tile && tile.dataset.participantId === '`+pubID+`' && document.getElementById('toggle-layout').getAttribute('aria-pressed') === 'true';
})()`, 5*time.Second)
	start := time.Now()
	large := waitVideo(t, viewer, pubID, "camera", "1280x720 in the speaker view", 45*time.Second, func(v videoIn) bool { return v.FrameWidth == 1280 })
	if s := sentSettings(t, viewer, large.TrackID); s == nil || s.Height <= 360 {
		t.Errorf("featured tile's track-settings %+v, want over 360 px high", s)
	}
	t.Logf("speaker view: %dx%d after %v", large.FrameWidth, large.FrameHeight, time.Since(start).Round(100*time.Millisecond))
}
