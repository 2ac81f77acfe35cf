# rawsock — raw packets and sockets for Linux.
#
#   make demo    run rawsock's main job end to end (a throwaway lab when root)
#   make test    install what the tests need, lint, run every test with -race
#   make bench   benchmarks, side by side with the anchor tools
#   make fuzz    run every fuzz target for FUZZTIME each
#   make build   bin/rawsock, static (CGO_ENABLED=0), version stamped
#   make install copy bin/rawsock to $(PREFIX)/bin

GO        ?= go
PREFIX    ?= /usr/local
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME  ?= 30s
TOOLS     := $(CURDIR)/bin/tools
STATICCHECK := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2

export CGO_ENABLED = 0

.PHONY: all build test demo lint fuzz fuzz-brief bench install deps bench-deps clean

all: build

build:
	$(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/rawsock ./cmd/rawsock

deps:
	@scripts/deps.sh test

bench-deps:
	@scripts/deps.sh bench

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# The race detector needs cgo.
test: deps lint
	CGO_ENABLED=1 $(GO) test -race -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz-brief

# Every fuzz target, briefly (make test) or for FUZZTIME (make fuzz).
fuzz-brief:
	@scripts/fuzz.sh 3s

fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

demo: build
	@scripts/demo.sh bin/rawsock

bench: build bench-deps
	@scripts/bench.sh bin/rawsock

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 bin/rawsock $(DESTDIR)$(PREFIX)/bin/rawsock
	@echo "to let non-root users send and capture: sudo setcap cap_net_raw,cap_net_admin+ep $(DESTDIR)$(PREFIX)/bin/rawsock"

clean:
	rm -rf bin
