package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// udpBlockedLink is a network namespace for the browser, joined to the
// test's (the server's) by a veth pair on a private /30 that exists only
// here, where nftables drops every UDP packet in and out: a network that
// lets no UDP through, as some corporate firewalls do.
type udpBlockedLink struct {
	pid      int // of the process that holds the namespace
	serverIP string
	clientIP string
	outer    string // the veth on the test's (the server's) side
	inner    string // the veth in the browser's namespace
}

// udpBlockRules drop and count UDP both ways inside the browser's namespace.
const udpBlockRules = `table inet switchboard_test {
	chain in { type filter hook input priority 0; policy accept; meta l4proto udp counter drop; }
	chain out { type filter hook output priority 0; policy accept; meta l4proto udp counter drop; }
}
`

// newUDPBlockedLink makes link number n (each its own addresses and veth
// names, so that one being torn down never collides with the next).
func newUDPBlockedLink(t *testing.T, n int) *udpBlockedLink {
	t.Helper()
	l := newVethLink(t, n)
	cmd := exec.Command("nsenter", "--net="+l.netns(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(udpBlockRules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	return l
}

// newVethLink makes link number n without the firewall: a network namespace
// joined to the test's by a veth pair (the outer end is l.outer), for tests
// that shape the link themselves. It returns once the link has settled
// (waitSettled): a browser started after that sees no network change.
func newVethLink(t *testing.T, n int) *udpBlockedLink {
	t.Helper()
	holder := exec.Command("unshare", "-n", "sleep", "600")
	startProcess(t, "a process in a network namespace of its own", holder)
	outer, inner := fmt.Sprintf("sbv%da", n), fmt.Sprintf("sbv%db", n)
	l := &udpBlockedLink{pid: holder.Process.Pid, serverIP: fmt.Sprintf("10.99.%d.1", n), clientIP: fmt.Sprintf("10.99.%d.2", n), outer: outer, inner: inner}
	// unshare may not have made the namespace yet when the holder starts.
	for i := 0; i < 100 && !l.ready(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	// No IPv6 on the link, in either namespace: the kernel would give each
	// end a link-local address, tentative until duplicate address detection
	// ends a second or two later (more on a busy machine). Chromium hears
	// that change of flags over netlink as the network changing, and fails
	// the page it is loading with net::ERR_NETWORK_CHANGED. The tests use
	// IPv4 only. The inner namespace's default applies to the veth moved in.
	steps := [][]string{
		l.inside("sh", "-c", disableIPv6("all", "default")),
		{"ip", "link", "add", outer, "type", "veth", "peer", "name", inner},
		{"sh", "-c", disableIPv6(outer)},
		{"ip", "link", "set", inner, "netns", strconv.Itoa(l.pid)},
		l.inside("sh", "-c", disableIPv6(inner)),
		{"ip", "addr", "add", l.serverIP + "/30", "dev", outer},
		{"ip", "link", "set", outer, "up"},
		l.inside("ip", "link", "set", "lo", "up"),
		l.inside("ip", "addr", "add", l.clientIP+"/30", "dev", inner),
		l.inside("ip", "link", "set", inner, "up"),
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", outer).Run() })
	for _, s := range steps {
		runCmd(t, s...)
	}
	l.waitSettled(t)
	return l
}

// disableIPv6 is a shell command that turns IPv6 off on the named
// interfaces (or all, default) of the namespace it runs in, where the kernel
// has IPv6 at all.
func disableIPv6(confs ...string) string {
	cmd := "[ ! -d /proc/sys/net/ipv6 ] && exit 0"
	for _, c := range confs {
		cmd += fmt.Sprintf("; echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6", c)
	}
	return cmd
}

// waitSettled waits until both ends of the link are up with a carrier,
// hold their addresses, and no address in either namespace is tentative:
// after that nothing about the link changes until it is deleted, so a
// browser started now does not see the network change under a page load.
func (l *udpBlockedLink) waitSettled(t *testing.T) {
	t.Helper()
	checks := []struct {
		what string
		cmd  []string
		ok   func(string) bool
	}{
		{"the outer end up", []string{"ip", "addr", "show", "dev", l.outer}, hasAll("state UP", "LOWER_UP", "inet "+l.serverIP+"/30")},
		{"the inner end up", l.inside("ip", "addr", "show", "dev", l.inner), hasAll("state UP", "LOWER_UP", "inet "+l.clientIP+"/30")},
		{"no tentative address outside", []string{"ip", "-o", "addr", "show", "tentative"}, isBlank},
		{"no tentative address inside", l.inside("ip", "-o", "addr", "show", "tentative"), isBlank},
	}
	// A bound, not a guess: settling takes milliseconds with DAD off; a
	// machine starved of CPU for seconds fails here, saying what was not
	// ready, rather than in the browser later.
	const settle = 15 * time.Second
	start := time.Now()
	for _, c := range checks {
		for {
			out, err := exec.Command(c.cmd[0], c.cmd[1:]...).CombinedOutput()
			if err == nil && c.ok(string(out)) {
				break
			}
			if time.Since(start) > settle {
				t.Fatalf("link %s: %s: not after %v (%s: %v: %s)", l.outer, c.what, settle, strings.Join(c.cmd, " "), err, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("link %s ↔ %s settled after %v", l.outer, l.inner, time.Since(start).Round(time.Millisecond))
}

// hasAll tells whether each of subs is in what ip printed.
func hasAll(subs ...string) func(string) bool {
	return func(out string) bool {
		for _, s := range subs {
			if !strings.Contains(out, s) {
				return false
			}
		}
		return true
	}
}

func isBlank(out string) bool { return strings.TrimSpace(out) == "" }

func (l *udpBlockedLink) netns() string { return fmt.Sprintf("/proc/%d/ns/net", l.pid) }

// ready tells whether the holder is in a namespace of its own yet.
func (l *udpBlockedLink) ready() bool {
	mine, err1 := os.Readlink("/proc/self/ns/net")
	theirs, err2 := os.Readlink(l.netns())
	return err1 == nil && err2 == nil && mine != theirs
}

func (l *udpBlockedLink) inside(args ...string) []string {
	return append([]string{"nsenter", "--net=" + l.netns()}, args...)
}

// wrap returns a script that runs Chromium inside the namespace with flags
// added. chromedp talks to the browser over pipes, which cross namespaces.
func (l *udpBlockedLink) wrap(t *testing.T, chromium string, flags ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chromium-udp-blocked")
	script := fmt.Sprintf("#!/bin/sh\nexec nsenter --net=%s %s %s \"$@\"\n", l.netns(), chromium, strings.Join(flags, " "))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

var nftCounter = regexp.MustCompile(`counter packets (\d+)`)

// droppedUDP is how many UDP packets the link has dropped.
func (l *udpBlockedLink) droppedUDP(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("nsenter", "--net="+l.netns(), "nft", "list", "table", "inet", "switchboard_test").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	total := 0
	for _, m := range nftCounter.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

func runCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// startProcess starts cmd, which dies with the test binary, and stops it at
// cleanup.
func startProcess(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// startLinkServer starts the server on every address, with media
// candidates on loopback and on link's outer end (extra flags added), and a
// Chromium inside link's namespace. It returns the server's URL from
// loopback and from inside the namespace, and that browser.
func startLinkServer(t *testing.T, link *udpBlockedLink, chromium string, extra ...string) (local, remote string, browser context.Context) {
	t.Helper()
	base := startServer(t, append([]string{"--listen", "0.0.0.0:0", "--ice-ips", "127.0.0.1," + link.serverIP}, extra...)...)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	local, remote = "http://127.0.0.1:"+u.Port(), "http://"+net.JoinHostPort(link.serverIP, u.Port())
	// Not localhost: the page gets a camera (and so candidates) only as a
	// secure origin.
	return local, remote, newBrowser(t, link.wrap(t, chromium, "--unsafely-treat-insecure-origin-as-secure="+remote))
}
