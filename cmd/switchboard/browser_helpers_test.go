package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// requireBrowser returns the path of Chromium, or skips the test (fails it
// under CI=true) when Chromium or the network namespace is missing.
func requireBrowser(t *testing.T) string {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv("CI") == "true" {
		unavailable = t.Fatalf
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if os.Getenv(netnsEnv) != "1" {
		unavailable("browser tests run only in a network namespace holding only lo: %s", netnsProblem)
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	unavailable("browser tests need Chromium: apt-get install chromium (make test-deps does it)")
	return ""
}

// syncBuffer is a bytes.Buffer that goroutines can write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Printf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(&b.buf, format, args...)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns at most the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines left out ...]\n", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "")
}

// startServer runs the server on a free loopback port, with media on
// loopback only, and returns its base URL; extra flags are added to (and
// for single-valued flags override) those. The server's log is shown when
// the test fails.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	base, _ := startStoppableServer(t, extra...)
	return base
}

// startStoppableServer is startServer that also returns a function that
// shuts the server down gracefully, as SIGTERM does (its clients are told:
// bye, or in a cluster a redirect), and waits until run has returned. The
// test's cleanup calls it too; calling it again does nothing.
func startStoppableServer(t *testing.T, extra ...string) (string, func()) {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args := append([]string{"--listen", "127.0.0.1:0", "--ice-ips", "127.0.0.1", "--udp-port", freeUDPPort(t), "--log-level", "debug"}, extra...)
	go func() {
		done <- run(ctx, args, logs, func(addr net.Addr) { addrs <- addr })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		cancel()
		t.Fatalf("run %v: %v\n%s", args, err, logs)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("run %v: not listening after 15 s\n%s", args, logs)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("run did not return 15 s after its context was canceled")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		// DEBUG_SERVER_LOG=file keeps the whole server log (debug level) of
		// a passing run too, for looking into a test's media behaviour.
		if f := os.Getenv("DEBUG_SERVER_LOG"); f != "" {
			_ = os.WriteFile(f, []byte(logs.String()), 0o644)
		}
		if t.Failed() {
			t.Logf("server %v log:\n%s", args, tail(logs.String(), 400))
		}
	})
	return "http://" + addr.String(), stop
}

// newBrowser starts one headless Chromium for the test with a fake camera
// and microphone; tabs are opened from the context it returns. extra
// options come last, so a flag there replaces the one here.
func newBrowser(t *testing.T, execPath string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Run starts the browser; its life is that of browserCtx.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return browserCtx
}

// tab is one page of the browser, with its console recorded.
type tab struct {
	t        *testing.T
	name     string
	ctx      context.Context // the tab; actions run with a deadline derived from it
	deadline time.Time
	console  *syncBuffer
}

// openTab opens a new tab named name (for messages) whose actions must end
// by deadline. Its console is shown when the test fails.
func openTab(t *testing.T, browser context.Context, name string, deadline time.Time) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	tb := &tab{t: t, name: name, ctx: ctx, deadline: deadline, console: &syncBuffer{}}
	messages := chromedp.Console(ctx) // opens the tab and subscribes
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.console.Printf("%s %s\n", m.Time.Format("15:04:05.000"), m)
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
			state, err := chromedp.Run(ctx, chromedp.Evaluate[string](pcStateJS, chromedp.EvalAwaitPromise))
			cancel()
			if err != nil {
				state = err.Error()
			}
			t.Logf("tab %s: %s\nconsole:\n%s", name, state, tail(tb.console.String(), 150))
		}
		cancel()
	})
	return tb
}

// pcStateJS describes the page's RTCPeerConnection, for failure reports.
const pcStateJS = `(async () => {
  const room = window.switchboardRoom, pc = room && room.pc;
  if (!pc) return 'state ' + document.body.dataset.state + ', no RTCPeerConnection';
  const ufrag = (d) => d ? (/a=ice-ufrag:(\S+)/.exec(d.sdp) || [])[1] : '-';
  const lines = ['state ' + document.body.dataset.state + ', pc ' + pc.signalingState + '/' + pc.iceGatheringState + '/' + pc.iceConnectionState + '/' + pc.connectionState +
    ', ufrag local ' + ufrag(pc.currentLocalDescription) + ' remote ' + ufrag(pc.currentRemoteDescription)];
  lines.push('transceivers: ' + pc.getTransceivers().map((t) => t.mid + ':' + t.direction + '/' + t.currentDirection + ':' + (t.receiver.track && t.receiver.track.kind)).join(' '));
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === 'candidate-pair') lines.push('pair ' + s.state + (s.nominated ? ' nominated' : '') + ' sent ' + s.bytesSent + ' received ' + s.bytesReceived);
    if (s.type === 'local-candidate' || s.type === 'remote-candidate') lines.push(s.type + ' ' + s.protocol + ' ' + s.address + ':' + s.port + ' ' + s.candidateType);
  });
  return lines.join("\n");
})()`

func (tb *tab) actionCtx() (context.Context, context.CancelFunc) {
	return context.WithDeadline(tb.ctx, tb.deadline)
}

// do runs actions in the tab and fails the test on error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.actionCtx()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("tab %s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](tb *tab, expr string) (T, error) {
	ctx, cancel := tb.actionCtx()
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// waitFor polls a JavaScript expression until it is true, for at most
// timeout (and never past the tab's deadline).
func (tb *tab) waitFor(what, expr string, timeout time.Duration) time.Duration {
	tb.t.Helper()
	start := time.Now()
	end := start.Add(timeout)
	if end.After(tb.deadline) {
		end = tb.deadline
	}
	var last error
	for time.Now().Before(end) {
		ok, err := eval[bool](tb, expr)
		if err == nil && ok {
			return time.Since(start)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("tab %s: %s: not true after %v (%s; last error %v)", tb.name, what, time.Since(start).Round(time.Millisecond), expr, last)
	return 0
}

// screenshot saves a PNG of the tab in SWITCHBOARD_SCREENSHOT_DIR, or in a
// temporary directory of the test, and returns its path.
func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	dir := os.Getenv("SWITCHBOARD_SCREENSHOT_DIR")
	if dir == "" {
		dir = tb.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	ctx, cancel := tb.actionCtx()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("tab %s: screenshot: %v", tb.name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return path
}

// participantID is the participant id a joined tab's room has.
func participantID(t *testing.T, tb *tab) string {
	t.Helper()
	id, err := eval[string](tb, `window.switchboardRoom.participantId`)
	if err != nil {
		t.Fatalf("tab %s: %v", tb.name, err)
	}
	return id
}
