# issuance-station: `make demo` and `make test` work on a fresh Debian 12 with the Swift toolchain; both install
# the Debian packages they need first (as root, or through sudo).

SWIFT ?= swift
comma := ,
DEBIAN_PACKAGES := pkg-config util-linux nftables iproute2 pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd opensc libssl-dev openssl \
	libusb-1.0-0-dev umockdev libumockdev-dev zlib1g-dev libopenjp2-7-dev libvips-dev libqrencode-dev zbar-tools poppler-utils libsqlite3-dev curl systemd \
	python3 python3-venv libpam0g-dev chromium chromium-driver swtpm swtpm-tools tpm2-tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test demo demo-up demo-build man completions release bench fuzz soak schemathesis selenium clean test-% lint \
	install release-station deb test-install test-deb

all: build

## deps: install the Debian packages that are missing (apt-get update only when something is missing)
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing: $$missing"; \
		mkdir -p "$(CURDIR)/.build/apt-tmp"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive TMPDIR="$(CURDIR)/.build/apt-tmp" apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive TMPDIR="$(CURDIR)/.build/apt-tmp" \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

## schemathesis: the OpenAPI fuzzer SchemathesisTests runs against the live daemon, in its own venv
SCHEMATHESIS_VERSION := 4.32.5
schemathesis: deps
	@[ -x .build/schemathesis/bin/schemathesis ] && \
		.build/schemathesis/bin/schemathesis --version | grep -q ' $(SCHEMATHESIS_VERSION)$$' || { \
		python3 -m venv .build/schemathesis && \
		.build/schemathesis/bin/pip install -q 'schemathesis==$(SCHEMATHESIS_VERSION)'; }

## selenium: the browser driver ConsoleBrowserTests runs (Debian's chromium + chromium-driver), in its own venv
SELENIUM_VERSION := 4.27.1
selenium: deps
	@[ -x .build/selenium/bin/python ] && \
		.build/selenium/bin/python -c 'import selenium, sys; sys.exit(selenium.__version__ != "$(SELENIUM_VERSION)")' || { \
		python3 -m venv .build/selenium && \
		.build/selenium/bin/pip install -q 'selenium==$(SELENIUM_VERSION)'; }

## test: every test (unit, live PC/SC through pcscd + vpcd, USB replays under umockdev, crash safety, the
## connection flood with 2,000 idle connections and 400 half-sent bodies, schemathesis against the OpenAPI), then
## the software-TPM tests on their own (they wait a minute for tpm2-tools children; beside the rest they starved
## the async tests' timers)
test: deps schemathesis selenium lint
	$(SWIFT) build --build-tests
	$(SWIFT) build --product generate-manual
	$(SWIFT) test --skip-build
	STATION_TPM_TESTS=1 $(SWIFT) test --skip-build --filter TPMSealTests

## lint: swift-format in strict lint mode over Sources and Tests (style in .swift-format: 4 spaces, 120 columns)
lint:
	$(SWIFT) format lint --strict -r Sources Tests

## test-MODULE: one module's tests and only what they need, e.g. `make test-SmartCard`, `make test-ChipID`,
## `make test-JobThreads`, `make test-CentralAPI`, `make test-ControlAPI`. The command-line tests inside a
## module's suite need stationd too: Biometrics' `stationd fingerprint capture` replays (built by test-Biometrics),
## ChipID's `stationd lds verify` (skipped unless `make test-ChipID TEST_WITH=stationd`); `make test` builds all.
test-Biometrics: TEST_WITH ?= stationd
test-%: deps
	STATION_TARGETS=$*Tests$(if $(TEST_WITH),$(comma)$(TEST_WITH)) $(SWIFT) test

## demo: the station with simulated devices: pcscd + vpcd + a simulated CCCD, a card read, a fingerprint, then the
## daemon with the central receiver: an operator's intake (verifiedOffline, or genuine if the enrolment's first sync
## already brought the list), an upload that delivers the test master list, a second intake (genuine), the status
## and the queue

demo: demo-build
	.build/debug/station-demo

## demo-up: the same, then everything stays running (until Ctrl-C) with the commands to try next; `. .demo/env`
## in another terminal points stationctl and stationd at the demo station
demo-up: demo-build
	.build/debug/station-demo --up

demo-build: deps
	$(SWIFT) build --product stationd
	$(SWIFT) build --product station-simulator
	$(SWIFT) build --product stationctl
	$(SWIFT) build --product central-receiver
	$(SWIFT) build --product station-demo

## man, completions: the man pages and shell completion scripts of stationctl and stationd, generated from the
## same ArgumentParser definitions as the commands (into .build/man and .build/completions); systemd/packaging/man-pages.sh
## keeps the Vietnamese that generate-manual alone would drop
man: deps
	$(SWIFT) build --product stationctl
	$(SWIFT) build --product stationd
	$(SWIFT) build --product generate-manual
	systemd/packaging/man-pages.sh .build/debug/generate-manual .build/man .build/debug/stationctl .build/debug/stationd

completions: deps
	$(SWIFT) build --product stationctl
	$(SWIFT) build --product stationd
	mkdir -p .build/completions
	for shell in bash zsh fish; do \
		.build/debug/stationctl --generate-completion-script $$shell > .build/completions/stationctl.$$shell; \
		.build/debug/stationd --generate-completion-script $$shell > .build/completions/stationd.$$shell; \
	done

## release: the kit's executables as shipped, in .build/release (Swift runtime and Foundation linked statically;
## lld packs relocations and keeps the executable's symbols private: see kitLinkerSettings in Package.swift)
RELEASE = $(SWIFT) build -c release --static-swift-stdlib
release: deps
	$(RELEASE) --product stationd
	$(RELEASE) --product stationctl
	$(RELEASE) --product central-receiver

## install: the release build of stationd and stationctl and the station's files where Debian expects them
## (/usr/bin, /usr/lib/systemd/system, /usr/lib/sysusers.d, /usr/lib/tmpfiles.d, /usr/lib/udev/rules.d,
## /usr/share/polkit-1/rules.d, /etc/stationd, /usr/share/{man,doc,stationd,bash-completion}); DESTDIR=DIR stages
## them under DIR. systemd/packaging/install-files.sh lists every file and its mode. Installing on this machine (no
## DESTDIR) does not create the user or enable the socket: install the package (`make deb`) for that.
DESTDIR ?=
install: release-station
	systemd/packaging/install-files.sh "$(DESTDIR)" .build/release .build/debug/generate-manual

release-station: deps
	$(RELEASE) --product stationd
	$(RELEASE) --product stationctl
	$(SWIFT) build --product generate-manual

## deb: the Debian package .build/deb/stationd_VERSION_ARCH.deb from the release build (systemd/packaging/build-deb.sh:
## dpkg-shlibdeps for Depends, dpkg-deb; maintainer scripts in systemd/packaging/debian)
deb: release-station
	systemd/packaging/build-deb.sh .build/release .build/debug/generate-manual .build/deb

## test-install: `make install` into a temporary DESTDIR (debug build): paths, modes, --help of every installed
## program, man pages with their Vietnamese, the installed configuration checked by stationd
test-install: deps
	$(SWIFT) build --product stationd
	$(SWIFT) build --product station-simulator
	$(SWIFT) build --product stationctl
	$(SWIFT) build --product central-receiver
	$(SWIFT) build --product generate-manual
	systemd/packaging/test-install.sh .build/debug .build/debug/generate-manual

## test-deb: `make deb`, then the package's metadata and contents checked, and installed (its dependencies by apt from
## Debian's registry), upgraded with data in the store, removed and purged in a throw-away overlay over a fresh
## Debian 12 root made by debootstrap (kept in .build/deb-root) (systemd/packaging/test-deb.sh; needs root)
test-deb: release-station
	command -v lintian >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive TMPDIR="$(CURDIR)/.build/apt-tmp" \
		apt-get install -y -qq --no-install-recommends lintian >/dev/null
	command -v debootstrap >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		TMPDIR="$(CURDIR)/.build/apt-tmp" apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
	$(SWIFT) build --product queue-crash-probe
	systemd/packaging/test-deb.sh .build/release .build/debug/generate-manual

## bench: speed figures against floors measured in the same run (release build)
bench: release
	$(RELEASE) --product station-simulator
	$(RELEASE) --product insurance-gateway
	$(RELEASE) --product station-bench
	.build/release/station-bench all

## fuzz: the parsers' fuzz loops with millions of cases
fuzz: deps
	STATION_FUZZ_ITERATIONS=$${STATION_FUZZ_ITERATIONS:-200000} $(SWIFT) test --filter 'Fuzz|fuzz'

## soak: long crash-safety runs (kill -9 at random points), then the control-socket flood held for minutes
## with more connections and bodies (STATION_FLOOD_IDLE, STATION_FLOOD_BODIES, STATION_FLOOD_SECONDS)
soak: deps
	STATION_SOAK_KILLS=$${STATION_SOAK_KILLS:-1000} $(SWIFT) test --filter 'Crash|crash'
	STATION_FLOOD_IDLE=$${STATION_FLOOD_IDLE:-8000} STATION_FLOOD_BODIES=$${STATION_FLOOD_BODIES:-2000} \
		STATION_FLOOD_SECONDS=$${STATION_FLOOD_SECONDS:-120} $(SWIFT) test --filter ConnectionFloodTests

clean:
	rm -rf .build .demo
