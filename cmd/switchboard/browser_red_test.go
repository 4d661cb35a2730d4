package main

import (
	"fmt"
	"testing"
	"time"
)

// noREDJS makes the page refuse redundant audio: every remote description
// it is given loses its audio/red payload types, so what it answers (and
// the server's answers it applies) has Opus alone. Test code only: a
// browser that cannot do RED, beside ones that can.
const noREDJS = `(() => {
  const strip = (sdp) => {
    let out = sdp;
    for (const [, pt] of sdp.matchAll(/a=rtpmap:(\d+) red\/48000/gi)) {
      out = out.replace(new RegExp('^a=(rtpmap|fmtp|rtcp-fb):' + pt + ' .*\\r\\n', 'gm'), '')
        .replace(/^(m=audio \S+ \S+)((?: \d+)+)/gm, (_, head, pts) => head + pts.split(' ').filter((p) => p !== pt).join(' '));
    }
    return out;
  };
  const set = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description, ...rest) {
    if (description && description.sdp && description.type !== 'rollback') {
      description = {type: description.type, sdp: strip(description.sdp)};
    }
    return set.call(this, description, ...rest);
  };
  return true;
})()`

// audioFromJS sums the page's inbound audio RTP from one participant:
// payload bytes, packets and samples decoded. (inbound-rtp's codec names
// the decoder's, Opus, whether or not the packets came wrapped in RED: the
// size of the payloads tells.)
const audioFromJS = `(async (pid) => {
  const room = window.switchboardRoom, owner = {};
  for (const r of room.remoteTracks.values()) owner[r.mid] = r.participantId;
  const stats = await room.pc.getStats();
  let bytes = 0, packets = 0, samples = 0;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && owner[s.mid] === pid) {
      bytes += s.bytesReceived || 0;
      packets += s.packetsReceived || 0;
      samples += s.totalSamplesReceived || 0;
    }
  });
  return {bytes, packets, samples};
})`

type audioFrom struct {
	Bytes, Packets, Samples int64
}

// TestBrowserREDAudio: Chromium publishes its microphone as redundant
// audio (RFC 2198: switchboard.js puts audio/red first); the server
// forwards it as RED to a Chromium that negotiated it and unwraps it to
// Opus for one that did not (its remote descriptions stripped of RED).
// Both decode it; the RED one's payloads are at least 1.5 times the
// size of the Opus one's (each carries the previous frame too: TestREDAudio,
// with Pion peers, measured 165 against 80 bytes).
func TestBrowserREDAudio(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(120 * time.Second)
	// Without bandwidth estimation: with it, a subscriber whose estimate
	// dips under 1 Mbit/s on a loaded machine gets RED's primary block
	// alone (lean audio, tested on its own), and the sizes compared here
	// mix the two (68.6 against 62.3 bytes in a fresh-clone CI run).
	base := startServer(t, "--bwe=false")
	browser := newBrowser(t, chromium)
	room := roomName(t)
	pub := openTab(t, browser, "Alice", deadline)
	red := openTab(t, browser, "Bob", deadline)
	opus := openTab(t, browser, "Carol", deadline)
	pubID := joinMeeting(t, pub, base, room, "Alice")
	joinMeeting(t, red, base, room, "Bob")
	joinMeetingWith(t, opus, base, room, "Carol", noREDJS)
	sample := func(tb *tab) audioFrom {
		t.Helper()
		a, err := eval[audioFrom](tb, `(`+audioFromJS+`)('`+pubID+`')`)
		if err != nil {
			t.Fatalf("tab %s: %v", tb.name, err)
		}
		return a
	}
	// Past the start (the first packets, DTX settling): 50 packets in.
	for _, tb := range []*tab{red, opus} {
		tb.waitFor("Alice's audio", `(`+audioFromJS+`)('`+pubID+`').then((a) => a.packets >= 50)`, 30*time.Second)
	}
	before := [2]audioFrom{sample(red), sample(opus)}
	// 250 more packets each: five seconds of audio (50 a second), several
	// of the fake microphone's beeps and the silences between.
	for i, tb := range []*tab{red, opus} {
		tb.waitFor("250 more packets of Alice's audio", fmt.Sprintf(`(`+audioFromJS+`)('%s').then((a) => a.packets >= %d)`, pubID, before[i].Packets+250), 30*time.Second)
	}
	after := [2]audioFrom{sample(red), sample(opus)}
	var perPacket [2]float64
	for i, name := range []string{"RED", "Opus"} {
		d := audioFrom{after[i].Bytes - before[i].Bytes, after[i].Packets - before[i].Packets, after[i].Samples - before[i].Samples}
		perPacket[i] = float64(d.Bytes) / float64(d.Packets)
		t.Logf("%s subscriber: %d packets, %.1f payload bytes each, %d samples decoded", name, d.Packets, perPacket[i], d.Samples)
		if d.Samples == 0 {
			t.Errorf("%s subscriber decoded no audio", name)
		}
	}
	if perPacket[0] < 1.5*perPacket[1] {
		t.Errorf("RED subscriber's payloads are %.1f bytes, the Opus one's %.1f: want at least 1.5 times (RED not forwarded, or not unwrapped)", perPacket[0], perPacket[1])
	}
}
