#!/bin/sh
# make bench: start a Switchboard server on loopback in this process tree,
# run the standard scenario against it with switchboard-bench, print the
# table and write the JSON and HTML reports; the server is stopped on the
# way out. The exit status is the load generator's: non-zero only if the
# run itself failed (no server, nobody connected, no media), not because
# the figures are bad.
#
# The standard scenario is sized for a 2-core machine that also runs the
# load generator (whose 50-odd Pion clients cost more CPU than the server):
# 1 room, 4 publishers (Opus + 1 Mbit/s VP8) and 20 subscribers for 30 s.
# Override any of it with BENCH_ARGS, e.g.
#   make bench BENCH_ARGS='--subscribers 40 --duration 60s --simulcast'
# Capacity search instead: make bench-capacity.
#
# make soak (./scripts/bench.sh soak) runs the standard scenario for
# SOAK_DURATION (30m by default; SOAK_DURATION=2h make soak for hours) with
# SOAK_CHURN subscribers a second vanishing and replaced (1 by default),
# scrapes the server every 10 s and reports the slope per hour of its RSS,
# heap, goroutines, open files and CPU per forwarded packet after a
# SOAK_WARMUP (5m) warm-up: bench-out/soak.{json,html,svg}.
set -eu

BIN=${BIN:-bin}
OUT=${BENCH_OUT:-bench-out}
MODE=${1:-standard}
STANDARD="--rooms 1 --publishers 4 --subscribers 20 --bitrate 1M --duration 30s --join-rate 10"
SOAK="--rooms 1 --publishers 4 --subscribers 20 --bitrate 1M --join-rate 10 --duration ${SOAK_DURATION:-30m} --churn ${SOAK_CHURN:-1} --sample-interval 10s --soak --warmup ${SOAK_WARMUP:-5m}"
CAPACITY="--capacity --bitrate 2M --step 5 --step-duration 10s --max-subscribers 150"

mkdir -p "$OUT"
log="$OUT/server.log"
server=
trap '[ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }' EXIT INT TERM

# The server serves all media on one UDP port, as in production behind a
# firewall, where the packets of one fan-out leave in one sendmmsg. A port
# that is taken makes the server exit at once: try another.
addr=
for attempt in 1 2 3 4 5; do
	port=${UDP_PORT:-$((40000 + ($$ * 7 + attempt * 997) % 20000))}
	"$BIN/switchboard" --listen 127.0.0.1:0 --ice-ips 127.0.0.1 --log-level warn --max-participants 200 \
		--max-connections-per-ip 0 --joins-per-ip 0 \
		--udp-port "$port" ${SERVER_ARGS:-} >"$log" 2>&1 &
	server=$!
	# The server prints the URL to open once it listens.
	for _ in $(seq 100); do
		addr=$(sed -n 's#.*Open https\{0,1\}://\([^/]*\)/.*#\1#p' "$log" | head -n 1)
		[ -n "$addr" ] && break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$addr" ] && break
	wait "$server" 2>/dev/null || true
	server=
	[ -n "${UDP_PORT:-}" ] && break
done
[ -n "$addr" ] || { cat "$log" >&2; echo "bench: the server did not start" >&2; exit 1; }
echo "server on $addr (pid $server, log $log)"

case "$MODE" in
capacity) scenario=$CAPACITY; files="--json $OUT/capacity.json" ;;
soak) scenario=$SOAK; files="--json $OUT/soak.json --report $OUT/soak.html --svg $OUT/soak.svg" ;;
*) scenario=$STANDARD; files="--json $OUT/bench.json --report $OUT/bench.html" ;;
esac
# make bench-wakeups: with WAKEUPS_PPROF (the server's --pprof-listen URL),
# trace the server for WAKEUPS_SECONDS once the meeting has settled and
# count its goroutine wakeups per packet received (cmd/switchboard-wakeups).
tracer=
if [ -n "${WAKEUPS_PPROF:-}" ]; then
	(sleep "${WAKEUPS_AFTER:-15}" && "$BIN/switchboard-wakeups" --pprof "$WAKEUPS_PPROF" \
		--metrics "http://$addr/metrics" --seconds "${WAKEUPS_SECONDS:-5}" >"$OUT/wakeups.txt") &
	tracer=$!
fi
status=0
# shellcheck disable=SC2086 # the flag lists are meant to split
"$BIN/switchboard-bench" --url "ws://$addr/ws" --metrics "http://$addr/metrics" --ice-ips 127.0.0.1 \
	$scenario $files ${BENCH_ARGS:-} || status=$?
if [ -n "$tracer" ]; then
	wait "$tracer" || status=1
	cat "$OUT/wakeups.txt"
fi
exit "$status"
