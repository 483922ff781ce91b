# probe — build, test, demo. `make help` lists the targets.

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/probe-net/probe/internal/cli.Version=$(VERSION)

# Pinned code generators for `make proto` (protoc itself comes from the OS:
# apt-get install protobuf-compiler).
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PROTO              := internal/phasev1/phase.proto

# Fuzz targets, as package:Target. `make fuzz` runs each for FUZZTIME; CI
# runs each for a few seconds. A crasher lands in the package's
# testdata/fuzz/<Target>/: fix the bug and commit the file, which then runs
# with every `go test` as a regression test.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	internal/safetext:FuzzEscape \
	core/config:FuzzLoad \
	core/targets:FuzzParse \
	core/targets:FuzzParsePort \
	internal/cli:FuzzParseTestTarget \
	internal/fdpass:FuzzChannelMessages \
	plugins/dns:FuzzAnswer \
	plugins/http:FuzzResponse

.PHONY: help build demo test vet fmt-check cross proto proto-tools proto-check bench bench-go fuzz soak soak-serve clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# probe needs no cgo; a static binary skips the dynamic loader and libc
# start-up in each of the processes it re-executes itself as (perf stat: a
# plugin process starts in ~1 ms less CPU, BENCHMARKS.md).
build: ## build bin/probe, the example plugin and the testbed
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/probe ./cmd/probe
	$(GO) build -o $(BIN)/probe-plugin-statichosts ./examples/plugins/statichosts
	$(GO) build -o $(BIN)/probe-testbed ./examples/testbed/cmd/probe-testbed

demo: build ## start the loopback testbed and probe it end to end (no network needed)
	$(BIN)/probe-testbed -- $(BIN)/probe run examples/testbed.hcl

test: vet fmt-check ## vet, format check and the whole test suite
	$(GO) test -race -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

# The library and its example server must build (tests included) on macOS
# and Windows too; only the CLI's plugin processes are Linux-only.
PORTABLE := ./preconnect/... ./examples/preconnect-server/...

cross: ## build and vet the portable packages for darwin and windows
	GOOS=darwin $(GO) build $(PORTABLE)
	GOOS=darwin $(GO) vet $(PORTABLE)
	GOOS=windows $(GO) build $(PORTABLE)
	GOOS=windows $(GO) vet $(PORTABLE)

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

proto-tools: ## install the pinned protoc plugins
	$(GO) install $(PROTOC_GEN_GO)
	$(GO) install $(PROTOC_GEN_GO_GRPC)

proto: ## regenerate internal/phasev1 from phase.proto
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc \
		--go_out=. --go_opt=module=github.com/probe-net/probe \
		--go-grpc_out=. --go-grpc_opt=module=github.com/probe-net/probe \
		$(PROTO)

proto-check: proto ## fail if the committed generated code differs from phase.proto
	@git diff --exit-code -- internal/phasev1 || \
		(echo "internal/phasev1 is stale: run 'make proto' and commit the result"; exit 1)

fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg; \
	done

BENCH_REPS ?= 5

bench: build ## side-by-side suite: in-process, probe, blackbox_exporter; 1k/10k/100k targets; cold start (BENCHMARKS.md)
	$(GO) build -o $(BIN)/probe-bench ./internal/benchsuite/cmd/probe-bench
	$(BIN)/probe-bench -probe $(BIN)/probe -full -reps $(BENCH_REPS) -raw $(BIN)/bench-raw.txt
	@echo "every measurement, in Go benchmark format (benchstat $(BIN)/bench-raw.txt): $(BIN)/bench-raw.txt"

bench-go: ## the go test micro-benchmarks (per call, per hand-off, injected latency)
	$(GO) test -run '^$$' -bench . -benchtime 200x ./...

SOAK_PROBES ?= 100000
SOAK_FLAGS  ?=

soak: build ## probe run, SOAK_PROBES (100000) probes of hostile loopback targets, plugins killed and stopped: fds, threads and RSS must stay flat (not in CI)
	$(GO) build -o $(BIN)/probe-soak ./internal/soak/cmd/probe-soak
	$(BIN)/probe-soak -probe $(BIN)/probe -probes $(SOAK_PROBES) $(SOAK_FLAGS)

SOAK     ?= 1h
SOAK_OUT ?= $(CURDIR)/soak.csv

soak-serve: ## probe serve, 100 targets every 100 ms for $(SOAK): RSS, heap, goroutines, fds sampled to $(SOAK_OUT), heap profiles beside it; fails on RSS growth over 10% (not in CI)
	PROBE_SOAK=$(SOAK) PROBE_SOAK_OUT=$(SOAK_OUT) $(GO) test -count=1 -v -run '^TestSoak$$' -timeout 0 ./internal/cli

clean:
	rm -rf $(BIN)
