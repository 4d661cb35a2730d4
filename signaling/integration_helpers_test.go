package signaling_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/mediatest"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
)

// loopback keeps every test's media on 127.0.0.1, server and clients alike.
const loopback = "127.0.0.1"

// testLogger logs at warn, or at the level in SWITCHBOARD_TEST_LOG (debug,
// info), into the test's output.
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("SWITCHBOARD_TEST_LOG"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			t.Fatalf("SWITCHBOARD_TEST_LOG: %v", err)
		}
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// checkLeaks fails the test if a goroutine started during it outlives its
// cleanups. Call it first: cleanups run last-registered first, so this one
// runs after the clients and the server are closed. Goroutines that existed
// before the test (other tests' leftovers, the runtime's) are ignored.
func checkLeaks(t *testing.T) {
	t.Helper()
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
}

type testServer struct {
	sfu *sfu.SFU
	url string
}

// newServer starts an SFU and its signaling handler on an httptest server;
// cleanup shuts the handler down (bye to every session), then both servers.
func newServer(t *testing.T, opts ...sfu.Option) *testServer {
	t.Helper()
	log := testLogger(t).With("side", "server")
	if v := os.Getenv("SWITCHBOARD_TEST_SERVER_LOG"); v != "" {
		var level slog.Level
		if err := level.UnmarshalText([]byte(v)); err != nil {
			t.Fatalf("SWITCHBOARD_TEST_SERVER_LOG: %v", err)
		}
		log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level})).With("side", "server")
	}
	s, err := sfu.New(append([]sfu.Option{sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatalf("sfu.New: %v", err)
	}
	return serve(t, signaling.NewHandler(s, signaling.WithLogger(log)), s)
}

// serve runs h, a handler of s, on an httptest server; cleanup shuts the
// handler down (bye to every session), then both servers.
func serve(t *testing.T, h *signaling.Handler, s *sfu.SFU) *testServer {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("handler shutdown: %v", err)
		}
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("sfu close: %v", err)
		}
	})
	return &testServer{sfu: s, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

// dial joins room as name; the client is closed at cleanup (before the
// server, since it was registered after it).
func (s *testServer) dial(ctx context.Context, t *testing.T, room, name string, opts ...bench.Option) *bench.Client {
	t.Helper()
	c, err := s.tryDial(ctx, t, room, name, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	return c
}

// tryDial is dial for goroutines other than the test's: it reports instead
// of failing.
func (s *testServer) tryDial(ctx context.Context, t *testing.T, room, name string, opts ...bench.Option) (*bench.Client, error) {
	base := []bench.Option{
		bench.WithName(name),
		bench.WithICEIPs([]string{loopback}),
		bench.WithLogger(testLogger(t).With("side", "client", "name", name)),
	}
	c, err := bench.Dial(ctx, s.url, room, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Logf("closing %s: %v", name, err)
		}
	})
	return c, nil
}

// media is what one client publishes.
type media struct {
	audio *bench.SyntheticAudio
	video *bench.SyntheticVideo
}

// publish starts synthetic Opus and VP8 on c.
func publish(ctx context.Context, c *bench.Client, videoOpts ...bench.SyntheticOption) (media, error) {
	a, err := bench.NewSyntheticAudio()
	if err != nil {
		return media{}, err
	}
	v, err := bench.NewSyntheticVideo(videoOpts...)
	if err != nil {
		return media{}, err
	}
	if err := c.Publish(ctx, a, v); err != nil {
		return media{}, err
	}
	return media{audio: a, video: v}, nil
}

// The media checks are internal/mediatest's, shared with the cluster tests.
var (
	trackFrom       = mediatest.TrackFrom
	receivedFromAll = mediatest.ReceivedFromAll
	describe        = mediatest.Describe
)

// checkIntact fails the test if any remote track of c saw a damaged payload
// or carries c's own media.
func checkIntact(t *testing.T, c *bench.Client) {
	t.Helper()
	for _, r := range c.RemoteTracks() {
		if r.ParticipantID == c.ID() {
			t.Errorf("%s receives its own %s track %s", c.ID(), r.Kind, r.ID)
		}
		if s := r.Stats(); s.PayloadErrors > 0 {
			t.Errorf("%s: track %s from %s: %d payload errors, last: %v",
				c.ID(), r.ID, r.ParticipantID, s.PayloadErrors, r.LastPayloadError())
		}
	}
}

// meeting dials one client per name into room, each publishing audio and
// video, and waits until each has n packets of each kind from every other.
func (s *testServer) meeting(ctx context.Context, t *testing.T, room string, n uint64, names ...string) []*bench.Client {
	t.Helper()
	var clients []*bench.Client
	for _, name := range names {
		c := s.dial(ctx, t, room, name)
		if _, err := publish(ctx, c); err != nil {
			t.Fatalf("%s publish: %v", name, err)
		}
		clients = append(clients, c)
	}
	for _, c := range clients {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, clients, n) }); err != nil {
			t.Fatalf("waiting for media: %v; %s", err, describe(c, clients))
		}
	}
	return clients
}
