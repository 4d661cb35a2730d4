package main

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chatRecorderJS records, in window.got and window.errs, every data message
// the page's room receives (text, sender's identity, topic) and every error
// code the server sends it.
const chatRecorderJS = `(() => {
  const room = window.switchboardRoom;
  window.got = [];
  window.errs = [];
  room.on('dataReceived', (payload, participant, topic) => window.got.push({
    text: payload.length > 64 ? 'bytes:' + payload.length : new TextDecoder().decode(payload),
    identity: participant ? participant.identity : '', topic: topic || ''}));
  room.on('error', ({code}) => window.errs.push(code));
  return true;
})()`

// chatPerson is one tab of TestBrowserChat.
type chatPerson struct {
	identity, name string
	tab            *tab
	sid            string
}

// TestBrowserChat: three meeting pages with access tokens. A chat message
// typed in one page (Enter sends) reaches the two others with the sender's
// name and identity; a sender field forged on the data channel or on the
// signaling socket is ignored (the server stamps the real one); an
// oversized message and those past the rate get errors at their sender
// alone and reach nobody; a raised hand and a muted microphone show on the
// others' tiles and participant lists; the invite button gives the room's
// link.
func TestBrowserChat(t *testing.T) {
	chromium := requireBrowser(t)
	deadline := time.Now().Add(120 * time.Second)
	const key, secret = "chat-key", "chat-secret-for-the-browser-chat-test"
	base := startServer(t, "--api-key", key, "--api-secret", secret)
	browser := newBrowser(t, chromium)
	room := roomName(t)

	people := []*chatPerson{{identity: "alice@example.com", name: "Alice"}, {identity: "bob@example.com", name: "Bob"}, {identity: "carol@example.com", name: "Carol"}}
	for _, p := range people {
		p.tab = openTab(t, browser, p.name, deadline)
		token := mintToken(t, key, secret, room, p.identity, "--name", p.name)
		p.tab.do("opening the room", chromedp.Navigate(base+"/room/"+room+"?token="+url.QueryEscape(token)+"&name="+url.QueryEscape(p.name)))
		p.tab.waitFor("the camera preview", `(() => { const v = document.getElementById('preview'); return v.readyState >= 2 && v.videoWidth > 0; })()`, 15*time.Second)
		p.tab.do("clicking Join", chromedp.Click(chromedp.ID("join")))
		p.tab.waitFor("joining", `document.body.dataset.state === 'meeting' && !!window.switchboardRoom && !!window.switchboardRoom.participantId`, 20*time.Second)
		if _, err := eval[bool](p.tab, chatRecorderJS); err != nil {
			t.Fatal(err)
		}
		sid := participantID(t, p.tab)
		p.sid = sid
	}
	alice, bob, carol := people[0], people[1], people[2]
	// Everyone sees the two others by identity, and the data channels are
	// up (the SCTP association carries both; they are negotiated, so they
	// open with it).
	for _, p := range people {
		took := p.tab.waitFor("the others and the data channels", `(() => { const r = window.switchboardRoom;
			return r.remoteParticipants.size === 2 && r.pc.sctp && r.pc.sctp.state === 'connected' &&
				[...r.remoteParticipants].every(([k, v]) => k === v.identity && k.endsWith('@example.com') && v.sid !== k); })()`, 20*time.Second)
		t.Logf("%s: others and data channels after %v", p.name, took.Round(time.Millisecond))
	}

	// Alice types in the chat; Bob's and Carol's pages show it, with her name
	// and identity, and Bob's closed panel counts it unread.
	alice.tab.do("opening the chat", chromedp.Click(chromedp.ID("toggle-chat")))
	alice.tab.do("typing", chromedp.SendKeys(chromedp.ID("chat-input"), "hello from alice\r"))
	for _, p := range []*chatPerson{bob, carol} {
		p.tab.waitFor("Alice's chat message", `(() => { const li = document.querySelector('#chat-log li[data-kind="message"][data-identity="alice@example.com"]');
			return !!li && li.querySelector('.chat-name').textContent === 'Alice' && li.querySelector('.chat-text').textContent === 'hello from alice' &&
				li.querySelector('.chat-time').textContent !== ''; })()`, 10*time.Second)
	}
	bob.tab.waitFor("the unread badge", `document.getElementById('chat-unread').textContent === '1' && !document.getElementById('chat-unread').hidden`, 5*time.Second)
	alice.tab.waitFor("her own message in her log", `document.querySelector('#chat-log li[data-kind="message"] .chat-text')?.textContent === 'hello from alice' && document.getElementById('chat-input').value === ''`, 5*time.Second)

	// Forged senders: a frame on the data channel naming Bob (the channel is
	// the library's internal; no API sends a forged frame), and a signaling
	// data message naming him. Then a marker.
	forge := fmt.Sprintf(`(() => { const r = window.switchboardRoom;
		const header = new TextEncoder().encode(JSON.stringify({topic: 'chat', from: %[1]q, fromId: %[2]q}));
		const frame = new Uint8Array(3 + header.length + 6);
		frame.set([1, header.length >> 8, header.length & 255]); frame.set(header, 3); frame.set(new TextEncoder().encode('forged'), 3 + header.length);
		r._dataChannels.reliable.send(frame);
		r._send({type: 'data', payload: btoa('forged2'), topic: 'chat', identity: %[1]q, participantId: %[2]q});
		return true; })()`, bob.identity, bob.sid)
	if _, err := eval[bool](alice.tab, forge); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*chatPerson{bob, carol} {
		p.tab.waitFor("the forged messages, from Alice", `(() => { const g = window.got.filter((m) => m.text.startsWith('forged'));
			return g.length === 2 && g.every((m) => m.identity === 'alice@example.com'); })()`, 10*time.Second)
	}

	// Too large, then too fast: 300 messages at once against 50 a second in
	// bursts of 100 are refused from about the 101st, unless the server read
	// them over more than 4 s. Each refusal is an error at Alice alone; what
	// went through reaches both others, nothing more.
	send := `(async () => { const lp = window.switchboardRoom.localParticipant;
		await lp.publishData(new Uint8Array(16 * 1024), {topic: 'big'});
		for (let i = 0; i < 300; i++) await lp.publishData('n' + i, {topic: 'flood'});
		return true; })()`
	if _, err := eval[bool](alice.tab, send); err != nil {
		t.Fatal(err)
	}
	alice.tab.waitFor("the size refusal", `window.errs.includes('data-too-large')`, 10*time.Second)
	// Every message is either delivered or refused: wait for the sum.
	limited := waitFlood(t, alice, []*chatPerson{bob, carol}, 300, 15*time.Second)
	counts := `(() => window.got.filter((m) => m.topic === 'flood').length + ' ' + window.got.filter((m) => m.topic === 'big').length + ' ' + window.errs.length)()`
	t.Logf("flood: 300 sent, %d refused (rate-limited)", limited)
	if limited < 50 {
		t.Errorf("only %d of 300 messages refused at 50 a second, bursts of 100", limited)
	}
	for _, p := range []*chatPerson{bob, carol} {
		got, err := eval[string](p.tab, counts)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d 0 0", 300-limited); got != want {
			t.Errorf("%s: flood messages, oversized messages, errors %q; want %q", p.name, got, want)
		}
	}

	// Bob raises his hand; Carol mutes her microphone.
	bob.tab.do("raising the hand", chromedp.Click(chromedp.ID("toggle-hand")))
	carol.tab.do("muting", chromedp.Click(chromedp.ID("toggle-mic")))
	for _, p := range []*chatPerson{alice, carol} {
		p.tab.waitFor("Bob's hand on his tile and in the list", fmt.Sprintf(`!!document.querySelector('#grid .tile[data-participant-id=%q][data-hand]') &&
			!!document.querySelector('#people-list li[data-identity="bob@example.com"][data-hand="raised"]') &&
			!!window.switchboardRoom.getParticipantByIdentity('bob@example.com').attributes.hand`, bob.sid), 10*time.Second)
	}
	alice.tab.waitFor("Carol's microphone muted in the list", `!!document.querySelector('#people-list li[data-identity="carol@example.com"][data-mic="off"][data-camera="on"]') &&
		!!document.querySelector('#people-list li[data-identity="bob@example.com"][data-mic="on"]')`, 10*time.Second)
	bob.tab.waitFor("his own hand", `document.getElementById('toggle-hand').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
	bob.tab.do("lowering the hand", chromedp.Click(chromedp.ID("toggle-hand")))
	alice.tab.waitFor("Bob's hand down", fmt.Sprintf(`!document.querySelector('#grid .tile[data-participant-id=%q][data-hand]') &&
		!document.querySelector('#people-list li[data-hand]')`, bob.sid), 10*time.Second)

	// The invite link: the room's URL, on the clipboard or shown to copy.
	alice.tab.do("copying the invite link", chromedp.Click(chromedp.ID("copy-invite")))
	alice.tab.waitFor("the invite link", fmt.Sprintf(`document.querySelector('#copy-invite span').textContent === 'Link copied' ||
		document.getElementById('invite-link').value === %q`, base+"/room/"+room), 5*time.Second)
	shown, err := eval[string](alice.tab, `document.getElementById('invite-link').hidden ? 'clipboard' : document.getElementById('invite-link').value`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("invite link: %s", shown)

	// What the panels look like (SWITCHBOARD_SCREENSHOT_DIR keeps them),
	// with Carol's hand up.
	carol.tab.do("raising the hand", chromedp.Click(chromedp.ID("toggle-hand")))
	bob.tab.do("opening the participant list", chromedp.Click(chromedp.ID("toggle-people")))
	bob.tab.waitFor("the list with Carol's hand", `document.querySelectorAll('#people-list li').length === 3 && !!document.querySelector('#people-list li[data-hand]')`, 5*time.Second)
	alice.tab.waitFor("Carol's hand", `!!document.querySelector('#grid .tile[data-hand]')`, 5*time.Second)
	t.Logf("screenshots: %s, %s", alice.tab.screenshot("chat-alice.png"), bob.tab.screenshot("people-bob.png"))
}

// floodJS counts the flood's messages a page received.
const floodJS = `window.got.filter((m) => m.topic === 'flood').length`

// waitFlood waits until each receiver's count of the flood's messages plus
// the sender's rate-limited errors is sent, and returns those errors.
func waitFlood(t *testing.T, sender *chatPerson, receivers []*chatPerson, sent int, timeout time.Duration) int {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		limited, err := eval[int](sender.tab, `window.errs.filter((c) => c === 'rate-limited').length`)
		if err != nil {
			t.Fatal(err)
		}
		done := true
		var got []int
		for _, r := range receivers {
			n, err := eval[int](r.tab, floodJS)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
			done = done && n+limited == sent
		}
		if done {
			return limited
		}
		if time.Now().After(end) {
			t.Fatalf("after %v: %d refused, received %v of %d", timeout, limited, got, sent)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
