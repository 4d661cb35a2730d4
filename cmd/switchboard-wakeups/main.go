// Command switchboard-wakeups measures the goroutine wakeups of a running
// server per second and per packet received from publishers: it captures
// an execution trace from the server's --pprof-listen address for a few
// seconds and reads its metrics before and after (issue #13, "Fewer
// hand-offs on the way in"). make bench-wakeups runs it in the middle of
// the standard scenario:
//
//	switchboard-wakeups --pprof http://127.0.0.1:6060 --metrics http://HOST:PORT/metrics --seconds 5
//
// The wakeups are listed by the start function of the goroutine woken,
// which names Pion's loops (UDP mux, ICE candidate, mux, SRTP session) and
// the SFU's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/scrape"
	"github.com/switchboard-rtc/switchboard/bench/wakeups"
)

// errUsage reports bad command-line arguments.
var errUsage = errors.New("usage")

// The server's counters of packets received from publishers and forwarded
// to subscribers (sfu.Stats).
const (
	seriesIn     = "switchboard_packets_in_total"
	seriesOut    = "switchboard_packets_out_total"
	seriesDirect = "switchboard_direct_srtp_received_total" // --direct-srtp
)

// rows is how many start functions the report lists.
const rows = 12

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-wakeups:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("switchboard-wakeups", flag.ContinueOnError)
	pprofURL := fs.String("pprof", "http://127.0.0.1:6060", "the server's --pprof-listen `URL`")
	metricsURL := fs.String("metrics", "", "the server's metrics `URL` (http://HOST:PORT/metrics): adds wakeups per packet")
	seconds := fs.Int("seconds", 5, "how long to trace")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *seconds < 1 || fs.NArg() > 0 {
		return fmt.Errorf("%w: want --seconds ≥ 1 and no arguments", errUsage)
	}
	client := &http.Client{Timeout: time.Duration(*seconds)*time.Second + 30*time.Second}
	var before scrape.Values
	if *metricsURL != "" {
		var err error
		if before, err = scrape.Fetch(ctx, client, *metricsURL); err != nil {
			return err
		}
	}
	s, err := capture(ctx, client, fmt.Sprintf("%s/debug/pprof/trace?seconds=%d", *pprofURL, *seconds))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "trace of %.2f s: %d wakeups, %.0f a second\n", s.Span.Seconds(), s.Wakeups, s.PerSecond())
	var in float64
	if before != nil {
		after, err := scrape.Fetch(ctx, client, *metricsURL)
		if err != nil {
			return err
		}
		in = delta(before, after, seriesIn)
		fwd := delta(before, after, seriesOut)
		// The metrics are read around the trace, which the server
		// starts and ends a little inside that window: per-packet
		// figures are a few percent low at 5 s.
		fmt.Fprintf(out, "packets received %.0f (%.0f a second; %.0f past Pion, --direct-srtp), forwarded %.0f\n",
			in, in/s.Span.Seconds(), delta(before, after, seriesDirect), fwd)
		if in > 0 {
			fmt.Fprintf(out, "wakeups per received packet %.2f, per forwarded packet %.3f\n",
				float64(s.Wakeups)/in, float64(s.Wakeups)/fwd)
		}
	}
	for i, c := range s.ByStart {
		if i == rows {
			break
		}
		line := fmt.Sprintf("%8d %8.0f/s", c.Wakeups, float64(c.Wakeups)/s.Span.Seconds())
		if in > 0 {
			line += fmt.Sprintf(" %6.2f/pkt", float64(c.Wakeups)/in)
		}
		fmt.Fprintf(out, "%s  %s\n", line, c.Start)
	}
	return nil
}

// capture gets a trace and reads it as it arrives.
func capture(ctx context.Context, client *http.Client, url string) (wakeups.Summary, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return wakeups.Summary{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return wakeups.Summary{}, fmt.Errorf("tracing: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return wakeups.Summary{}, fmt.Errorf("tracing: %s answered %s", url, resp.Status)
	}
	return wakeups.Read(resp.Body)
}

func delta(before, after scrape.Values, series string) float64 {
	a, _ := after.Get(series)
	b, _ := before.Get(series)
	return a - b
}
