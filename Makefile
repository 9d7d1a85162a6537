# custsync's developer commands. `make` alone lists them.
GO ?= go
# oasdiff is run as a pinned tool, never imported into the library.
OASDIFF ?= $(GO) run github.com/oasdiff/oasdiff@v1.35.0
# benchstat, pinned the same way, compares benchmark runs for `make bench`.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHCOUNT ?= 6
# The revision spec-diff compares against: origin/main when it exists, else HEAD.
BASE ?= $(shell git rev-parse --verify --quiet origin/main >/dev/null && echo origin/main || echo HEAD)
VENDORS := upwell bluetape billbee

.DEFAULT_GOAL := help
.PHONY: help generate check-generated lint test bench fuzz spec-diff

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## Regenerate gen/ from specs/ (oapi-codegen, pinned in go.mod).
	$(GO) generate ./...

check-generated: ## Regenerate and fail if gen/ changed (gen/ must match specs/).
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -R gen "$$tmp/" && \
	$(GO) generate ./... && \
	if ! diff -r "$$tmp/gen" gen >/dev/null; then \
		echo "gen/ is out of date with specs/ (or was edited by hand); the regenerated files are now in place:"; \
		diff -r "$$tmp/gen" gen | head -40; exit 1; \
	fi && echo "gen/ is current"

lint: ## gofmt (handwritten code only) and go vet.
	@out=$$(find . -name '*.go' -not -path './gen/*' -not -name '*.gen.go' -print0 | xargs -0 gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint check-generated ## Lint, check gen/ is current, run every test with -race.
	$(GO) test -race ./...

bench: ## Benchmarks, through benchstat: custsync against hand-written floors, push, Billbee's share (see BENCHMARKS.md).
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
	echo "== per update, in-process (client=custsync against client=floor, BENCHCOUNT=$(BENCHCOUNT) interleaved rounds)" && \
	for i in $$(seq $(BENCHCOUNT)); do \
		$(GO) test -run '^$$' -bench '^BenchmarkUpdate$$' -benchmem ./adapter/upwell ./adapter/bluetape ./adapter/billbee >>"$$out/update.txt" || exit 1; \
	done && $(BENCHSTAT) -col /client "$$out/update.txt" && \
	echo && echo "== push of 2000 Upwell records (3 pushes a sample), concurrency 16, sandbox on loopback, BENCHCOUNT=$(BENCHCOUNT) interleaved rounds" && \
	for i in $$(seq $(BENCHCOUNT)); do \
		$(GO) test -run '^$$' -bench '^BenchmarkPush$$' -benchtime 3x ./adapter >>"$$out/push.txt" || exit 1; \
	done && \
	$(BENCHSTAT) -col /client "$$out/push.txt" && \
	echo && echo "== Billbee bulk under the sandbox's throttles (40 updates, about 20 s)" && \
	$(GO) test -run '^$$' -bench '^BenchmarkThrottledBulk$$' -benchtime 1x ./adapter/billbee | grep -E '^Benchmark'
	@echo && echo "Other benchmarks: go test -run '^\$$' -bench . ./..."

FUZZTIME ?= 30s
fuzz: ## Run each fuzz target for FUZZTIME (their seed corpora run in every go test).
	$(GO) test ./adapter -run '^$$' -fuzz FuzzParseCustomerUpdate -fuzztime $(FUZZTIME)
	$(GO) test ./adapter -run '^$$' -fuzz FuzzDigest -fuzztime $(FUZZTIME)
	$(GO) test ./wiretime -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	@for p in upwell bluetape billbee; do \
		$(GO) test ./adapter/$$p -run '^$$' -fuzz FuzzResponseDecoding -fuzztime $(FUZZTIME) || exit 1; \
	done

spec-diff: ## Breaking changes in specs/ against BASE (default origin/main, else HEAD).
	@for v in $(VENDORS); do \
		echo "== $$v: specs/$$v.yaml against $(BASE)"; \
		tmp=$$(mktemp --suffix=.yaml); \
		if git show "$(BASE):specs/$$v.yaml" >"$$tmp" 2>/dev/null; then \
			$(OASDIFF) breaking "$$tmp" "specs/$$v.yaml" || exit 1; \
		else echo "(not in $(BASE): new spec)"; fi; \
		rm -f "$$tmp"; \
	done
