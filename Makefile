# modelsurg: build, test and demo. Every target installs what it needs.
SHELL := /bin/bash
GO ?= go
VENV := .venv
PY := $(VENV)/bin/python
APT_STAMP := /usr/include/hdf5/serial/hdf5.h

.PHONY: build test gotest interop venv deps demo bench clean fixtures docs fuzz

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

# HDF5 is linked statically when libhdf5-dev ships its archives (Debian's
# does): the shared libhdf5 loads 37 more libraries (libcurl and a TLS stack
# for an S3 driver modelsurg never uses), 6 ms of every run. -lhdf5 finds
# the archives first in .cache/hdf5-static, which holds links to them alone.
H5DIR = $(shell ls -d /usr/lib/*/hdf5/serial 2>/dev/null | head -n1)
H5STATIC = $(shell test -f "$(H5DIR)/libhdf5.a" && test -f "$(H5DIR)/libhdf5_hl.a" && echo yes)
H5EXT := -extldflags '-Wl,--as-needed -lhdf5 -lsz -lz -lm -ldl'
H5LINK = $(if $(H5STATIC),$(H5EXT))

build: deps
	$(if $(H5STATIC),mkdir -p .cache/hdf5-static && ln -sf $(H5DIR)/libhdf5.a $(H5DIR)/libhdf5_hl.a .cache/hdf5-static/)
	$(if $(H5STATIC),CGO_LDFLAGS=-L$(CURDIR)/.cache/hdf5-static) $(GO) build -ldflags "-X main.version=$(VERSION) $(H5LINK)" -o bin/modelsurg ./cmd/modelsurg
	$(if $(H5STATIC),CGO_LDFLAGS=-L$(CURDIR)/.cache/hdf5-static) $(GO) build -ldflags "-X main.version=$(VERSION) $(H5LINK)" -o bin/modelsurg-plot ./cmd/modelsurg-plot

# deps installs the HDF5 C library headers when they are missing.
deps: $(APT_STAMP)
$(APT_STAMP):
	@if ! command -v apt-get >/dev/null; then echo "install libhdf5-dev (HDF5 >= 1.10) by hand" >&2; exit 1; fi
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libhdf5-dev >/dev/null

# chromium: headless Chromium for the test of plot's .html page (the test
# skips without it).
chromium: /usr/bin/chromium
/usr/bin/chromium:
	@if ! command -v apt-get >/dev/null; then echo "install chromium by hand (or the plot page test skips)" >&2; exit 0; fi
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# venv: the Keras oracle (tests and fixture generators only).
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-test.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

test: build venv chromium gotest fuzz interop

gotest: deps
	$(GO) vet ./...
	@fmt=$$(gofmt -l cmd internal); if [ -n "$$fmt" ]; then echo "gofmt: $$fmt"; exit 1; fi
	$(GO) test -count=1 ./...
	CGO_ENABLED=0 $(GO) test -count=1 ./internal/surgery ./internal/summary ./internal/model ./internal/modeltest ./internal/kerasfile ./internal/diff ./internal/dialect ./internal/numeric

interop: build venv
	$(PY) -m pytest -q tests/interop

# fuzz: each fuzz target for a bounded time (70 s of fuzzing in all), from the
# seed corpora the tests commit (testdata/configs, testdata/layer_cases);
# an input that fails is written to the package's testdata/fuzz/ to commit.
# Minimizing each new input may take 60 s by default (a 20 kB config parsed
# and inferred per try): 2 s leaves the time to fuzzing.
FUZZTIME ?= 25s
FUZZMIN = -fuzzminimizetime=2s
fuzz: deps
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=20s $(FUZZMIN) ./internal/jsonx/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) $(FUZZMIN) ./internal/model/
	$(GO) test -run='^$$' -fuzz='^FuzzInferLayer$$' -fuzztime=$(FUZZTIME) $(FUZZMIN) ./internal/model/

# docs: the command reference in docs/, generated from the cobra commands.
docs:
	$(GO) test ./cmd/modelsurg -run TestDocsAreCurrent -update

fixtures: venv
	$(PY) testdata/gen_fixtures.py
	$(PY) testdata/gen_manifests.py

clean:
	rm -rf bin .cache

demo: build venv
	bash scripts/demo.sh

# bench: modelsurg against cp and Keras in one run (see scripts/bench.py).
bench: build venv
	$(PY) scripts/bench.py --readme README.md
