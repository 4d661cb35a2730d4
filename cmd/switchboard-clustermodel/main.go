// Command switchboard-clustermodel prints what a big room would cost a Switchboard
// cluster, from figures a cluster benchmark measured (make bench-cluster
// runs it on its two reports) or given by hand:
//
//	switchboard-clustermodel --baseline bench-out/cluster-baseline.json --cluster bench-out/cluster.json
//	clustermodel --send-us 9 --recv-us 4 --stream-mbps 1.1 --stream-pps 160 --hop-p50 0.3 --hop-p99 2
//
// It prints Markdown tables: the measured figures and the relay overhead
// derived from them (see clustermodel.Derive), then for a room of
// --participants over --nodes, relay bandwidth and CPU per node for a full
// mesh against a tree of fan-out --fanout, and the Redis work per join and
// per second, with where the design would have to change.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/switchboard-rtc/switchboard/bench/clustermodel"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "clustermodel:", err)
		os.Exit(2)
	}
}

type config struct {
	baseline, cluster string
	p                 clustermodel.Params
	publishers        []int
	nicGbps           float64
	redisOps          float64
	set               map[string]bool
}

func parse(args []string, stderr io.Writer) (config, error) {
	c := config{set: map[string]bool{}}
	fs := flag.NewFlagSet("clustermodel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.baseline, "baseline", "", "switchboard-bench JSON `report` of the first node alone (publishers and its share of subscribers)")
	fs.StringVar(&c.cluster, "cluster", "", "switchboard-bench JSON `report` of the cluster run (--pin-publishers, one --metrics per --url)")
	fs.IntVar(&c.p.Participants, "participants", 10000, "participants in the room")
	fs.IntVar(&c.p.Nodes, "nodes", 50, "nodes the room spans, participants spread evenly")
	pubs := fs.String("publishers", "10,100,1000", "comma-separated publisher counts to model")
	fs.IntVar(&c.p.Fanout, "fanout", 7, "nodes a node relays a stream on to, in the tree")
	fs.Float64Var(&c.p.RelaySendMicros, "send-us", 0, "CPU µs per relayed packet sent (default: measured)")
	fs.Float64Var(&c.p.RelayRecvMicros, "recv-us", 0, "CPU µs per relayed packet received (default: measured)")
	fs.Float64Var(&c.p.StreamMbps, "stream-mbps", 0, "one published stream, audio + video, as relayed, Mbit/s (default: measured)")
	fs.Float64Var(&c.p.StreamPPS, "stream-pps", 0, "its packets per second (default: measured)")
	fs.Float64Var(&c.p.HopP50Ms, "hop-p50", 0, "latency one relay hop adds, p50, ms (default: measured)")
	fs.Float64Var(&c.p.HopP99Ms, "hop-p99", 0, "the same at p99 (default: measured)")
	fs.IntVar(&c.p.MemberBytes, "member-bytes", 100, "one participant's JSON entry in the room's Redis hash, bytes")
	fs.Float64Var(&c.nicGbps, "nic-gbps", 10, "a node's network interface, Gbit/s, for the verdicts")
	fs.Float64Var(&c.redisOps, "redis-ops", 100000, "operations (commands and hash fields read) one Redis core does per second, for the verdicts")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	for _, s := range strings.Split(*pubs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return c, fmt.Errorf("--publishers: bad count %q", s)
		}
		c.publishers = append(c.publishers, n)
	}
	if (c.baseline == "") != (c.cluster == "") {
		return c, errors.New("--baseline and --cluster go together")
	}
	return c, nil
}

func readRun(path string) (clustermodel.Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return clustermodel.Run{}, err
	}
	defer func() { _ = f.Close() }()
	return clustermodel.ReadRun(f)
}

func run(args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if c.cluster != "" {
		base, err := readRun(c.baseline)
		if err != nil {
			return err
		}
		cl, err := readRun(c.cluster)
		if err != nil {
			return err
		}
		m, err := clustermodel.Derive(base.Server, cl.Nodes, cl.Publishers)
		if err != nil {
			return err
		}
		writeMeasured(stdout, base, cl, m)
		m.HopP50Ms, m.HopP99Ms = cl.HopP50Ms, cl.HopP99Ms
		fill := func(name string, dst *float64, v float64) {
			if c.set[name] {
				return
			}
			if v < 0 {
				// Less than the baseline: the difference is within the
				// runs' noise, and a cost is not negative.
				fmt.Fprintf(stdout, "(--%s: measured %.2f, below zero within the noise: the model takes 0)\n", name, v)
				v = 0
			}
			*dst = v
		}
		fill("send-us", &c.p.RelaySendMicros, m.RelaySendMicros)
		fill("recv-us", &c.p.RelayRecvMicros, m.RelayRecvMicros)
		fill("stream-mbps", &c.p.StreamMbps, m.StreamMbps)
		fill("stream-pps", &c.p.StreamPPS, m.StreamPPS)
		fill("hop-p50", &c.p.HopP50Ms, m.HopP50Ms)
		fill("hop-p99", &c.p.HopP99Ms, m.HopP99Ms)
	}
	results, err := clustermodel.Table(c.p, c.publishers)
	if err != nil {
		return err
	}
	clustermodel.WriteModel(stdout, c.p, results, c.nicGbps, c.redisOps)
	return nil
}

func writeMeasured(w io.Writer, base, cl clustermodel.Run, m clustermodel.Measured) {
	fmt.Fprintln(w, "Measured (steady window of each run):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| node | CPU | to clients | relayed out | relayed in | CPU per forwarded packet | subscribers' latency p50 / p99 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	if b := base.Server; b != nil {
		fmt.Fprintf(w, "| 1 alone (baseline) | %.0f %% | %.0f/s | – | – | %.2f µs | – |\n", b.CPUPercent, b.PacketsOutPPS, b.MicrosPerPacket)
	}
	for i, n := range cl.Nodes {
		lat := "–"
		if i < len(cl.LatencyP50Ms) {
			lat = fmt.Sprintf("%.2f / %.2f ms", cl.LatencyP50Ms[i], cl.LatencyP99Ms[i])
		}
		fmt.Fprintf(w, "| %d | %.0f %% | %.0f/s | %.0f/s | %.0f/s | %.2f µs | %s |\n",
			i+1, n.CPUPercent, n.ClientPPS, n.RelayOutPPS, n.RelayInPPS, n.MicrosPerPacket, lat)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- relay, sending node: %.2f µs per relayed packet = (node 1's CPU − %.2f µs × its packets to clients) / its relayed packets\n",
		m.RelaySendMicros, m.BaselineMicros)
	fmt.Fprintf(w, "- relay, receiving node: %.2f µs per relayed packet = (node i's CPU − %.2f µs × its packets to clients) / its relayed-in packets, nodes 2.. averaged: beyond a packet received from its publisher\n",
		m.RelayRecvMicros, m.BaselineMicros)
	if cl.Hop {
		fmt.Fprintf(w, "- one relay hop adds p50 %+.2f ms, p99 %+.2f ms (subscribers of nodes 2.. against node 1's)\n", cl.HopP50Ms, cl.HopP99Ms)
	}
	fmt.Fprintf(w, "- one published stream (Opus + VP8) as relayed: %.2f Mbit/s, %.0f packets/s\n\n", m.StreamMbps, m.StreamPPS)
}
