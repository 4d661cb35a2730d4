package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/redistest"
)

// serveEnv makes the test binary a server process: the value is its
// arguments, separated by newlines. It prints "listening ADDR" once it
// listens, and stops on SIGTERM, as the real binary does.
const serveEnv = "SWITCHBOARD_TEST_SERVE"

func serveForTest(args string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, strings.Split(args, "\n"), os.Stderr, func(a net.Addr) { fmt.Printf("listening %s\n", a) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 2
	}
	return 0
}

// serverProcess is the server in a process of its own (this test binary,
// through serveEnv), so that a test can kill it as a crash would.
type serverProcess struct {
	cmd  *exec.Cmd
	addr string
}

func startServerProcess(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"--listen", "127.0.0.1:0", "--ice-ips", "127.0.0.1", "--udp-port", freeUDPPort(t), "--log-level", "warn"}, args...)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+strings.Join(all, "\n"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd}
	t.Cleanup(p.kill)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	select {
	case p.addr = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatalf("server process %v did not start", args)
	}
	return p
}

// kill ends the process at once (SIGKILL): no goodbye to anyone.
func (p *serverProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

func (p *serverProcess) wsURL() string { return "ws://" + p.addr + "/ws" }

// TestClusterNodeKilled: three server processes share a Redis and a room,
// one participant publishing on each. When one process is killed with
// SIGKILL, the other nodes' participants see its participant leave within
// 10 s and keep receiving each other.
func TestClusterNodeKilled(t *testing.T) {
	rs := redistest.Start(t)
	var nodes []*serverProcess
	for i := range 3 {
		nodes = append(nodes, startServerProcess(t, "--redis", rs.URL(), "--cluster-secret", "s3cret",
			"--node-id", fmt.Sprintf("k%d", i+1)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var clients []*bench.Client
	for i, n := range nodes {
		c, err := bench.Dial(ctx, n.wsURL(), "crash", bench.WithName(fmt.Sprintf("p%d", i+1)),
			bench.WithICEIPs([]string{"127.0.0.1"}))
		if err != nil {
			t.Fatalf("dial node %d: %v", i+1, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		a, err := bench.NewSyntheticAudio()
		if err != nil {
			t.Fatal(err)
		}
		v, err := bench.NewSyntheticVideo()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, a, v); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	received := func(c, from *bench.Client, kind string) uint64 {
		for _, r := range c.RemoteTracksFrom(from.ID()) {
			if r.Kind.String() == kind {
				return r.Stats().Distinct
			}
		}
		return 0
	}
	for _, c := range clients {
		err := c.WaitUntil(ctx, func() bool {
			for _, o := range clients {
				if o != c && (received(c, o, "audio") < 50 || received(c, o, "video") < 50) {
					return false
				}
			}
			return true
		})
		if err != nil {
			t.Fatalf("%s: media from every other node: %v", c.ID(), err)
		}
	}

	nodes[2].kill()
	killed := time.Now()
	gone := clients[2].ID()
	for _, c := range clients[:2] {
		err := c.WaitUntil(ctx, func() bool {
			for _, p := range c.Participants() {
				if p.ID == gone {
					return false
				}
			}
			return true
		})
		if err != nil {
			t.Fatalf("%s still sees %s: %v", c.ID(), gone, err)
		}
		if d := time.Since(killed); d > 10*time.Second {
			t.Errorf("%s saw the killed node's participant leave after %v, want within 10 s", c.ID(), d)
		}
	}
	t.Logf("the killed node's participant left everyone's view after %v", time.Since(killed).Round(10*time.Millisecond))
	// The two others still hear and see each other.
	for i, c := range clients[:2] {
		o := clients[1-i]
		before := received(c, o, "video")
		if err := c.WaitUntil(ctx, func() bool { return received(c, o, "video") > before+25 }); err != nil {
			t.Fatalf("%s stopped receiving %s after the kill: %v", c.ID(), o.ID(), err)
		}
	}
}
