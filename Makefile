# tsct - the two commands of the README, and a few conveniences.
#
#   make demo     install missing Debian packages, build, run the demo, print where results are
#   make test     install missing Debian packages, build (normal + ASan/UBSan), run every test;
#                 and the MPI test in build-mpi/ when that build exists (make build-mpi)
#
# Builds go to build/ (Release) and build-san/ (Debug with AddressSanitizer + UBSan).
# JOBS sets the build parallelism (default: all cores).

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
SAN_BUILD ?= build-san
MPI_BUILD ?= build-mpi
CMAKE_FLAGS ?=

.PHONY: all deps build build-san build-mpi test test-fast test-mpi demo install clean bench

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTSCT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)

# The MPI program (docs/mpi.md): Open MPI installed on request, a build folder of its own.
build-mpi:
	@scripts/install-deps --mpi
	cmake -S . -B $(MPI_BUILD) -DCMAKE_BUILD_TYPE=Release -DTSCT_WITH_MPI=ON $(CMAKE_FLAGS)
	cmake --build $(MPI_BUILD) -j $(JOBS)

# Every test in both builds; scripts/run-tests prints one summary line for CI. The MPI test
# runs too where the MPI build exists.
test: build build-san
	@scripts/run-tests $(BUILD) $(SAN_BUILD)
	@if [ -d $(MPI_BUILD) ]; then $(MAKE) test-mpi; fi

test-mpi: build-mpi
	cd $(MPI_BUILD) && ctest --output-on-failure -R test_mpi

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
	rm -rf $(BUILD) $(SAN_BUILD) $(MPI_BUILD)
