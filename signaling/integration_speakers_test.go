package signaling_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// speakerLog keeps every speakers message one client received, in order.
type speakerLog struct {
	mu    sync.Mutex
	lists [][]protocol.SpeakerInfo
}

func (l *speakerLog) handler(msg any) {
	if m, ok := msg.(*protocol.Speakers); ok {
		l.mu.Lock()
		l.lists = append(l.lists, m.Speakers)
		l.mu.Unlock()
	}
}

// since returns the lists received from index i on, and the next index.
func (l *speakerLog) since(i int) ([][]protocol.SpeakerInfo, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lists[i:], len(l.lists)
}

func first(list []protocol.SpeakerInfo) string {
	if len(list) == 0 {
		return ""
	}
	return list[0].ParticipantID
}

func inList(list []protocol.SpeakerInfo, id string) bool {
	for _, s := range list {
		if s.ParticipantID == id {
			return true
		}
	}
	return false
}

// TestActiveSpeakers: three participants publish audio with the RFC 6464
// level, one loud and two silent. Every client has the talker first within
// 2 s; a 200 ms burst, louder than the talker, from a silent one shows it
// speaking but never takes the first place; a late joiner is told the list
// at once.
func TestActiveSpeakers(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	names := []string{"talker", "quiet", "silent"}
	levels := []int{20, 127, 127}
	logs := make([]*speakerLog, len(names))
	clients := make([]*bench.Client, len(names))
	audio := make([]*bench.SyntheticAudio, len(names))
	for i, name := range names {
		logs[i] = &speakerLog{}
		clients[i] = srv.dial(ctx, t, "speakers", name, bench.WithMessageHandler(logs[i].handler))
	}
	// The silent ones first; the 2 s count from the talker's publish.
	var start time.Time
	for _, i := range []int{1, 2, 0} {
		a, err := bench.NewSyntheticAudio(bench.WithAudioLevel(levels[i]))
		if err != nil {
			t.Fatal(err)
		}
		audio[i] = a
		if i == 0 {
			start = time.Now()
		}
		if err := clients[i].Publish(ctx, a); err != nil {
			t.Fatalf("%s publish: %v", names[i], err)
		}
	}
	talker := clients[0].ID()
	for i, c := range clients {
		err := c.WaitUntil(ctx, func() bool { return first(c.Speakers()) == talker })
		if err != nil {
			t.Fatalf("%s: the talker never came first: %v; last list %v", names[i], err, c.Speakers())
		}
	}
	took := time.Since(start)
	t.Logf("the talker first on every client %v after it began publishing", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the talker first after %v, want within 2 s", took)
	}

	// The burst: 200 ms at -3 dBov from "quiet", louder than the talker,
	// once the talker holds the floor (half a second of speech takes it;
	// before that the list is by level alone). Input timing, not a wait
	// for a result.
	<-time.After(time.Until(start.Add(time.Second)))
	marks := make([]int, len(clients))
	for i := range logs {
		_, marks[i] = logs[i].since(0)
	}
	quiet := clients[1].ID()
	audio[1].SetLevel(3)
	<-time.After(200 * time.Millisecond) // the burst's length: input, not a wait for a result
	audio[1].SetLevel(127)
	// Every client sees the burst (quiet speaking), then sees it end.
	for i, c := range clients {
		err := c.WaitUntil(ctx, func() bool {
			lists, _ := logs[i].since(marks[i])
			for _, l := range lists {
				if inList(l, quiet) {
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("%s never saw the burst: %v", names[i], err)
		}
		if err := c.WaitUntil(ctx, func() bool { l := c.Speakers(); return first(l) == talker && !inList(l, quiet) }); err != nil {
			t.Fatalf("%s: the burst did not end: %v; %v", names[i], err, c.Speakers())
		}
	}
	for i := range clients {
		lists, _ := logs[i].since(marks[i])
		for _, l := range lists {
			if first(l) != talker {
				t.Errorf("%s: during the burst the list was %v: the talker lost the first place", names[i], l)
			}
		}
		t.Logf("%s: %d speakers messages in all, %d since the burst", names[i], len(logs[i].lists), len(lists))
	}

	// A late joiner hears who speaks without waiting for a change.
	late := srv.dial(ctx, t, "speakers", "late")
	if err := late.WaitUntil(ctx, func() bool { return first(late.Speakers()) == talker }); err != nil {
		t.Fatalf("late joiner: %v; %v", err, late.Speakers())
	}

	// The talker falls silent: the list empties.
	audio[0].SetLevel(127)
	for i, c := range clients {
		if err := c.WaitUntil(ctx, func() bool { l := c.Speakers(); return l != nil && len(l) == 0 }); err != nil {
			t.Fatalf("%s: the list never emptied: %v", names[i], c.Speakers())
		}
	}
	for i := range logs {
		checkRate(t, names[i], logs[i])
	}
}

// checkRate: the lists came only on changes (no two equal in a row).
func checkRate(t *testing.T, name string, l *speakerLog) {
	t.Helper()
	lists, _ := l.since(0)
	for i := 1; i < len(lists); i++ {
		if fmt.Sprint(lists[i]) == fmt.Sprint(lists[i-1]) {
			t.Errorf("%s: the same list twice in a row: %v", name, lists[i])
		}
	}
}
