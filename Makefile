# Switchboard: `make run` starts a server, `make test` runs every test.
GO          ?= go
ADDR        ?= :8080
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT ?= 25m
MODULE      := github.com/switchboard-rtc/switchboard
# TIMED_PKGS hold the tests whose media runs in real time (browsers, shaped
# links, in-process calls measured over seconds, the load generator's timed
# runs): `make test` runs them alone, one package after the other (go test
# -p 1), since on 2 cores another package's tests starve them of CPU (a
# Chromium publisher then never sends its top simulcast layer).
TIMED_PKGS  := ./cmd/switchboard ./signaling ./signaling/cluster ./cmd/switchboard-bench ./bench
FUZZTIME    ?= 60s
PPROF_PORT  ?= 6060
FUZZPARALLEL ?= 1

.PHONY: all build run test test-deps lint fmt fuzz bench bench-wakeups bench-capacity soak bench-cluster bench-go bench-links clean

all: build

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard
	$(GO) build -o bin/switchboard-bench ./cmd/switchboard-bench
	$(GO) build -o bin/switchboard-clustermodel ./cmd/switchboard-clustermodel
	$(GO) build -o bin/switchboard-wakeups ./cmd/switchboard-wakeups

## run: build and start the server on $(ADDR); it prints the URL to open.
run: build
	./bin/switchboard --listen $(ADDR) $(ARGS)

## test: install what the tests need, lint, then every test with the race detector:
## first every package but the timed ones, side by side; then the timed ones
## (TIMED_PKGS) one at a time, so that no other package's tests take their CPU.
test: test-deps lint
	@set -u; status=0; \
	untimed=$$($(GO) list ./... | grep -v -x -F $(foreach p,$(TIMED_PKGS),-e $(MODULE)/$(p:./%=%))); \
	echo "$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) <every package but $(TIMED_PKGS)>"; \
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $$untimed || status=1; \
	echo "$(GO) test -race -count=1 -p 1 -timeout $(TEST_TIMEOUT) $(TIMED_PKGS)"; \
	$(GO) test -race -count=1 -p 1 -timeout $(TEST_TIMEOUT) $(TIMED_PKGS) || status=1; \
	exit $$status

## test-deps: Go modules, plus Debian's Chromium, coturn, nftables and redis-server for the tests where missing.
test-deps:
	$(GO) mod download
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@# ip and tc (network namespaces, veth, tbf) for the browser tests' links.
	@if ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1; then \
		echo "installing iproute2 from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; \
	fi
	@# redis-server for the cluster tests (each starts its own on a free loopback port).
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "installing redis-server from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi
	@# coturn for the relay-only browser test, nftables for the UDP-blocked one.
	@if ! command -v turnserver >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then \
		echo "installing coturn and nftables from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn nftables >/dev/null; \
	fi

## lint: gofmt, go vet and staticcheck must all be clean, and the web client's modules parse.
lint:
	@out=$$(gofmt -l .); \
		if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	@if command -v node >/dev/null; then \
		for f in web/static/*.js; do node --input-type=module --check < $$f || { echo "$$f does not parse as an ES module"; exit 1; }; done; \
	else echo "node not installed: web/static/*.js not syntax-checked"; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w .

## fuzz: run every fuzz target (func FuzzXxx in a _test.go file) for
## $(FUZZTIME) each, one after the other, with $(FUZZPARALLEL) workers. A
## finding is written to the package's testdata/fuzz/FuzzXxx/ and fails.
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
			echo "== $$(dirname $$f) $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) "$$(dirname $$f)"; \
		done; \
	done

## bench: start a server on loopback, run the standard load scenario against
## it, print the table and write bench-out/bench.{json,html} (scripts/bench.sh).
bench: build
	./scripts/bench.sh standard

## bench-wakeups: the standard scenario with the server's goroutine wakeups
## traced for 5 s in its middle: per second and per packet received, by the
## goroutine woken (bench-out/wakeups.txt; cmd/switchboard-wakeups).
bench-wakeups: build
	WAKEUPS_PPROF=http://127.0.0.1:$(PPROF_PORT) SERVER_ARGS="--pprof-listen 127.0.0.1:$(PPROF_PORT) $(SERVER_ARGS)" \
		./scripts/bench.sh standard

## bench-capacity: one 2 Mbit/s publisher, subscribers added in steps until
## loss passes 1 % or latency p99 passes 50 ms.
bench-capacity: build
	./scripts/bench.sh capacity

## soak: the standard scenario for SOAK_DURATION (default 30m; e.g.
## SOAK_DURATION=2h make soak) with SOAK_CHURN (1) subscribers a second
## vanishing and replaced; the server is scraped every 10 s and the slope per
## hour of its RSS, heap, goroutines, open files and CPU per forwarded packet
## after SOAK_WARMUP (5m) is reported, each flagged if it drifts:
## bench-out/soak.{json,html,svg}.
soak: build
	./scripts/bench.sh soak

## bench-cluster: redis-server and three nodes on loopback, one room with
## the publishers on node 1 and the subscribers over all three: per-node CPU
## per forwarded packet, relay overhead, the latency of a relay hop, and the
## model of a 10 000-participant room (scripts/bench-cluster.sh).
bench-cluster: build
	./scripts/bench-cluster.sh

## bench-links: for each link shape of issue 10 (LINK_SHAPES), a meeting in
## headless Chromium (two 720p simulcast publishers, one subscriber behind a
## tc-shaped downlink) sampled every 250 ms; writes bench-out/links/<shape>
## .json and .svg and links.html, and fails on a missed target. The test
## binary is built once, so every shape runs the same code (about 50 s each).
LINK_SHAPES ?= 300k 600k 1500k 2m-loss5 step
bench-links:
	@set -u; status=0; mkdir -p bench-out/links; \
	$(GO) test -c -o bench-out/links/links.test ./cmd/switchboard || exit 1; \
	for s in $(LINK_SHAPES); do \
		(cd cmd/switchboard && SWITCHBOARD_BENCH_LINKS=$$s SWITCHBOARD_BENCH_OUT=$(CURDIR)/bench-out/links \
			$(CURDIR)/bench-out/links/links.test -test.count=1 -test.timeout 6m -test.run '^TestBenchLinks$$' -test.v) || status=1; \
	done; \
	exit $$status

## bench-go: Go benchmarks of the forwarding path and of the floor (SRTP +
## one UDP write per packet).
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./sfu/... ./bench/floor/

clean:
	rm -rf bin bench-out
