// Command switchboard is the Switchboard SFU server: it serves the web
// client, the signaling WebSocket and forwards media between participants.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/web"
)

// shutdownGrace bounds a graceful shutdown.
const shutdownGrace = 5 * time.Second

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		os.Exit(runToken(os.Args[2:])) // token.go
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(2)
	}
}

// run starts the server with args, calls ready once it listens, and shuts
// down gracefully when ctx is done: clients are told, PeerConnections closed.
func run(ctx context.Context, args []string, logOut io.Writer, ready func(net.Addr)) error {
	cfg, err := parseConfig(args, logOut, environ)
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintln(logOut, err)
		}
		return err
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: cfg.logLevel}))
	if cfg.cluster.nodeID != "" {
		log = log.With("node", cfg.cluster.nodeID)
	}
	opts := []sfu.Option{sfu.WithLogger(log), sfu.WithMaxParticipants(cfg.maxParticipants),
		sfu.WithBandwidthEstimation(cfg.bwe),
		// The records are read only on the debug listener (/debug/bwe).
		sfu.WithBWETrace(cfg.pprofListen != "")}
	if len(cfg.iceIPs) > 0 {
		opts = append(opts, sfu.WithICEIPs(cfg.iceIPs))
	}
	opts = append(opts, cfg.internet.sfuOptions()...)
	opts = append(opts, cfg.limits.sfuOptions()...) // limits.go
	s, err := sfu.New(opts...)
	if err != nil {
		return err
	}
	inet, err := startInternet(&cfg.internet, cfg.stun, cfg.iceIPs, s, log) // internet_run.go: TURN, TLS, tokens
	if err != nil {
		_ = s.Close()
		return err
	}
	defer inet.close()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		_ = s.Close()
		return err
	}
	cl, err := startCluster(&cfg.cluster, s, log, advertisedURL(ln.Addr(), inet.certs != nil), cfg.maxNodeParticipants) // cluster.go
	if err != nil {
		_ = ln.Close()
		_ = s.Close()
		return err
	}
	// The ICE servers (--stun, --ice-server, the embedded TURN) come from inet.
	sigOpts := append([]signaling.Option{signaling.WithLogger(log)}, inet.signalingOptions()...)
	sigOpts = append(sigOpts, signaling.WithMaxNodeParticipants(cfg.maxNodeParticipants), signaling.WithResumeWindow(cfg.resumeWindow))
	sigOpts = append(sigOpts, cfg.limits.signalingOptions()...) // limits.go
	sig := signaling.NewHandler(s, append(sigOpts, cl.signalingOptions()...)...)

	mux := http.NewServeMux()
	mux.Handle("/ws", sig)
	extra, err := cl.collectors()
	if err == nil {
		err = routeMetrics(mux, s, extra...)
	}
	if err != nil {
		_ = ln.Close()
		cl.close()
		_ = s.Close()
		return err
	}
	_, stopPprof, err := startPprof(cfg.pprofListen, s.BWETraces, log)
	if err != nil {
		_ = ln.Close()
		cl.close()
		_ = s.Close()
		return err
	}
	defer stopPprof()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("/", web.Handler())

	srv := newHTTPServer(mux, log, defaultHTTPLimits) // limits.go
	serveErr := make(chan error, 1)
	go func() { serveErr <- inet.serve(srv, ln) }()

	// One collection once started: the live heap /metrics reports is
	// the one marked at the last collection (go_gc_heap_live_bytes), and
	// without this, until the first clients allocate enough for another,
	// it is start-up's (2.3-2.6 MiB, its garbage included, where the
	// server holds 0.9): the idle term the load generator subtracts from
	// the heap at the end (memory per subscribed track, docs/benchmarks.md).
	runtime.GC()
	log.Info("switchboard listening", "addr", ln.Addr().String())
	fmt.Fprintf(logOut, "\n  Switchboard is running. Open %s in a browser.\n\n", inet.url(ln.Addr()))
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := sig.Shutdown(sctx); err != nil {
		log.Warn("signaling shutdown", "err", err)
	}
	cl.close()
	_ = s.Close()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// openURL is the address to print for a person: a wildcard listener is
// reachable on localhost, where browsers also allow the camera.
func openURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/room/team-sync"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/room/team-sync"
}
