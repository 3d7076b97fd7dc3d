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

.PHONY: all build run test lint bench clean interop-deps tools
.PHONY: release-snapshot goreleaser-check e2e-roots test-systemd

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

test: interop-deps
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

tools:
	test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) vet -tags e2e_systemd ./e2e/...
	$(MAKE) goreleaser-check

# Benchmarks print their figures (round trips/s, rows/s, hand-off ms, latency ratios).
bench: interop-deps
	$(GO) test -run '^$$' -bench . -benchtime 2s -timeout $(TEST_TIMEOUT) ./...

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

test-systemd: e2e-roots build release-snapshot
	SNOWFLAKE_MCP_E2E_ROOTS=$(E2E_ROOTS) $(GO) test -tags e2e_systemd -race -count=1 -timeout 20m -run 'TestSystemd' ./e2e/
