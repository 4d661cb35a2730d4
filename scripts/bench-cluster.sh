#!/bin/sh
# make bench-cluster: a Redis and three Switchboard nodes on loopback, in
# this process tree; one room with every publisher on node 1 and the
# subscribers spread over the three. Two runs, back to back:
#   1. baseline: node 1 alone with the publishers and its share of the
#      subscribers (the other nodes idle): what node 1 spends without relays;
#   2. cluster: the same publishers on node 1, the subscribers round-robin
#      over nodes 1, 2, 3: node 1 relays every track to nodes 2 and 3.
# Then clustermodel prints per-node CPU per forwarded packet, the relay
# overhead on the sending and the receiving node (derived from the two
# runs: see bench/clustermodel.Derive), the latency one relay hop adds,
# and the model of a 10 000-participant room over 50 nodes.
# Everything is stopped on the way out, failure or Ctrl-C included.
# Reports: bench-out/cluster-baseline.json, bench-out/cluster.{json,html}.
#
# Sized for a 2-core machine that also runs the load generator and three
# servers: PUBLISHERS=3 SUBSCRIBERS=15 BITRATE=1M DURATION=20s by default;
# BENCH_ARGS adds flags to both runs.
set -eu

BIN=${BIN:-bin}
OUT=${BENCH_OUT:-bench-out}
PUBLISHERS=${PUBLISHERS:-3}
SUBSCRIBERS=${SUBSCRIBERS:-15}
BITRATE=${BITRATE:-1M}
DURATION=${DURATION:-20s}
NODES=3
SECRET=bench-cluster-$$

mkdir -p "$OUT"
pids=
stop_all() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	pids=
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port N picks a pseudo-random port in 20000-59999 for attempt N.
port() { echo $((20000 + ($$ * 13 + $1 * 1733) % 40000)); }

# Redis, on loopback, nothing written to disk.
command -v redis-server >/dev/null || { echo "bench-cluster: redis-server missing (make test-deps installs it)" >&2; exit 1; }
redis_port=
for attempt in 1 2 3 4 5; do
	p=$(port "$attempt")
	redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >"$OUT/redis.log" 2>&1 &
	rpid=$!
	for _ in $(seq 50); do
		redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && { redis_port=$p; break; }
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$redis_port" ]; then pids="$pids $rpid"; break; fi
	kill "$rpid" 2>/dev/null || true
	wait "$rpid" 2>/dev/null || true
done
[ -n "$redis_port" ] || { cat "$OUT/redis.log" >&2; echo "bench-cluster: redis-server did not start" >&2; exit 1; }
echo "redis on 127.0.0.1:$redis_port"

# Three nodes, each its own UDP port for media (a taken one: try another).
addrs=
for i in $(seq $NODES); do
	addr=
	log="$OUT/node$i.log"
	for attempt in 1 2 3 4 5; do
		udp=$(port $((attempt * 10 + i + 100)))
		"$BIN/switchboard" --listen 127.0.0.1:0 --ice-ips 127.0.0.1 --log-level warn --max-participants 200 \
			--max-connections-per-ip 0 --joins-per-ip 0 \
			--udp-port "$udp" --redis "redis://127.0.0.1:$redis_port/0" --cluster-secret "$SECRET" --node-id "n$i" \
			${SERVER_ARGS:-} >"$log" 2>&1 &
		spid=$!
		for _ in $(seq 100); do
			addr=$(sed -n 's#.*Open https\{0,1\}://\([^/]*\)/.*#\1#p' "$log" | head -n 1)
			[ -n "$addr" ] && break
			kill -0 "$spid" 2>/dev/null || break
			sleep 0.1
		done
		if [ -n "$addr" ]; then pids="$pids $spid"; break; fi
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	done
	[ -n "$addr" ] || { cat "$log" >&2; echo "bench-cluster: node $i did not start" >&2; exit 1; }
	echo "node $i on $addr (udp $udp, log $log)"
	addrs="$addrs $addr"
done

# Wait until every node sees the three.
for addr in $addrs; do
	ok=
	for _ in $(seq 100); do
		n=$(curl -fsS "http://$addr/metrics" 2>/dev/null | sed -n 's/^switchboard_cluster_nodes \([0-9]*\).*/\1/p')
		[ "${n:-0}" -ge $NODES ] && { ok=1; break; }
		sleep 0.1
	done
	[ -n "$ok" ] || { echo "bench-cluster: $addr sees ${n:-no} nodes, not $NODES" >&2; exit 1; }
done

first=$(echo $addrs | cut -d' ' -f1)
common="--ice-ips 127.0.0.1 --floor=false --rooms 1 --publishers $PUBLISHERS --bitrate $BITRATE --duration $DURATION --join-rate 10"

# Node 1's share of the subscribers: round-robin gives it the most.
share=$(( (SUBSCRIBERS + NODES - 1) / NODES ))
echo
echo "== baseline: node 1 alone, $PUBLISHERS publishers and $share subscribers"
# shellcheck disable=SC2086 # the flag lists are meant to split
"$BIN/switchboard-bench" --url "ws://$first/ws" --metrics "http://$first/metrics" $common \
	--subscribers "$share" --room-prefix bench-baseline --json "$OUT/cluster-baseline.json" ${BENCH_ARGS:-}

echo
echo "== cluster: $PUBLISHERS publishers on node 1, $SUBSCRIBERS subscribers over $NODES nodes"
nodeflags=
for addr in $addrs; do nodeflags="$nodeflags --url ws://$addr/ws --metrics http://$addr/metrics"; done
# shellcheck disable=SC2086
"$BIN/switchboard-bench" $nodeflags --pin-publishers $common \
	--subscribers "$SUBSCRIBERS" --room-prefix bench-cluster --json "$OUT/cluster.json" --report "$OUT/cluster.html" ${BENCH_ARGS:-}

stop_all
echo
"$BIN/switchboard-clustermodel" --baseline "$OUT/cluster-baseline.json" --cluster "$OUT/cluster.json" ${MODEL_ARGS:-}
