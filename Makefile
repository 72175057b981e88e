# confwatch — see README.md. Every target works on a fresh clone with Go installed.
GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/confwatch
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short torture lint fuzz demo demo-ci bench cluster-bench install docs deb lint-deb clean etcd-upstream

# The Debian package (contrib/deb/build explains the choices). DEB_VERSION must be a
# Debian version starting with a digit; SOURCE_DATE_EPOCH defaults to the last commit's time.
DEB_VERSION ?= $(shell contrib/deb/version 2>/dev/null || echo 0~dev)
DEB_ARCH    ?= $(shell dpkg --print-architecture 2>/dev/null)
DEB         := dist/confwatch_$(DEB_VERSION)_$(DEB_ARCH).deb

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/confwatch

# Everything CI runs. Tests needing root, nginx or a real systemd skip with a
# reason elsewhere; CI is root and has them (.ci/run installs them).
test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) test -count=1 -timeout 15m ./...
	$(GO) test -race -count=1 -timeout 10m ./agent/... ./cmd/confwatch/ ./sdnotify/
	$(MAKE) demo-ci

test-short:
	$(GO) test -short ./...

# Each fuzz target for FUZZTIME (make test runs only their seed corpora).
# A failure stops here; its input is saved under the package's
# testdata/fuzz/<Target>/ and replays in every later go test. A failure
# that saved no input is Go's own race at the end of -fuzztime ("context
# deadline exceeded", golang/go#75804, fixed in Go 1.27): said, not failed.
FUZZTIME ?= 5m
FUZZ_TARGETS := ./agent/resource:FuzzLoad ./units:FuzzQuoteSplit ./agent/kv:FuzzTree ./agent/render:FuzzRender ./units:FuzzGenerate
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; dir=$$pkg/testdata/fuzz/$$name; echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		before=$$(ls $$dir 2>/dev/null | wc -l); \
		if ! $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; then \
			if [ "$$(ls $$dir 2>/dev/null | wc -l)" != "$$before" ]; then echo "== $$name: failing input saved in $$dir"; exit 1; fi; \
			echo "== $$name: ran $(FUZZTIME), no failing input saved: Go's end-of-fuzztime race (golang/go#75804), not a finding"; \
		fi; \
	done

# The history checker's long fault schedule (issue 12; make test runs the short one): ROUNDS
# rounds of every fault (leader kill -9, the watch member frozen 10 s and 25 s, quorum loss by
# freezing and by killing, compaction while the agent is stopped, agent SIGTERM/kill -9 loops,
# put-delete-put), about 2.5 minutes each, then each member frozen 25 s with 3 s sidekick
# leases. The figures to copy into docs/RELIABILITY.md are in TestHistory's "figures" line.
ROUNDS ?= 4
torture:
	CONFWATCH_TORTURE=$(ROUNDS) $(GO) test -count=1 -run '^(TestHistory|TestSidekickKeysThroughLongFreezes)$$' -v -timeout 90m ./internal/history/

# An etcd server of the release go.mod names (the Debian one the tests run by default is
# 3.4), for comparing: CONFWATCH_ETCD=$(CURDIR)/bin/etcd-upstream make torture. Built in a
# module of its own, so the server's extra dependencies stay out of ours.
ETCD_VERSION = $(shell $(GO) list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
etcd-upstream:
	d=$$(mktemp -d) && cd $$d && printf 'module etcdbuild\ngo 1.26\n' > go.mod && \
	GOFLAGS=-mod=mod $(GO) get go.etcd.io/etcd/server/v3@$(ETCD_VERSION) && \
	GOFLAGS=-mod=mod $(GO) build -o $(CURDIR)/bin/etcd-upstream go.etcd.io/etcd/server/v3 && rm -rf $$d

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The whole loop live: embedded etcd, three backends, the agent, and nginx when
# installed. Ctrl-C stops everything.
demo:
	$(GO) build -o bin/confwatch-demo ./cmd/confwatch-demo
	bin/confwatch-demo $(DEMO_FLAGS)

# The demo, non-interactive, for CI: fails unless a backend was seen to leave and come back.
demo-ci:
	$(GO) run ./cmd/confwatch-demo --ci --duration 20s

bench:
	$(GO) run ./bench/cmd/benchrun -out docs/BENCHMARKS.md $(if $(CONFD),-peer $(CONFD))

# Issue 16's lab (e2e's TestCluster; root, nginx-light, etcd-server, iproute2): five hosts in
# network namespaces, the fault cases with more stop/start cycles than in make test; writes
# its figures into docs/CLUSTER.md, section "The lab's figures".
cluster-bench:
	CLUSTER_FIGURES=$(CURDIR)/docs/CLUSTER.md CLUSTER_ROUNDS=5 $(GO) test -count=1 -timeout 15m -run 'TestCluster$$' -v ./e2e/

docs: build
	$(BIN) docs --format markdown > docs/cli.md
	$(BIN) docs --format man > docs/confwatch.8

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/confwatch
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(BIN) docs --format man > $(DESTDIR)$(PREFIX)/share/man/man8/confwatch.8
	$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/confwatch
	$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_confwatch
	$(BIN) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/confwatch.fish
	install -D -m 0644 contrib/confwatch.toml $(DESTDIR)/etc/confwatch/confwatch.toml.example
	sed 's|/usr/local/bin/confwatch|$(PREFIX)/bin/confwatch|' contrib/systemd/confwatch.service | \
		install -D -m 0644 /dev/stdin $(DESTDIR)/etc/systemd/system/confwatch.service
	install -D -m 0644 contrib/polkit/50-confwatch.rules $(DESTDIR)$(PREFIX)/share/doc/confwatch/50-confwatch.rules

# A position-independent Go binary without cgo: no shared library needed, so the
# package depends on nothing but init-system-helpers for its maintainer scripts.
deb:
	CGO_ENABLED=0 $(GO) build -buildmode=pie -trimpath -ldflags '-s -w -X main.version=$(DEB_VERSION)' -o bin/confwatch-deb ./cmd/confwatch
	contrib/deb/build --bin bin/confwatch-deb --version '$(DEB_VERSION)' --arch '$(DEB_ARCH)' --out dist

# Errors and warnings fail; the ones that remain are overridden, each with its reason, in
# contrib/deb/lintian-overrides. (make test runs it too, as e2e's TestDebLintian.)
lint-deb: deb
	lintian --fail-on error,warning $(DEB)

clean:
	rm -rf bin dist
