package clustermodel

import (
	"fmt"
	"io"
)

// Table computes p for each publisher count, the publishers on a stage and
// spread, each over a full mesh and a tree of p.Fanout.
func Table(p Params, publishers []int) ([]Result, error) {
	fanouts := []int{0}
	if p.Fanout > 0 && p.Fanout < p.Nodes-1 {
		fanouts = append(fanouts, p.Fanout) // else no tree to compare
	}
	var out []Result
	for _, n := range publishers {
		for _, stage := range []bool{true, false} {
			for _, fanout := range fanouts {
				q := p
				q.Publishers, q.Stage, q.Fanout = n, stage, fanout
				r, err := Compute(q)
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// WriteModel writes the results as Markdown, and the verdicts: nicGbps is
// a node's interface, redisOps what one Redis core does per second.
func WriteModel(w io.Writer, p Params, rs []Result, nicGbps, redisOps float64) {
	fmt.Fprintf(w, "A room of %d participants over %d nodes (%.0f a node), one stream of %.2f Mbit/s (%.0f packets/s) per publisher; "+
		"relay CPU %.2f µs per packet sent, %.2f received; a hop adds %.2f ms p50, %.2f ms p99:\n\n",
		p.Participants, p.Nodes, float64(p.Participants)/float64(p.Nodes), p.StreamMbps, p.StreamPPS,
		p.RelaySendMicros, p.RelayRecvMicros, p.HopP50Ms, p.HopP99Ms)
	fmt.Fprintln(w, "| publishers | placed | relays | hops | busiest node: relay out | relay in | relay CPU | added latency p50 / p99 |")
	fmt.Fprintln(w, "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
	var notes []string
	for _, r := range rs {
		placed, topo := "spread", "full mesh"
		if r.Stage {
			placed = "one node"
		}
		if !r.Mesh() {
			topo = fmt.Sprintf("tree, fan-out %d", r.Fanout)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %d | %s | %s | %.2f cores | %.1f / %.1f ms |\n",
			r.Publishers, placed, topo, r.Hops, mbps(r.RelayOutMbps), mbps(r.RelayInMbps), r.RelayCPUCores, r.AddedP50Ms, r.AddedP99Ms)
		if busiest := max(r.RelayOutMbps, r.RelayInMbps); nicGbps > 0 && busiest > nicGbps*1e3/2 {
			notes = append(notes, fmt.Sprintf("%d publishers on %s, %s: relays alone take %s of the busiest node's %.0f Gbit/s, before any subscriber",
				r.Publishers, placed, topo, mbps(busiest), nicGbps))
		}
	}
	rd := rs[0].Redis
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Redis, as signaling/cluster uses it today (the same for every row):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | commands | hash fields read | bytes read |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| one join (PING, HSET, PUBLISH to %d nodes) | %.0f | %.0f | %s |\n",
		rd.JoinPublishFanout, rd.JoinCommands, rd.JoinFieldsRead, bytesSI(rd.JoinBytesRead))
	fmt.Fprintf(w, "| every second, heartbeats of all nodes (SET, SADD, SMEMBERS, MGET; every %d s per room one HSET and one HGETALL) | %.0f | %.0f | %s |\n",
		ResyncEvery, rd.CommandsPerSecond, rd.FieldsReadPerSecond, bytesSI(rd.BytesReadPerSecond))
	fmt.Fprintf(w, "| filling the room, one join after another (each node's first join reads the room) | | %.3g | %s |\n",
		rd.FillFieldsRead, bytesSI(rd.FillFieldsRead*float64(p.MemberBytes)))
	if load := rd.CommandsPerSecond + rd.FieldsReadPerSecond; redisOps > 0 && load > redisOps/2 {
		notes = append(notes, fmt.Sprintf("Redis: the heartbeats alone are %.3g operations a second (every node reads the whole room's hash every %d s), %.1f× what one Redis core does (%.3g): "+
			"the safety-net read must become a per-node summary (a version per node's members), not a full re-read",
			load, ResyncEvery, load/redisOps, redisOps))
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Where the design would have to change:")
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
}

// mbps formats a bit rate given in Mbit/s.
func mbps(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f Gbit/s", v/1000)
	}
	return fmt.Sprintf("%.0f Mbit/s", v)
}

// bytesSI formats a byte count in decimal units.
func bytesSI(b float64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", b/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", b/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.0f kB", b/1e3)
	}
	return fmt.Sprintf("%.0f B", b)
}
