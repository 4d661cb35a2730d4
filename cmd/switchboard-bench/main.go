// Command switchboard-bench load-tests a Switchboard server through its
// public signaling protocol: R rooms of P publishers sending synthetic Opus
// and VP8 and S receive-only subscribers. It prints a progress line every
// second and a table at the end, and writes JSON and a self-contained HTML
// report. With --metrics it adds the server's CPU and memory, and the CPU
// time per forwarded packet against the floor measured on this machine.
//
// --url may be repeated, for the nodes of a cluster that share rooms:
// publishers join them round-robin in join order, subscribers too, each
// starting at the first (--pin-publishers puts every publisher on the
// first). With one --metrics per --url, in the same order, the report adds
// each node's CPU, packets to clients and to relays, CPU per forwarded
// packet and relay counters, and the latency one relay hop adds.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-rtc/switchboard/bench/floor"
	"github.com/switchboard-rtc/switchboard/bench/load"
	"github.com/switchboard-rtc/switchboard/bench/report"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "switchboard-bench:", err)
		os.Exit(1)
	}
}

// run parses args, runs the load test or the capacity search, and writes
// what it found. Its error is that of the run itself, not the server's
// figures: a server that loses packets under load is a result.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, errUsage) && !errors.Is(err, errHelp) {
			fmt.Fprintln(stderr, err)
		}
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	var reportOpts []report.Option
	if cfg.floor {
		f, err := floor.Measure(ctx)
		if err != nil {
			return fmt.Errorf("measuring the floor: %w", err)
		}
		fmt.Fprintf(stdout, "floor: %.2f µs per packet (SRTP %s of %d bytes + UDP write, %d packets)\n",
			f.MicrosPerPacket, f.Profile, floor.PacketSize, f.Packets)
		reportOpts = append(reportOpts, report.WithFloor(f.MicrosPerPacket, f.Profile))
		// The same against 20 woken readers, a fan-out's worth (fewer
		// would weigh the measuring thread's own sleep and wakeup more): on
		// loopback the sender pays for their wakeups, as the server does.
		const readers = 20
		if a, err := floor.Measure(ctx, floor.WithReaders(readers)); err == nil {
			fmt.Fprintf(stdout, "floor, %d receivers awake: %.2f µs per packet\n", readers, a.MicrosPerPacket)
			reportOpts = append(reportOpts, report.WithFloorAwake(a.MicrosPerPacket, readers))
		}
	}
	opts := []load.Option{load.WithLogger(log), load.WithSampleInterval(cfg.interval)}
	if cfg.soak.enabled {
		reportOpts = append(reportOpts, report.WithSoak(cfg.soak.warmup))
	}
	if len(cfg.metrics) > 0 {
		opts = append(opts, load.WithNodeMetrics(cfg.metrics...))
	}
	if cfg.capacity.enabled {
		return runCapacity(ctx, cfg, stdout, opts)
	}
	if !cfg.quiet {
		opts = append(opts, load.WithProgress(func(s load.Sample) { fmt.Fprintln(stdout, report.ProgressLine(s)) }))
	}
	res, runErr := load.Run(ctx, cfg.scenario, opts...)
	if res == nil {
		return runErr
	}
	sum := report.Summarize(res, reportOpts...)
	if err := report.WriteTable(stdout, res, sum); err != nil {
		return err
	}
	if err := writeFiles(cfg, res, sum, stdout); err != nil {
		return err
	}
	return runErr
}

// writeFiles writes the JSON and HTML reports that were asked for.
func writeFiles(cfg config, res *load.Result, sum report.Summary, stdout io.Writer) error {
	for _, out := range []struct {
		path  string
		write func(io.Writer, *load.Result, report.Summary) error
	}{
		{cfg.jsonPath, report.WriteJSON},
		{cfg.reportPath, report.WriteHTML},
		{cfg.soak.svgPath, func(w io.Writer, res *load.Result, _ report.Summary) error { return report.WriteSoakSVG(w, res) }},
	} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, func(w io.Writer) error { return out.write(w, res, sum) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", out.path)
	}
	return nil
}

// writeFile writes a file through a temporary one, so that a reader never
// sees half a report.
func writeFile(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
