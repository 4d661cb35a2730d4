package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// netnsEnv marks a test binary that runs inside its own network namespace,
// which holds only the loopback interface.
const netnsEnv = "SWITCHBOARD_TEST_NETNS"

// netnsProblem says why the tests do not run in a network namespace; the
// browser tests report it when they skip.
var netnsProblem string

// TestMain runs the whole test binary again inside a fresh network namespace
// holding only lo, so that no packet of the browser tests leaves the machine
// (and no other interface gets in the way of ICE). Without the namespace the
// browser tests skip, or fail under CI=true.
func TestMain(m *testing.M) {
	if args := os.Getenv(serveEnv); args != "" {
		os.Exit(serveForTest(args)) // cluster_process_test.go: a server process of a test
	}
	if os.Getenv(netnsEnv) == "" {
		code, err := reexecInNetns()
		if err == nil {
			os.Exit(code)
		}
		netnsProblem = err.Error()
	}
	// Here the tests themselves run (in the namespace, or where none could
	// be made): none may leave a goroutine behind. The parent above only
	// waits for its child and exits.
	goleak.VerifyTestMain(m, ignoreJoinBuckets)
}

// reexecInNetns runs this test binary, with the same arguments, as
// `unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' binary args...`
// and returns its exit status. It returns an error when it cannot make the
// namespace; the tests then run here.
func reexecInNetns() (int, error) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return 0, errors.New("unshare(1) is not installed")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return 0, errors.New("ip(8) is not installed")
	}
	flags := []string{"-n"}
	if os.Geteuid() != 0 {
		flags = []string{"-r", "-n"} // a user namespace makes us root in it, where the kernel allows
	}
	const script = `ip link set lo up && exec "$0" "$@"`
	if out, err := exec.Command(unshare, append(flags, "sh", "-c", `ip link set lo up`)...).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("cannot make a network namespace (unshare %v: %v: %s); run the tests as root", flags, err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	args := append(append(flags, "sh", "-c", script, self), os.Args[1:]...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	setParentDeathSignal(cmd)
	// The child must die with us (Pdeathsig is per thread) and hear what we hear.
	runtime.LockOSThread()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the tests in a network namespace: %w", err)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code >= 0 {
			return code, nil
		}
		return 1, nil // killed by a signal
	default:
		fmt.Fprintf(os.Stderr, "running the tests in a network namespace: %v\n", err)
		return 1, nil
	}
}
