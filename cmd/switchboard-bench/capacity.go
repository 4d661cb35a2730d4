package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-rtc/switchboard/bench/load"
)

// runCapacity runs the capacity search and prints one line per step.
func runCapacity(ctx context.Context, cfg config, stdout io.Writer, opts []load.Option) error {
	cp := load.Capacity{
		URL: cfg.scenario.URL, ICEIPs: cfg.scenario.ICEIPs, Room: cfg.scenario.RoomPrefix + "-capacity",
		Bitrate: cfg.scenario.Bitrate, Step: cfg.capacity.step, StepDuration: cfg.capacity.stepDuration,
		MaxSubscribers: cfg.capacity.maxSubscribers, MaxLossPct: cfg.capacity.maxLossPct, MaxP99: cfg.capacity.maxP99,
	}
	fmt.Fprintf(stdout, "capacity: one publisher at %.2f Mbit/s, +%d subscribers every %s, until loss > %.2f%% or p99 > %s\n",
		float64(cp.Bitrate)/1e6, cp.Step, cp.StepDuration, cp.MaxLossPct, cp.MaxP99)
	res, err := load.RunCapacity(ctx, cp, func(st load.Step) { fmt.Fprintln(stdout, stepLine(st)) }, opts...)
	if res == nil {
		return err
	}
	fmt.Fprintf(stdout, "capacity reached: %d subscribers (%d subscribed tracks)\n", res.Reached, 2*res.Reached)
	if cfg.jsonPath != "" {
		werr := writeFile(cfg.jsonPath, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		})
		if werr != nil {
			return werr
		}
		fmt.Fprintf(stdout, "wrote %s\n", cfg.jsonPath)
	}
	return err
}

func stepLine(st load.Step) string {
	verdict := "ok"
	if !st.Passed {
		verdict = "STOP: " + st.Reason
	}
	line := fmt.Sprintf("subscribers %4d  connected %4d  in %7.2f Mbit/s  loss %.3f%% (before NACK %.3f%%)  p50 %s  p99 %s",
		st.Subscribers, st.Connected, st.MbpsIn, st.LossAfterNACK, st.LossBeforeNACK,
		st.P50.Round(10*time.Microsecond), st.P99.Round(10*time.Microsecond))
	if st.ServerCPUPercent > 0 {
		line += fmt.Sprintf("  server cpu %.0f%% (%.1f µs/packet)", st.ServerCPUPercent, st.ServerMicrosPerPacket)
	}
	return line + fmt.Sprintf("  bench cpu %.0f%%  %s", st.ClientCPUPercent, verdict)
}
