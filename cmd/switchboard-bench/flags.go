package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// errUsage reports bad command-line arguments; errHelp wraps it when the
// flag package has printed the problem already.
var (
	errUsage = errors.New("usage")
	errHelp  = fmt.Errorf("%w: already explained", errUsage)
)

// bitrateFlag is a bit rate written as 1500000, 1500k, 1.5M or 1.5Mbit.
type bitrateFlag int

func (b *bitrateFlag) String() string { return strconv.Itoa(int(*b)) }

func (b *bitrateFlag) Set(v string) error {
	s := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), "bit/s"), "bit")
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1e6, strings.TrimSuffix(s, "m")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return fmt.Errorf("bad bit rate %q: want e.g. 1500000, 1500k or 1.5M", v)
	}
	*b = bitrateFlag(f * mult)
	return nil
}

// listFlag is a repeatable flag: every use adds a value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	if v = strings.TrimSpace(v); v == "" {
		return errors.New("empty value")
	}
	*l = append(*l, v)
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// config is the command line.
type config struct {
	scenario   load.Scenario
	bitrate    bitrateFlag
	jsonPath   string
	reportPath string
	urls       listFlag
	metrics    listFlag
	floor      bool
	quiet      bool
	logLevel   slog.Level
	capacity   capacityConfig
	interval   time.Duration
	soak       soakConfig
}

// soakConfig is the soak analysis's command line.
type soakConfig struct {
	enabled bool
	warmup  time.Duration
	svgPath string
}

// capacityConfig is the capacity mode's command line.
type capacityConfig struct {
	enabled        bool
	step           int
	stepDuration   time.Duration
	maxSubscribers int
	maxLossPct     float64
	maxP99         time.Duration
}

func parseFlags(args []string, out io.Writer) (config, error) {
	c := config{bitrate: 1_000_000}
	sc := &c.scenario
	fs := flag.NewFlagSet("switchboard-bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: switchboard-bench --url ws://HOST:PORT/ws [flags]\n\n"+
			"Load-tests a Switchboard server through its signaling protocol and reports what every\n"+
			"client received. Flags:")
		fs.PrintDefaults()
	}
	fs.Var(&c.urls, "url", "the server's signaling WebSocket `URL` (default ws://127.0.0.1:8080/ws); repeat it for the nodes of a cluster:\n"+
		"publishers go round-robin over them in join order, subscribers too, each starting at the first")
	fs.IntVar(&sc.Rooms, "rooms", 1, "rooms `R`")
	fs.IntVar(&sc.Publishers, "publishers", 2, "publishers `P` per room, each sending Opus and VP8")
	fs.IntVar(&sc.Subscribers, "subscribers", 4, "receive-only subscribers `S` per room")
	fs.DurationVar(&sc.Duration, "duration", 30*time.Second, "how long the run lasts, from the first join")
	fs.Var(&c.bitrate, "bitrate", "video bit rate per publisher, all layers (1500000, 1500k, 1.5M)")
	fs.Float64Var(&sc.Churn, "churn", 0, "subscribers a second that vanish as a killed tab does (WebSocket dropped, no leave), each replaced at once by a new one, for the whole run")
	fs.BoolVar(&sc.Simulcast, "simulcast", false, "send video as three simulcast layers (needs a server that receives simulcast)")
	fs.Float64Var(&sc.JoinRate, "join-rate", 10, "participants joining per second (0: all at once)")
	fs.StringVar(&sc.RoomPrefix, "room-prefix", "bench", "rooms are named `PREFIX`-1, PREFIX-2, …")
	fs.StringVar(&c.jsonPath, "json", "", "write the result as JSON to `FILE`")
	fs.StringVar(&c.reportPath, "report", "", "write a self-contained HTML report to `FILE.html`")
	fs.Var(&c.metrics, "metrics", "the server's Prometheus metrics `URL` (http://HOST:PORT/metrics): adds its CPU and memory;\n"+
		"for a cluster one per --url, in the same order: adds each node's figures")
	fs.BoolVar(&sc.PinPublishers, "pin-publishers", false, "with several --url: every publisher joins the first, so that the others receive only over relays")
	fs.Func("ice-ips", "comma-separated `addresses` to gather ICE candidates on, as the server's; 127.0.0.1 keeps a run on loopback",
		func(v string) error { sc.ICEIPs = splitList(v); return nil })
	fs.BoolVar(&sc.ICETCP, "ice-tcp", false, "clients reach the server over ICE-TCP too, as browsers do (UDP pairs win where UDP gets through)")
	fs.BoolVar(&c.floor, "floor", true, "measure the floor (SRTP + UDP write per packet) first, to compare the server's cost with")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelError, "log `level` of the clients: debug, info, warn or error")
	fs.DurationVar(&c.interval, "sample-interval", time.Second, "how often to sample the clients and scrape --metrics")
	fs.BoolVar(&c.soak.enabled, "soak", false, "soak analysis: the slope per hour of the server's RSS, heap, goroutines, open files and CPU per\n"+
		"forwarded packet over the samples after --warmup, each flagged if it drifts (needs --metrics)")
	fs.DurationVar(&c.soak.warmup, "warmup", 5*time.Minute, "soak analysis: samples before this are left out of the slopes")
	fs.StringVar(&c.soak.svgPath, "svg", "", "write the server's memory, goroutine, file and CPU-per-packet charts as one SVG image to `FILE.svg`")
	fs.BoolVar(&c.capacity.enabled, "capacity", false, "capacity mode: one publisher, subscribers added in steps until loss or latency passes its limit")
	fs.IntVar(&c.capacity.step, "step", 5, "capacity mode: subscribers added per step")
	fs.DurationVar(&c.capacity.stepDuration, "step-duration", 10*time.Second, "capacity mode: how long each step lasts")
	fs.IntVar(&c.capacity.maxSubscribers, "max-subscribers", 200, "capacity mode: stop there")
	fs.Float64Var(&c.capacity.maxLossPct, "max-loss", 1, "capacity mode: loss limit, percent")
	fs.DurationVar(&c.capacity.maxP99, "max-p99", 50*time.Millisecond, "capacity mode: latency p99 limit")
	if err := fs.Parse(args); err != nil {
		// The flag package has printed the error and the usage.
		return c, fmt.Errorf("%w: %v", errHelp, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	sc.Bitrate = int(c.bitrate)
	if len(c.urls) == 0 {
		c.urls = listFlag{"ws://127.0.0.1:8080/ws"}
	}
	sc.URL = c.urls[0]
	if len(c.urls) > 1 {
		sc.URLs = c.urls
	}
	if len(c.metrics) > 0 && len(c.metrics) != len(c.urls) {
		return c, fmt.Errorf("%w: %d --metrics for %d --url: give one per --url, in the same order", errUsage, len(c.metrics), len(c.urls))
	}
	if c.capacity.enabled {
		if len(c.urls) > 1 {
			return c, fmt.Errorf("%w: capacity mode runs against one server: give one --url", errUsage)
		}
		return c, c.capacity.validate()
	}
	if err := sc.Validate(); err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, c.validateSoak()
}

// validateSoak checks what the soak analysis and its chart need: the
// server's metrics, a sampling interval, and samples left after the warm-up.
func (c config) validateSoak() error {
	switch {
	case c.interval <= 0 || c.interval > c.scenario.Duration/2:
		return fmt.Errorf("%w: --sample-interval must be positive and at most half of --duration", errUsage)
	case (c.soak.enabled || c.soak.svgPath != "") && len(c.metrics) == 0:
		return fmt.Errorf("%w: --soak and --svg chart the server's metrics: give --metrics", errUsage)
	case c.soak.enabled && (c.soak.warmup < 0 || c.soak.warmup+2*c.interval > c.scenario.Duration):
		return fmt.Errorf("%w: --warmup %s leaves fewer than %d samples of --sample-interval %s in --duration %s",
			errUsage, c.soak.warmup, 3, c.interval, c.scenario.Duration)
	}
	return nil
}

func (c capacityConfig) validate() error {
	if c.step < 1 || c.stepDuration < 2*time.Second || c.maxSubscribers < c.step || c.maxLossPct <= 0 || c.maxP99 <= 0 {
		return fmt.Errorf("%w: capacity mode needs --step ≥ 1, --step-duration ≥ 2s, --max-subscribers ≥ --step and positive limits", errUsage)
	}
	return nil
}
