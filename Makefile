# tsct - the two commands of the README, and a few conveniences.
#
#   make demo     install missing Debian packages, build, run the demo, print where results are
#   make test     install missing Debian packages, build (normal + ASan/UBSan), run every test
#
# Builds go to build/ (Release) and build-san/ (Debug with AddressSanitizer + UBSan).
# JOBS sets the build parallelism (default: all cores).

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
SAN_BUILD ?= build-san
CMAKE_FLAGS ?=

.PHONY: all deps build build-san test test-fast demo install clean bench

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTSCT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)

# Every test in both builds; scripts/run-tests prints one summary line for CI.
test: build build-san
	@scripts/run-tests $(BUILD) $(SAN_BUILD)

# The normal build only, for quick iterations.
test-fast: build
	@scripts/run-tests $(BUILD)

demo: build
	@scripts/demo $(BUILD)

bench: build
	@echo "benchmarks: see bench/README.md"

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
