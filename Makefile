# custsync's developer commands. `make` alone lists them.
GO ?= go
# oasdiff is run as a pinned tool, never imported into the library.
OASDIFF ?= $(GO) run github.com/oasdiff/oasdiff@v1.35.0
# benchstat, pinned the same way, compares benchmark runs for `make bench`.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHCOUNT ?= 6
# golangci-lint and govulncheck, pinned the same way. `go run pkg@version`
# keeps the linked binary in the Go build cache (Go 1.24 and later), so only
# the first run builds them (about a minute for golangci-lint; later runs
# start in under a second): no install step and no binary to keep current.
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
GOVULNCHECK ?= $(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0
# make vuln checks against this snapshot of the Go vulnerability database
# (the module golang.org/x/vulndb, from the module proxy), indexed once into
# a gitignored directory: the scan itself is offline and reproducible.
# Move the pin forward to learn of newer vulnerabilities.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB_DIR := .cache/vulndb/$(VULNDB_VERSION)
# The revision spec-diff compares against: origin/main when it exists, else HEAD.
BASE ?= $(shell git rev-parse --verify --quiet origin/main >/dev/null && echo origin/main || echo HEAD)
VENDORS := upwell bluetape billbee

.DEFAULT_GOAL := help
.PHONY: help generate check-generated lint vuln test bench fuzz spec-diff

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

lint: ## gofmt (handwritten code only), go vet and golangci-lint (.golangci.yml).
	@out=$$(find . -name '*.go' -not -path './gen/*' -not -path './.cache/*' -not -name '*.gen.go' -print0 | xargs -0 gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

vuln: $(VULNDB_DIR)/index/db.json ## Known vulnerabilities the code reaches (govulncheck, offline, against VULNDB_VERSION).
	@$(GO) version
	$(GOVULNCHECK) -db file://$(CURDIR)/$(VULNDB_DIR) ./...

# indexdb turns the module's OSV files into the database layout govulncheck
# reads; built next to the target and renamed, so that an interrupted build
# is never taken for a finished one.
$(VULNDB_DIR)/index/db.json:
	@src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p') && \
	test -d "$$src/data/osv" || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv"; exit 1; }; \
	echo "indexing the vulnerability database golang.org/x/vulndb@$(VULNDB_VERSION) into $(VULNDB_DIR)"; \
	mkdir -p "$(dir $(VULNDB_DIR))" && rm -rf "$(VULNDB_DIR).tmp" && \
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out "$(VULNDB_DIR).tmp" && \
	rm -rf "$(VULNDB_DIR)" && mv "$(VULNDB_DIR).tmp" "$(VULNDB_DIR)"

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
	$(GO) test ./adapter/bulk -run '^$$' -fuzz FuzzCompactObjectAgreesWithTheDecoder -fuzztime $(FUZZTIME)
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
