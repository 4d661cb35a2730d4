package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu/network"
)

// errUsage reports bad command-line arguments.
var errUsage = errors.New("usage")

// natFlag is the repeatable --nat-ip, parsed once, as it is set (flag,
// environment twin or configuration file alike), into network.NATMapping.
type natFlag []network.NATMapping

func (n *natFlag) String() string {
	s := make([]string, len(*n))
	for i, m := range *n {
		s[i] = m.String()
	}
	return strings.Join(s, ",")
}

func (n *natFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		m, err := network.ParseNATMapping(s)
		if err != nil {
			return fmt.Errorf("%w: --nat-ip %q", errBadFlag, s)
		}
		*n = append(*n, m)
	}
	return nil
}

// listFlag is a repeatable flag; its environment twin takes a comma list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

type config struct {
	listen              string
	logLevel            slog.Level
	stun                listFlag
	iceIPs              listFlag
	maxParticipants     int
	maxNodeParticipants int
	bwe                 bool
	pprofListen         string
	resumeWindow        time.Duration

	internet internetConfig // internet.go
	cluster  clusterConfig  // cluster.go
	limits   limitsConfig   // limits.go
}

// parseConfig reads flags, then fills what they left unset from their
// environment twins: SWITCHBOARD_ and the flag's name in capitals, then from
// the --config file.
func parseConfig(args []string, out io.Writer, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.listen, "listen", ":8080", "HTTP `address` for the web client, /ws and /healthz")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	fs.Var(&c.stun, "stun", "STUN server `URL` handed to clients (repeatable)")
	fs.Var(&c.iceIPs, "ice-ips", "comma-separated `addresses` to gather ICE candidates on (default: all); a loopback address turns loopback candidates on")
	fs.IntVar(&c.maxParticipants, "max-participants", 50, "participants per room")
	fs.IntVar(&c.maxNodeParticipants, "max-node-participants", 0, "participants on this node, all rooms together (0: no limit); past it, joins go to another node of the cluster")
	fs.DurationVar(&c.resumeWindow, "resume-window", 30*time.Second, "how long a participant whose signaling connection dropped without a word keeps its place, media and subscriptions for the client to resume (0: leaves at once)")
	fs.BoolVar(&c.bwe, "bwe", true, "estimate each subscriber's bandwidth and pick simulcast layers to fit it (false: by tile size alone, for a LAN)")
	fs.StringVar(&c.pprofListen, "pprof-listen", "", "serve Go's profiles (/debug/pprof/) on this `address`, apart from --listen; off by default, keep it on loopback")
	c.internet.addFlags(fs)
	c.cluster.addFlags(fs)
	c.limits.addFlags(fs)
	configFile := fs.String("config", "", "YAML `file` of settings keyed by flag name (flags and the environment win over it)")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := "SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(key); v != "" && !set[f.Name] {
			if err := fs.Set(f.Name, v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%w: %s: %v", errUsage, key, err)
			}
		}
	})
	if *configFile != "" && envErr == nil {
		if err := applyConfigFile(fs, *configFile); err != nil { // configfile.go
			return c, fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	if c.maxNodeParticipants < 0 {
		return c, fmt.Errorf("%w: --max-node-participants must not be negative", errUsage)
	}
	if c.resumeWindow < 0 {
		return c, fmt.Errorf("%w: --resume-window must not be negative", errUsage)
	}
	if c.maxParticipants < 1 {
		return c, fmt.Errorf("%w: --max-participants must be at least 1", errUsage)
	}
	if err := c.internet.validate(); err != nil && envErr == nil {
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := c.cluster.validate(); err != nil && envErr == nil {
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := c.limits.validate(); err != nil && envErr == nil {
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	return c, envErr
}

// environ is os.Getenv; tests pass their own.
func environ(key string) string { return os.Getenv(key) }
