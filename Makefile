# snowflake-mcp: build, run, test.
# `make run` brings up the emulator and the server; `make test` runs every test with the race detector.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck
TEST_TIMEOUT ?= 30m

.PHONY: all build run test lint bench clean interop-deps pm2-deps tools fuzz-short
.PHONY: release-snapshot goreleaser-check e2e-roots test-systemd test-packages

all: build

# snowflake-mcp is static (no cgo); only the emulator links DuckDB through cgo.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/snowflake-mcp ./cmd/snowflake-mcp
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/snowflake-emulator ./cmd/snowflake-emulator

run: build
	./scripts/run-stack.sh $(BIN)

# Node clients (the official TypeScript SDK and the MCP conformance suite) drive the real binary in tests.
interop/node_modules: interop/package.json interop/package-lock.json
	npm ci --prefix interop --no-audit --no-fund
	touch interop/node_modules

interop-deps: interop/node_modules

# PM2 (pinned) for running the server under it and for the e2e tests that do.
deploy/pm2/node_modules: deploy/pm2/package.json deploy/pm2/package-lock.json
	npm ci --prefix deploy/pm2 --no-audit --no-fund
	touch deploy/pm2/node_modules

pm2-deps: deploy/pm2/node_modules

test: interop-deps pm2-deps
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

# A few seconds each of the auth header parser, the token verifier and the MCP HTTP entry
# point (the first run builds fuzz-instrumented test binaries of gosnowflake and all its
# dependencies: ~3 min of CPU, cached after). The endpoint's 84 seeds take ~8 s to replay.
FUZZTIME ?= 5s
FUZZTIME_MCP ?= 20s
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzBearerToken$$' -fuzztime $(FUZZTIME) ./authn
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./authn
	$(GO) test -run '^$$' -fuzz '^FuzzMCPEndpoint$$' -fuzztime $(FUZZTIME_MCP) ./mcptools

tools:
	test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) vet -tags e2e_systemd ./e2e/...
	$(MAKE) goreleaser-check

# One run end to end (see bench/doc.go): emulator, snowflake-mcp, the TypeScript peer (npm ci
# in bench/peer) and the direct driver, interleaved; prints a Markdown table, writes bench/results.json.
# BENCHFLAGS=-quick for a shorter, noisier run while iterating.
bench: build
	$(GO) build -o $(BIN)/snowflake-mcp-bench ./cmd/snowflake-mcp-bench
	$(BIN)/snowflake-mcp-bench -server $(BIN)/snowflake-mcp -emulator $(BIN)/snowflake-emulator \
		-peer bench/peer -json bench/results.json -commit $(COMMIT) $(BENCHFLAGS)

clean:
	rm -rf $(BIN) dist

# Releases: goreleaser v2.15.1 from the module proxy, installed once into .tools/.
GORELEASER := $(CURDIR)/.tools/goreleaser
$(GORELEASER):
	GOBIN=$(CURDIR)/.tools $(GO) install github.com/goreleaser/goreleaser/v2@v2.15.1

goreleaser-check: $(GORELEASER)
	$(GORELEASER) check

# Tarballs, deb and rpm packages and checksums in dist/, nothing published.
release-snapshot: $(GORELEASER)
	$(GORELEASER) release --snapshot --clean

# The systemd container tests (e2e/systemd_*_test.go): real systemd 257 (Debian 13) and 252
# (Debian 12) booted with systemd-nspawn from roots cached in /var/cache/snowflake-mcp-e2e.
# Needs root; installs debootstrap and systemd-container when missing.
E2E_ROOTS ?= /var/cache/snowflake-mcp-e2e
e2e-roots:
	@command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap systemd-container >/dev/null; }
	./scripts/e2e-systemd-roots.sh $(E2E_ROOTS)

test-systemd: e2e-roots build
	SNOWFLAKE_MCP_E2E_ROOTS=$(E2E_ROOTS) $(GO) test -tags e2e_systemd -race -count=1 -timeout 20m -run 'TestSystemd(Trixie|Bookworm)Service' ./e2e/

# The deb and tarball from release-snapshot on a booted Debian 13. Not in CI yet: the
# snapshot build (every target, cgo emulator included) has not finished within a session.
test-packages: e2e-roots release-snapshot
	SNOWFLAKE_MCP_E2E_ROOTS=$(E2E_ROOTS) $(GO) test -tags e2e_systemd -race -count=1 -timeout 20m -run 'TestSystemdDebPackage' ./e2e/
