# Hookline. The two set-up commands: `make run` (the platform) and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
SQLC_VERSION := v1.31.1
SQLC  := $(BIN)/sqlc

# Test packages that embed the Temporal server (temporaltest, the dev stack):
# 200 MB binaries, run without -race. Everything else runs under -race.
SERVER_PKGS := ./api/... ./cmd/... ./hooklinetest
RACE_PKGS    = $(shell $(GO) list ./... | grep -v -e '/hookline/api$$' -e '/hookline/cmd/' -e '/internal/devstack$$' -e '/hooklinetest')

REDOCLY := npx --yes @redocly/cli@2.77.0

.PHONY: run build test test-race vet check-generated generate lint lint-openapi vulncheck bench fuzz faults chaos screenshots clean

run: build ## hookline dev: embedded Temporal + UI on Postgres, API and worker
	$(BIN)/hookline dev

build:
	$(GO) build -o $(BIN)/hookline ./cmd/hookline

# Fuzz targets with the budget `make test` gives each (seed corpora in
# testdata/fuzz): execution counts sized to about 2 s each on a 2-core
# machine. Counts, not durations: a duration's expiry can race Go's fuzz
# coordinator (golang/go#75804, fixed in Go 1.27). `make fuzz FUZZTIME=1m`
# runs each for a duration instead, for longer exploration.
# Fuzzed packages must not link the Temporal server: fuzz builds instrument
# every package of the test binary, and the server's would take minutes.
FUZZTIME ?=
FUZZ_TARGETS := ./internal/cursor:FuzzParse:25000x ./internal/netguard:FuzzValidateURL:25000x \
	./internal/requestid:FuzzValid:100000x ./internal/publish:FuzzValidate:50000x \
	./internal/signing:FuzzSignVerifyRoundTrip:60000x ./internal/catalog:FuzzValidatePayload:25000x \
	./internal/filter:FuzzFilter:40000x

test: lint ## what CI runs
	$(GO) test -race -count=1 -timeout 10m $(RACE_PKGS)
	$(GO) test -count=1 -timeout 15m $(SERVER_PKGS)
	@# Alone, since it may restart the Postgres server (HOOKLINE_FAULT_PG_RESTART=1, set by CI).
	$(GO) test -count=1 -timeout 10m ./hooklinetest/faults/
	$(MAKE) --no-print-directory fuzz

test-race: ## the packages that embed the Temporal server, under -race (timings in docs/RELIABILITY.md)
	$(GO) test -race -count=1 -timeout 40m $(SERVER_PKGS)

fuzz: ## each fuzz target for its execution budget (make fuzz FUZZTIME=1m for a longer run)
	@FUZZTIME=$(FUZZTIME) ./.ci/fuzz $(FUZZ_TARGETS)

faults: ## the fault-injection suite at size (figures in docs/RELIABILITY.md)
	set -o pipefail; HOOKLINE_FAULT_PG_RESTART=1 HOOKLINE_FAULT_EVENTS=$${HOOKLINE_FAULT_EVENTS:-500} $(GO) test -count=1 -v -timeout 30m ./hooklinetest/faults/ 2>&1 | grep -E '^(---|===|ok|FAIL|PASS)|_test.go:[0-9]+: ' | grep -v testdbconf


screenshots: ## the portal's main pages at desktop and phone width, into docs/portal/ (headless chromium)
	HOOKLINE_SCREENSHOTS=$(CURDIR)/docs/portal $(GO) test -count=1 -run '^TestPortalScreenshots$$' ./api/

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# sqlc is installed into ./bin rather than added to go.mod: its dependencies
# would share a module graph with the tightly pinned Temporal server.
$(SQLC):
	GOBIN=$(BIN) $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)

check-generated: $(SQLC) ## fails when db/dbq is stale
	@$(SQLC) diff || (echo "db/dbq is stale: run 'make generate'"; exit 1)

generate: $(SQLC) ## db/dbq from db/queries, api/testdata/openapi.json from the code
	$(SQLC) generate
	$(GO) test ./api -run TestOpenAPIGolden -count=1 -update

bench: build ## hookline bench: throughput, latency, baselines, paging, parked retries
	$(BIN)/hookline bench --out bench-results.json $(BENCH_FLAGS)

chaos: build ## 30 minutes of random faults on the split topology (figures in docs/RELIABILITY.md); restarts Postgres
	HOOKLINE_FAULT_PG_RESTART=1 $(BIN)/hookline bench --phases chaos --out chaos-results.json $(CHAOS_FLAGS)

lint: vet check-generated lint-openapi vulncheck

# govulncheck (pinned) over the production image's build (-tags nodev) and
# the full binary, against a database built locally from the pinned
# golang.org/x/vulndb module (vuln.go.dev is not reachable everywhere).
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
GOVULNCHECK := $(BIN)/govulncheck
$(GOVULNCHECK):
	GOBIN=$(BIN) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

vulncheck: $(GOVULNCHECK) build ## known vulnerabilities reachable in the binaries (accepted ones: .govulncheck-accept)
	$(GO) build -tags nodev -o $(BIN)/hookline-nodev ./cmd/hookline  # the production image's build
	$(GO) run ./internal/devtools/vulncheck -db .cache/vulndb-$(VULNDB_VERSION) -vulndb $(VULNDB_VERSION) \
		-govulncheck $(GOVULNCHECK) $(BIN)/hookline-nodev $(BIN)/hookline

# An independent OpenAPI linter (Redocly, pinned) over the committed document;
# TestOpenAPIGolden keeps that document equal to what the code serves.
lint-openapi:
	$(REDOCLY) lint --format=stylish api/testdata/openapi.json

clean:
	rm -rf $(BIN)
