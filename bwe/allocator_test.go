package bwe

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func audio(id string) Track {
	return Track{ID: id, Kind: Audio, Layers: []Layer{{}}, Current: 0}
}

// video returns a three-layer simulcast track with default bitrates and
// unknown layer sizes, shown at w x h.
func video(id string, w, h int) Track {
	return Track{ID: id, Kind: Video, Layers: make([]Layer, 3), Width: w, Height: h, Current: -1}
}

func screen(id string, w, h int) Track {
	t := video(id, w, h)
	t.Screen = true
	return t
}

// probe12 is x × 1.2 (the default headroom, above 1.1) as Allocate
// computes it.
func probe12(x int) int { return int(float64(x) * 1.2) }

func with(t Track, f func(*Track)) Track { f(&t); return t }

func TestAllocate(t *testing.T) {
	tests := []struct {
		name     string
		pause    bool
		estimate int
		tracks   []Track
		want     []int
		limited  bool
		probe    int
	}{
		{
			name: "audio is never dropped", pause: true, estimate: 0,
			tracks: []Track{audio("a1"), audio("a2"), video("v", 640, 360)},
			want:   []int{0, 0, -1}, limited: true, probe: probe12(80_000 + 150_000),
		},
		{
			name: "plenty: each video gets what its tile needs", estimate: 10_000_000,
			tracks: []Track{audio("a"), video("big", 1280, 720), video("mid", 640, 360), video("small", 320, 180)},
			want:   []int{0, 2, 1, 0},
		},
		{
			name: "tile heights between layers round up", estimate: 10_000_000,
			tracks: []Track{video("181", 320, 181), video("360", 640, 360), video("361", 640, 361), video("1080", 1920, 1080), video("90", 160, 90)},
			want:   []int{1, 1, 2, 2, 0},
		},
		{
			name: "unknown tile size is treated as large", estimate: 10_000_000,
			tracks: []Track{video("v", 0, 0)},
			want:   []int{2},
		},
		{
			name: "known layer heights", estimate: 10_000_000,
			tracks: []Track{
				with(video("v", 400, 300), func(t *Track) { t.Layers = []Layer{{Height: 240}, {Height: 480}, {Height: 960}} }),
				with(video("w", 400, 500), func(t *Track) { t.Layers[2].Height = 1080 }), // 270, 540, 1080
				with(video("x", 400, 250), func(t *Track) { t.Layers[2].Height = 1080 }),
			},
			want: []int{1, 1, 0},
		},
		{
			name: "paused tracks get nothing and are not limited", estimate: 10_000_000,
			tracks: []Track{audio("a"), with(video("v", 1280, 720), func(t *Track) { t.Paused = true })},
			want:   []int{0, -1},
		},
		{
			name: "pass 1 shows everything before pass 2 raises anything", estimate: 3 * 150_000 * 12 / 10,
			tracks: []Track{video("big", 1280, 720), video("mid", 640, 360), video("small", 320, 180)},
			want:   []int{0, 0, 0}, limited: true, probe: probe12(500_000 + 500_000 + 150_000),
		},
		{
			name: "larger tiles are raised first", estimate: (150_000 + 150_000 + 500_000) * 12 / 10,
			tracks: []Track{video("small", 640, 360), video("big", 1280, 720)},
			want:   []int{0, 1}, limited: true, probe: probe12(500_000 + 1_500_000),
		},
		{
			name: "screen share before larger camera video", estimate: (40_000 + 150_000 + 150_000 + 350_000) * 12 / 10,
			tracks: []Track{audio("a"), video("cam", 1920, 1080), screen("screen", 640, 360)},
			want:   []int{0, 0, 1}, limited: true,
			probe: probe12(40_000 + 500_000 + 500_000),
		},
		{
			name: "larger screen share first", estimate: (150_000 + 150_000 + 350_000) * 12 / 10,
			tracks: []Track{screen("small", 640, 360), screen("unknown", 0, 0)},
			want:   []int{0, 1}, limited: true,
			probe: probe12(500_000 + 1_500_000),
		},
		{
			name: "video that does not fit even at its lowest layer is off", pause: true, estimate: 300_000,
			tracks: []Track{audio("a"), video("v1", 640, 480), video("v2", 320, 240)},
			want:   []int{0, 0, -1}, limited: true, probe: probe12(40_000 + 500_000 + 150_000),
		},
		{
			name: "measured bitrates replace defaults", estimate: 1_000_000,
			tracks: []Track{
				with(audio("a"), func(t *Track) { t.Layers[0].Bitrate = 100_000 }),
				with(video("v", 1280, 720), func(t *Track) { t.Layers = []Layer{{Bitrate: 100_000}, {Bitrate: 200_000}, {Bitrate: 600_000}} }),
			},
			want: []int{0, 2},
		},
		{
			name: "a single layer is costed as full quality", pause: true, estimate: 1_500_000,
			tracks: []Track{with(video("v", 320, 180), func(t *Track) { t.Layers = t.Layers[:1] })},
			want:   []int{-1}, limited: true, probe: probe12(1_500_000),
		},
		{
			name: "current layer is kept without headroom", estimate: 1_500_000,
			tracks: []Track{with(video("v", 1280, 720), func(t *Track) { t.Current = 2 })},
			want:   []int{2},
		},
		{
			name: "going up needs headroom", estimate: 1_700_000,
			tracks: []Track{with(video("v", 1280, 720), func(t *Track) { t.Current = 1 })},
			want:   []int{1}, limited: true, probe: probe12(1_500_000),
		},
		{
			name: "by default the lowest layer goes even over the estimate", estimate: 300_000,
			tracks: []Track{audio("a"), video("v1", 1280, 720), video("v2", 1280, 720)},
			want:   []int{0, 0, 0}, limited: true, probe: probe12(40_000 + 2*500_000),
		},
		{
			name: "no layers", estimate: 1_000_000,
			tracks: []Track{{ID: "v", Kind: Video, Current: -1}},
			want:   []int{-1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewAllocator(WithPauseOnCongestion(tt.pause)).Allocate(t0, tt.estimate, tt.tracks)
			if !slices.Equal(d.Layers, tt.want) || d.Limited != tt.limited || d.ProbeTarget != tt.probe {
				t.Fatalf("Allocate = %v limited %v probe %d; want %v limited %v probe %d",
					d.Layers, d.Limited, d.ProbeTarget, tt.want, tt.limited, tt.probe)
			}
			// Only when video may pause does the total stay within the
			// estimate; by default the lowest layers go regardless.
			if tt.pause && d.Total > max(tt.estimate, 40_000*len(tt.tracks)) {
				t.Fatalf("total %d over estimate %d", d.Total, tt.estimate)
			}
		})
	}
}

// call is one Allocate over time, with the one video track's wanted layer.
type call struct {
	at       time.Duration
	estimate int
	want     int
}

// runCalls allocates a single 720p three-layer video track (costs 150k,
// 500k, 1.5M) through calls, feeding each decision back as Current.
func runCalls(t *testing.T, a *Allocator, calls []call) {
	t.Helper()
	tr := []Track{video("v", 1280, 720)}
	for i, c := range calls {
		d := a.Allocate(t0.Add(c.at), c.estimate, tr)
		if d.Layers[0] != c.want {
			t.Fatalf("call %d (t=%v, estimate %d): layer %d; want %d", i, c.at, c.estimate, d.Layers[0], c.want)
		}
		tr[0].Current = d.Layers[0]
	}
}

// TestFailedUpgradeOfAResolution: after an upgrade to 640x360 at 15 fps
// fails, 640x360 at any frame rate waits the longer hold (its lowest step
// brings the same keyframe), while 320x180 may still climb to its full
// frame rate after the plain one.
func TestFailedUpgradeOfAResolution(t *testing.T) {
	s := time.Second
	tr := []Track{{ID: "v", Kind: Video, Width: 1280, Height: 720, Current: -1}}
	for _, res := range [][3]int{{320, 180, 150_000}, {640, 360, 500_000}} {
		for tl, share := range []int{50, 75, 100} {
			tr[0].Layers = append(tr[0].Layers, Layer{Bitrate: res[2] * share / 100, Width: res[0], Height: res[1], Temporal: tl})
		}
	}
	// Steps: 0-2 are 320x180 at 75k, 112.5k, 150k; 3-5 are 640x360 at 250k, 375k, 500k.
	calls := []call{
		{0, 10_000_000, 5},
		{1 * s, 200_000, 2},     // never went up: a plain hold
		{6 * s, 500_000, 4},     // up to 640x360 at 375k (× 1.2 = 450k)
		{7 * s, 100_000, 0},     // failed: 640x360 waits 10 s, 320x180's steps 5 s
		{12 * s, 10_000_000, 2}, // 320x180 at its full rate, not 640x360 at any
		{16 * s, 10_000_000, 2},
		{17 * s, 10_000_000, 5},
	}
	a := NewAllocator()
	for i, c := range calls {
		d := a.Allocate(t0.Add(c.at), c.estimate, tr)
		if d.Layers[0] != c.want {
			t.Fatalf("call %d (t=%v, estimate %d): layer %d; want %d", i, c.at, c.estimate, d.Layers[0], c.want)
		}
		tr[0].Current = d.Layers[0]
	}
}

func TestHysteresis(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		pause bool
		calls []call
	}{
		{
			name: "down at once, up only after the hold",
			calls: []call{
				{0, 2_000_000, 2},
				{1 * s, 1_400_000, 1}, // over budget: down now
				{2 * s, 3_000_000, 1}, // enough, but within the hold
				{5 * s, 3_000_000, 1},
				{6 * s, 3_000_000, 2},
			},
		},
		{
			name: "an upgrade lowered again within its trial doubles the hold, once",
			calls: []call{
				{0, 3_000_000, 2},
				{1 * s, 1_400_000, 1},  // never went up: a plain hold
				{6 * s, 3_000_000, 2},  // up after 5 s
				{7 * s, 1_400_000, 1},  // down after 1 s: failed, hold 10 s
				{16 * s, 3_000_000, 1}, //
				{17 * s, 3_000_000, 2}, // up after 10 s
				{18 * s, 1_400_000, 1}, // failed again: the hold stays at 10 s, twice the plain one
				{27 * s, 3_000_000, 1},
				{28 * s, 3_000_000, 2},
				{40 * s, 1_400_000, 1}, // down after 12 s up: not a failure, hold 5 s
				{44 * s, 3_000_000, 1},
				{45 * s, 3_000_000, 2},
			},
		},
		{
			name: "after a failed upgrade, the layers below it keep the plain hold",
			calls: []call{
				{0, 3_000_000, 2},
				{1 * s, 1_400_000, 1},
				{6 * s, 3_000_000, 2},
				{7 * s, 400_000, 0},    // layer 2 failed: 10 s for it, 5 s for layer 1
				{11 * s, 3_000_000, 0}, // within both
				{12 * s, 3_000_000, 1},
				{16 * s, 3_000_000, 1},
				{17 * s, 3_000_000, 2},
			},
		},
		{
			name: "a layer is kept while the total fits, without headroom",
			calls: []call{
				{0, 1_800_000, 2},
				{1 * s, 1_500_000, 2},
				{2 * s, 1_499_999, 1},
			},
		},
		{
			name: "going up needs headroom",
			calls: []call{
				{0, 1_799_999, 1},
				{1 * s, 1_800_000, 2},
			},
		},
		{
			name: "down two layers at once", pause: true,
			calls: []call{
				{0, 2_000_000, 2},
				{1 * s, 200_000, 0},
				{2 * s, 100_000, -1},
				{3 * s, 200_000, -1}, // 150k × 1.2 fits but the hold applies
				{9 * s, 200_000, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runCalls(t, NewAllocator(WithPauseOnCongestion(tt.pause)), tt.calls)
		})
	}
}

// TestNoFlapping drives estimates that wobble around each threshold many
// times a second and checks the layer changes at most once per hold time.
func TestNoFlapping(t *testing.T) {
	for _, pair := range [][2]int{
		{1_450_000, 1_550_000}, // around the cost of layer 2
		{1_750_000, 1_850_000}, // around cost × headroom of layer 2
		{1_400_000, 1_900_000}, // across both
		{450_000, 650_000},     // around layer 1
	} {
		t.Run(fmt.Sprint(pair), func(t *testing.T) {
			a := NewAllocator()
			tr := []Track{video("v", 1280, 720)}
			changes := 0
			for i := range 600 { // a minute at 10 calls a second
				d := a.Allocate(t0.Add(time.Duration(i)*100*time.Millisecond), pair[i%2], tr)
				if i > 0 && d.Layers[0] != tr[0].Current {
					changes++
				}
				tr[0].Current = d.Layers[0]
			}
			if changes > 60/5*2 {
				t.Fatalf("%d layer changes in a minute", changes)
			}
		})
	}
}

func TestForgetsTracks(t *testing.T) {
	a := NewAllocator()
	v := video("v", 1280, 720)
	a.Allocate(t0, 2_000_000, []Track{v})
	a.Allocate(t0.Add(time.Second), 1_000_000, []Track{v}) // down: held
	a.Allocate(t0.Add(2*time.Second), 1_000_000, []Track{audio("a")})
	if _, ok := a.state["v"]; ok || len(a.state) != 0 {
		t.Fatalf("state not forgotten: %v", a.state)
	}
	// Back as a new track: no hold.
	v.Current = 1
	if d := a.Allocate(t0.Add(3*time.Second), 2_000_000, []Track{v}); d.Layers[0] != 2 {
		t.Fatalf("layer %d; want 2", d.Layers[0])
	}
}

func TestTileShrinkIsNotADowngrade(t *testing.T) {
	a := NewAllocator()
	v := video("v", 1280, 720)
	d := a.Allocate(t0, 5_000_000, []Track{v})
	v.Current, v.Width, v.Height = d.Layers[0], 320, 180
	d = a.Allocate(t0.Add(time.Second), 5_000_000, []Track{v})
	if d.Layers[0] != 0 || d.Limited {
		t.Fatalf("small tile: %+v", d)
	}
	v.Current, v.Width, v.Height = d.Layers[0], 1280, 720
	if d = a.Allocate(t0.Add(2*time.Second), 5_000_000, []Track{v}); d.Layers[0] != 2 {
		t.Fatalf("tile enlarged: layer %d; want 2 at once", d.Layers[0])
	}
}

func TestOptions(t *testing.T) {
	a := NewAllocator(WithDefaultBitrates([]int{100, 200}), WithAudioBitrate(10), WithUpgradeHeadroom(2), WithUpgradeHold(time.Second))
	tr := []Track{audio("a"), with(video("v", 0, 0), func(t *Track) { t.Layers = t.Layers[:2] })}
	// Layer 1 needs the allocation with it (210) and the headroom over
	// the layer (200 × (2 − 1)): 410. A probe aims at twice the whole: 420.
	if d := a.Allocate(t0, 409, tr); !slices.Equal(d.Layers, []int{0, 0}) || d.Total != 110 || d.ProbeTarget != 420 {
		t.Fatalf("got %+v", d)
	}
	if d := a.Allocate(t0, 410, tr); !slices.Equal(d.Layers, []int{0, 1}) || d.Total != 210 {
		t.Fatalf("got %+v", d)
	}
	if d := a.Allocate(t0.Add(time.Second), 210, tr); !slices.Equal(d.Layers, []int{0, 1}) {
		t.Fatalf("kept layer dropped: %+v", d)
	}
	// Lowered after the upgrade's trial: the plain hold.
	if d := a.Allocate(t0.Add(4*time.Second), 209, tr); !slices.Equal(d.Layers, []int{0, 0}) {
		t.Fatalf("not lowered: %+v", d)
	}
	if d := a.Allocate(t0.Add(4500*time.Millisecond), 1000, tr); !slices.Equal(d.Layers, []int{0, 0}) {
		t.Fatalf("raised within the hold: %+v", d)
	}
	if d := a.Allocate(t0.Add(5*time.Second), 1000, tr); !slices.Equal(d.Layers, []int{0, 1}) {
		t.Fatalf("not raised after the hold: %+v", d)
	}
}

func BenchmarkAllocate(b *testing.B) {
	var tracks []Track
	for i := range 12 {
		tracks = append(tracks, audio(fmt.Sprint("a", i)))
		v := video(fmt.Sprint("v", i), 1280>>(i%3), 720>>(i%3))
		v.Screen = i == 5
		tracks = append(tracks, v)
	}
	a := NewAllocator()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := a.Allocate(t0.Add(time.Duration(i)*100*time.Millisecond), 2_000_000+i%7*300_000, tracks)
		for j := range tracks {
			tracks[j].Current = d.Layers[j]
		}
		i++
	}
}

// TestTemporalLayers: frame-rate steps of a resolution are listed before
// the next resolution, so under pressure the frame rate goes first, and a
// tile that fits a resolution gets it at its full frame rate.
func TestTemporalLayers(t *testing.T) {
	ladder := func(w, h int) Track {
		tr := Track{ID: "v", Kind: Video, Width: w, Height: h, Current: -1}
		for s, res := range [][3]int{{320, 180, 150_000}, {640, 360, 500_000}} {
			for tl, share := range []int{50, 75, 100} {
				tr.Layers = append(tr.Layers, Layer{Bitrate: res[2] * share / 100, Width: res[0], Height: res[1], Temporal: tl})
			}
			_ = s
		}
		return tr
	}
	tests := []struct {
		name     string
		w, h     int
		estimate int
		want     int
	}{
		{"plenty, large tile: top resolution, full rate", 1280, 720, 10_000_000, 5},
		{"plenty, small tile: its resolution at full rate", 320, 180, 10_000_000, 2},
		{"a little short: frame rate goes first", 1280, 720, 500_000*75/100*12/10 + 1, 4},
		{"shorter: the smaller resolution at full rate", 1280, 720, 200_000, 2},
		// 640x360 at a quarter rate (250k × 1.2 = 300k) would fit, but
		// frame rate comes first: 320x180 at its full rate.
		{"a higher resolution is not entered at its quarter rate", 1280, 720, 400_000, 2},
		{"it is entered at its half rate", 1280, 720, 375_000 * 12 / 10, 4},
		{"the lowest resolution keeps its quarter rate", 1280, 720, 80_000 * 12 / 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewAllocator().Allocate(t0, tt.estimate, []Track{ladder(tt.w, tt.h)})
			if d.Layers[0] != tt.want {
				t.Fatalf("layer %d, want %d", d.Layers[0], tt.want)
			}
		})
	}
}

// TestRounds: videos go up one step each in turn, so equal tiles share the
// link evenly, and a higher frame rate of the resolution a video already has
// needs no headroom (no keyframe to wait for, undone at once).
func TestRounds(t *testing.T) {
	// 320x180 at 75, 112 and 150 kbit/s (a quarter, half and full frame
	// rate), 640x360 at 250, 375 and 500.
	ladder := func(id string, current int) Track {
		tr := Track{ID: id, Kind: Video, Width: 1280, Height: 720, Current: current}
		for _, res := range [][3]int{{320, 180, 150_000}, {640, 360, 500_000}} {
			for tl, share := range []int{50, 75, 100} {
				tr.Layers = append(tr.Layers, Layer{Bitrate: res[2] * share / 100, Width: res[0], Height: res[1], Temporal: tl})
			}
		}
		return tr
	}
	tests := []struct {
		name     string
		current  int
		estimate int
		want     []int
	}{
		// One at a time, the first would take 640x360 at half rate
		// (375k + 150k + 20 % of 375k = 600k) and leave the second at
		// 180p half rate.
		{"both at 180p full rate before either at 360p", -1, 599_999, []int{2, 2}},
		{"both at 360p half rate when it fits", -1, 750_000 * 12 / 10, []int{4, 4}},
		// From a quarter rate, 300k carries both at full rate with no
		// headroom: 250k would be left with it.
		{"frame-rate steps need only fit", 0, 300_000, []int{2, 2}},
		{"a new resolution needs headroom", 2, 599_999, []int{2, 2}},
		// The headroom is over the layer entered, not over the whole
		// allocation (that would be 630k).
		{"the headroom is over the layer entered", 2, 600_000, []int{4, 2}},
	}
	// What a video has is kept before another goes up: a at a half
	// frame rate, b at the full one, and room for no more. Rounds alone
	// raised a first (the larger tile) and left b without its layer.
	t.Run("a video keeps its layer before another goes up", func(t *testing.T) {
		a, b := ladder("a", 1), ladder("b", 2)
		b.Width, b.Height = 1280, 700
		d := NewAllocator().Allocate(t0, 270_000, []Track{a, b})
		if !slices.Equal(d.Layers, []int{1, 2}) {
			t.Fatalf("layers %v, want [1 2]", d.Layers)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewAllocator().Allocate(t0, tt.estimate, []Track{ladder("a", tt.current), ladder("b", tt.current)})
			if !slices.Equal(d.Layers, tt.want) {
				t.Fatalf("layers %v, want %v", d.Layers, tt.want)
			}
		})
	}
}

// TestKeyframeRoom: a new resolution needs room for its first keyframe on
// top of the allocation, where that is more than the headroom; a probe aims
// that high.
func TestKeyframeRoom(t *testing.T) {
	track := func(keyframe int) Track {
		tr := Track{ID: "v", Kind: Video, Width: 1280, Height: 720, Current: 2}
		for _, res := range [][4]int{{320, 180, 150_000, 40_000}, {640, 360, 500_000, keyframe}} {
			for tl, share := range []int{50, 75, 100} {
				tr.Layers = append(tr.Layers, Layer{Bitrate: res[2] * share / 100, Width: res[0], Height: res[1], Temporal: tl, Keyframe: res[3]})
			}
		}
		return tr
	}
	tests := []struct {
		name      string
		keyframe  int
		estimate  int
		want      int
		wantProbe int
	}{
		// 375k at half rate: 450k with the headroom, 575k with a 200k keyframe.
		{"unknown keyframe: the headroom", 0, 460_000, 4, 600_000},
		{"a keyframe larger than the headroom holds it back", 200_000, 460_000, 2, 575_000},
		{"with room for it, it goes", 200_000, 575_000, 4, 600_000}, // then full rate: 500k + 20 %
	}
	// Two videos entering 360p at once: their two keyframes come in the
	// same second. At 1.1M, a enters at half rate (525k, 725k with its
	// keyframe); b beside it would make 750k and 950k with its own
	// keyframe, but 1.15M with a's too, so it waits, and a takes the
	// full rate instead (650k, 850k). At 1.2M both enter at half rate.
	t.Run("two entering at once need room for both keyframes", func(t *testing.T) {
		a, b := track(200_000), track(200_000)
		b.ID = "w"
		if d := NewAllocator().Allocate(t0, 1_100_000, []Track{a, b}); !slices.Equal(d.Layers, []int{5, 2}) {
			t.Fatalf("layers %v, want [5 2]: the second waits", d.Layers)
		}
		if d := NewAllocator().Allocate(t0, 1_200_000, []Track{a, b}); !slices.Equal(d.Layers, []int{4, 4}) {
			t.Fatalf("layers %v, want [4 4]", d.Layers)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewAllocator().Allocate(t0, tt.estimate, []Track{track(tt.keyframe)})
			if d.Layers[0] != tt.want || d.ProbeTarget != tt.wantProbe {
				t.Fatalf("layer %d, probe target %d; want %d, %d", d.Layers[0], d.ProbeTarget, tt.want, tt.wantProbe)
			}
		})
	}
}

// TestFrameRateStepIsNoFailedUpgrade: a higher frame rate lowered again
// soon after is held back by neither hold: it costs no keyframe either
// way, and undoing it is no failed upgrade.
func TestFrameRateStepIsNoFailedUpgrade(t *testing.T) {
	tr := Track{ID: "v", Kind: Video, Width: 320, Height: 180, Current: 1}
	for tl, share := range []int{50, 75, 100} {
		tr.Layers = append(tr.Layers, Layer{Bitrate: 150_000 * share / 100, Width: 320, Height: 180, Temporal: tl})
	}
	a := NewAllocator()
	calls := []struct {
		at       time.Duration
		estimate int
		want     int
	}{
		{0, 200_000, 2},
		{time.Second, 130_000, 1},     // lowered within the trial
		{2 * time.Second, 200_000, 2}, // back at once: a frame rate is never held
		{3 * time.Second, 130_000, 1},
		{4 * time.Second, 200_000, 2}, // and lowering it was no failure
	}
	for _, c := range calls {
		d := a.Allocate(t0.Add(c.at), c.estimate, []Track{tr})
		if d.Layers[0] != c.want {
			t.Fatalf("at %v: layer %d, want %d", c.at, d.Layers[0], c.want)
		}
		tr.Current = d.Layers[0]
	}
}

// TestLowerFrameRateHoldsNothing: a video whose frame rate was lowered
// may enter a higher resolution as soon as the estimate allows, as a
// video that was not lowered may. When a lowered frame rate held its
// video 5 s, a stale estimate just after a link widened lowered one of
// two videos and the other climbed to 720p alone meanwhile.
func TestLowerFrameRateHoldsNothing(t *testing.T) {
	a := NewAllocator()
	tr := []Track{twoResolutions()}
	for _, c := range []call{
		{0, 200_000, 2},                 // 320x180 at its full rate
		{time.Second, 130_000, 1},       // lowered to its half rate
		{2 * time.Second, 1_000_000, 5}, // 640x360 at once
	} {
		d := a.Allocate(t0.Add(c.at), c.estimate, tr)
		if d.Layers[0] != c.want {
			t.Fatalf("at %v, estimate %d: step %d, want %d", c.at, c.estimate, d.Layers[0], c.want)
		}
		tr[0].Current = d.Layers[0]
	}
}

// twoResolutions is a track of 320x180 and 640x360, each at three frame
// rates: steps 0-2 cost 75k, 112.5k, 150k; 3-5 cost 250k, 375k, 500k.
func twoResolutions() Track {
	tr := Track{ID: "v", Kind: Video, Width: 1280, Height: 720, Current: -1}
	for _, res := range [][3]int{{320, 180, 150_000}, {640, 360, 500_000}} {
		for tl, share := range []int{50, 75, 100} {
			tr.Layers = append(tr.Layers, Layer{Bitrate: res[2] * share / 100, Width: res[0], Height: res[1], Temporal: tl})
		}
	}
	return tr
}

// TestFellBackIsAFailedUpgrade: a track that fell back on its own from a
// resolution it had just entered (sfu: its first frames were lost) is held
// as after a failed upgrade: the lower resolution's frame rates after the
// plain hold, the one it left after the longer one, though the estimate
// alone would let it straight back.
func TestFellBackIsAFailedUpgrade(t *testing.T) {
	s := time.Second
	a := NewAllocator()
	tr := []Track{twoResolutions()}
	tr[0].Current = 1
	if d := a.Allocate(t0, 1_000_000, tr); d.Layers[0] != 5 {
		t.Fatalf("plenty: step %d, want 5", d.Layers[0])
	}
	tr[0].Current, tr[0].FellBack = 1, true
	steps := []struct {
		at   time.Duration
		want int
	}{
		{1 * s, 2},  // fell back: 320x180's frame rates at once (no keyframe, never held)
		{6 * s, 2},  // 640x360 waits the longer hold, not the plain one
		{10 * s, 2}, //
		{12 * s, 5},
	}
	for i, st := range steps {
		d := a.Allocate(t0.Add(st.at), 1_000_000, tr)
		if d.Layers[0] != st.want {
			t.Fatalf("call %d (t=%v): step %d, want %d", i, st.at, d.Layers[0], st.want)
		}
		tr[0].Current, tr[0].FellBack = d.Layers[0], false
	}
}

// TestHoldUpgrades: while upgrades are held (congestion just cut the
// estimate, the link's queue is draining), no track enters a higher
// resolution, though a higher frame rate of the one it has may still go;
// after, it may. In TestBrowserSimulcastNarrowLink an upgrade to 640x360
// was made at 221 kbit/s a quarter second after a cut, and its keyframe
// was lost in the 300 kbit/s link's queue.
func TestHoldUpgrades(t *testing.T) {
	a := NewAllocator()
	tr := []Track{twoResolutions()}
	tr[0].Current = 0
	a.HoldUpgrades(t0.Add(time.Second))
	if d := a.Allocate(t0, 1_000_000, tr); d.Layers[0] != 2 {
		t.Fatalf("held: step %d, want 2 (320x180 at its full rate)", d.Layers[0])
	}
	tr[0].Current = 2
	if d := a.Allocate(t0.Add(time.Second), 1_000_000, tr); d.Layers[0] != 5 {
		t.Fatalf("after the hold: step %d, want 5", d.Layers[0])
	}
}

// TestResolutionBeforeAnothersFrameRate: two equal tiles, a at 720p full
// rate, b at 360p full rate (the step link's measured ladder, about). A
// higher frame rate of a's resolution does not keep b out of it: b enters
// 720p wherever both fit at half rate with b's keyframe, and a keeps its
// full rate only where that fits too.
func TestResolutionBeforeAnothersFrameRate(t *testing.T) {
	ladder := func(id string, current int) Track {
		tr := Track{ID: id, Kind: Video, Width: 960, Height: 540, Current: current}
		for _, res := range []struct {
			w, h  int
			steps [3]int
		}{{320, 180, [3]int{45_000, 70_000, 110_000}}, {640, 360, [3]int{140_000, 250_000, 460_000}}, {1280, 720, [3]int{300_000, 560_000, 1_000_000}}} {
			for tl, b := range res.steps {
				tr.Layers = append(tr.Layers, Layer{Bitrate: b, Width: res.w, Height: res.h, Temporal: tl, Keyframe: 400_000})
			}
		}
		return tr
	}
	tests := []struct {
		name     string
		estimate int
		want     []int
	}{
		// b's entry: 560k + 560k + its keyframe (400k) = 1.52M; a at
		// full rate beside it, 1.56M; as they were, 1.46M. Giving a
		// back all it had first left b at 360p in all three.
		{"both at 720p half rate where a's full rate does not fit with it", 1_530_000, []int{7, 7}},
		{"a keeps its full rate where it fits beside b's 720p", 1_600_000, []int{8, 7}},
		{"b stays at 360p where its entry does not fit", 1_500_000, []int{8, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewAllocator().Allocate(t0, tt.estimate, []Track{ladder("a", 8), ladder("b", 5)})
			if !slices.Equal(d.Layers, tt.want) {
				t.Fatalf("layers %v, want %v", d.Layers, tt.want)
			}
		})
	}
}
