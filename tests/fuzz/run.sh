#!/bin/sh
# Build and run the libFuzzer harnesses of the library's parsers.
#
#   tests/fuzz/run.sh [-o DIR] [-j JOBS] [SECONDS] [FUZZERS...]
#
#   SECONDS   per harness (default 60); FUZZERS default to every tests/fuzz/fuzz_NAME.c:
#             cbf edf tiff npy poni     detector images and PONI files
#             cif                       CIF, then its reflection list and a powder pattern
#             pattern                   .chi / .xy / .dat / .gr text patterns
#             pdfcfg                    PDFgetX3 .cfg files
#             xyz                       XYZ clusters, then their calculated G(r)
#             pipeline                  tsct run's pipeline files and scan.ini
#             echem                     potentiostat CSV and BioLogic .mpt
#             mca                       multichannel-analyser text spectra (EDXRD)
#             stamps                    time_stamps attributes of container datasets
#             h5frames h5container      HDF5 frame stacks, Dectris masters and containers
#                                       (files built through HDF5 from the input: we fuzz our
#                                       reading of valid files, not HDF5's own parser)
#   -o DIR    build and work folder (default build-fuzz/ at the top of the tree)
#   -j JOBS   parallel compilations (default 2)
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-dev), the -dev packages of
# scripts/install-deps, and for the image seeds python3 with numpy, fabio and tifffile
# (optional). The library sources the harnesses need are compiled once with ASan + UBSan into
# DIR/libtsct-fuzz.a. Seeds: DIR/seeds/NAME, made here from tests/data, generated files, and
# the small files of ../shared/data when that folder exists (TSCT_SHARED_DATA overrides).
# Findings are written to DIR as crash-* / timeout-* / oom-* (reproduce with
# DIR/fuzz_NAME FILE); the corpus grows in DIR/corpus_NAME. Exits 1 on the first harness that
# fails. tests/test_fuzz.sh (ctest) runs every harness for a few seconds; docs/testing.md
# says how to run a long campaign.
set -eu
OUT=""
JOBS=2
while [ $# -gt 0 ]; do
    case "$1" in
        -o) OUT=$2; shift 2 ;;
        -j) JOBS=$2; shift 2 ;;
        *) break ;;
    esac
done
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ALL=$(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | tr '\n' ' ')
FUZZERS=${*:-$ALL}
OUT=${OUT:-$ROOT/build-fuzz}
mkdir -p "$OUT/obj" "$OUT/generated" "$OUT/tmp"
OUT=$(cd "$OUT" && pwd)
CC=${CC:-clang}
PYTHON=${PYTHON:-/usr/bin/python3}

# ---- build -----------------------------------------------------------------------------------
# The serial HDF5 (hdf5.pc may name the MPI one where libhdf5-openmpi-dev is installed).
H5_CFLAGS=$(pkg-config --cflags hdf5-serial 2>/dev/null || pkg-config --cflags hdf5 2>/dev/null ||
            echo -I/usr/include/hdf5/serial)
H5_LIBS=$(pkg-config --libs hdf5-serial 2>/dev/null || pkg-config --libs hdf5 2>/dev/null ||
          echo -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5)
# The codecs tsct runs itself on whole chunks (lib/io/chunk_direct.c).
CODEC_LIBS=$(pkg-config --libs blosc liblz4 2>/dev/null || echo -lblosc -llz4)
PLUGINS=""
for d in /usr/lib/x86_64-linux-gnu/hdf5/serial/plugins /usr/lib/*/hdf5/serial/plugins; do
    [ -d "$d" ] && { PLUGINS=$d; break; }
done
cat > "$OUT/generated/tsct_config.h.new" <<EOF
/* tsct_config.h - written by tests/fuzz/run.sh for the fuzzing build. */
#ifndef TSCT_CONFIG_H
#define TSCT_CONFIG_H
#define TSCT_VERSION_STRING "fuzz"
#define TSCT_HAVE_OPENMP 0
#define TSCT_HAVE_CAIRO 0
#define TSCT_HAVE_MPI 0
#define TSCT_HAVE_CUDA 0
#define TSCT_HDF5_PLUGIN_DIR "$PLUGINS"
#define TSCT_BUILD_TYPE "fuzz"
#define TSCT_DATA_DIRS "$ROOT/data/structures"
#define TSCT_SANITIZED "ON"
#endif
EOF
cmp -s "$OUT/generated/tsct_config.h.new" "$OUT/generated/tsct_config.h" ||
    mv "$OUT/generated/tsct_config.h.new" "$OUT/generated/tsct_config.h"
rm -f "$OUT/generated/tsct_config.h.new"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -w $SAN -I$ROOT/include -I$ROOT/lib -I$OUT/generated
        $H5_CFLAGS"
LIBS="$H5_LIBS $CODEC_LIBS -lfftw3 -lfftw3f -ltiff -lpng -lz -lm -lpthread"

# The modules the parsers live in and what they call.
SRC=$(ls "$ROOT"/lib/core/*.c "$ROOT"/lib/io/*.c "$ROOT"/lib/physics/*.c "$ROOT"/lib/pdf/*.c \
         "$ROOT"/lib/maps/echem.c "$ROOT"/lib/stage/stage_pipeline.c \
         "$ROOT"/lib/edxrd/edxrd_read.c)
# Recompile a source when it, or any header of the tree, is newer than its object.
NEWEST_H=$(ls -t "$ROOT"/include/tsct/*.h "$ROOT"/lib/*/*.h "$OUT/generated/tsct_config.h" |
           head -1)
STALE=$(for s in $SRC; do
    o=$OUT/obj/$(basename "$s" .c).o
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$NEWEST_H" -nt "$o" ]; then echo "$s"; fi
done)
if [ -n "$STALE" ] || [ ! -f "$OUT/libtsct-fuzz.a" ]; then
    echo "== building the library for fuzzing ($(echo "$STALE" | grep -c .) of" \
        "$(echo "$SRC" | wc -l) files, -j$JOBS)"
    echo "$STALE" | xargs -r -P "$JOBS" -I{} sh -c \
        'f={}; $0 $1 -fsanitize=fuzzer-no-link -c "$f" -o "$2/obj/$(basename "$f" .c).o"' \
        "$CC" "$CFLAGS" "$OUT"
    rm -f "$OUT/libtsct-fuzz.a"
    # shellcheck disable=SC2046
    ar rcs "$OUT/libtsct-fuzz.a" $(for s in $SRC; do echo "$OUT/obj/$(basename "$s" .c).o"; done)
fi

for f in $FUZZERS; do
    [ -f "$ROOT/tests/fuzz/fuzz_$f.c" ] || { echo "run.sh: no harness fuzz_$f.c" >&2; exit 1; }
    if [ ! -x "$OUT/fuzz_$f" ] || [ "$ROOT/tests/fuzz/fuzz_$f.c" -nt "$OUT/fuzz_$f" ] ||
       [ "$OUT/libtsct-fuzz.a" -nt "$OUT/fuzz_$f" ] ||
       [ "$ROOT/tests/fuzz/fuzz_util.h" -nt "$OUT/fuzz_$f" ]; then
        echo "== fuzz_$f: building"
        # shellcheck disable=SC2086
        $CC $CFLAGS -fsanitize=fuzzer "$ROOT/tests/fuzz/fuzz_$f.c" "$OUT/libtsct-fuzz.a" \
            $LIBS -o "$OUT/fuzz_$f"
    fi
done

# ---- seeds -----------------------------------------------------------------------------------
SEEDS=$OUT/seeds
for f in $ALL; do mkdir -p "$SEEDS/$f"; done
if [ ! -f "$SEEDS/.python-done" ] || [ "$ROOT/tests/fuzz/seeds.py" -nt "$SEEDS/.python-done" ]; then
    "$PYTHON" "$ROOT/tests/fuzz/seeds.py" "$SEEDS" && touch "$SEEDS/.python-done" ||
        echo "run.sh: some python seeds missing (numpy/fabio/tifffile/h5py)"
fi
copy_small() {   # copy_small DEST FILE... : files up to 64 kB
    dest=$1; shift
    for s in "$@"; do
        [ -f "$s" ] && [ "$(wc -c < "$s")" -le 65536 ] && cp "$s" "$dest/" || true
    done
}
D=$ROOT/tests/data
SHARED=${TSCT_SHARED_DATA:-$ROOT/../shared/data}
for dir in "$D" "$SHARED"; do
    [ -d "$dir" ] || continue
    copy_small "$SEEDS/poni" $(find "$dir" -name '*.poni')
    copy_small "$SEEDS/cif" $(find "$dir" -name '*.cif')
    copy_small "$SEEDS/pattern" $(find "$dir" \( -name '*.chi' -o -name '*.xy' -o -name '*.dat' \
        -o -name '*.gr' -o -name '*.iq' \))
    copy_small "$SEEDS/pdfcfg" $(find "$dir" -name '*.cfg')
    copy_small "$SEEDS/xyz" $(find "$dir" -name '*.xyz')
    copy_small "$SEEDS/pipeline" $(find "$dir" \( -name '*.cfg' -o -name 'scan.ini' \))
    copy_small "$SEEDS/echem" $(find "$dir" \( -name '*.mpt' -o -name '*echem*.csv' \
        -o -name '*ec*.csv' \))
    copy_small "$SEEDS/cbf" $(find "$dir" -name '*.cbf')
    copy_small "$SEEDS/edf" $(find "$dir" -name '*.edf')
    copy_small "$SEEDS/tiff" $(find "$dir" \( -name '*.tif' -o -name '*.tiff' \))
    copy_small "$SEEDS/npy" $(find "$dir" -name '*.npy')
done
# A pipeline file and a scan.ini as tsct run and the simulator write them.
printf '%s\n' '[experiment]' 'container = exp.h5' '[frames]' 'frames = f_t%04d.h5' \
    'poni = d.poni' 'angles = 61' 'angle_range = 180' 'translations = 110' 'zigzag = yes' \
    'npt = 2000' 'qmin = 0.5' 'qmax = 10' '[integrate]' 'filter = trimmed:10,90' \
    '[sinogram]' 'air = 4' '[map]' 'window = A=1.29:1.42' '[figures]' 'enabled = no' \
    > "$SEEDS/pipeline/pipeline.cfg"
printf '%s\n' '[scan]' 'time_steps = 6' 'slices = 1' 'angles = 61' 'angle_range = 180' \
    'translations = 110' 'format = cbf' 'frames = frames_t%04d' 'frame_files = frame_%06d.cbf' \
    'monitor_header = Flux' 'poni = detector.poni' 'counts = 1e4' > "$SEEDS/pipeline/scan.ini"
for f in $ALL; do   # an empty seed folder still gives libFuzzer one input
    [ -n "$(ls "$SEEDS/$f")" ] || printf '\n' > "$SEEDS/$f/empty"
done

# ---- run -------------------------------------------------------------------------------------
status=0
for f in $FUZZERS; do
    mkdir -p "$OUT/corpus_$f"
    (cd "$OUT" && TMPDIR=$OUT/tmp ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1} \
        LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
        ./fuzz_$f -max_total_time="$SECONDS_EACH" -max_len=65536 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -print_final_stats=1 \
        "corpus_$f" "seeds/$f" > "fuzz_$f.log" 2>&1) ||
        { echo "fuzz_$f FAILED: see $OUT/fuzz_$f.log"; tail -40 "$OUT/fuzz_$f.log"; status=1;
          break; }
    echo "fuzz_$f: $(grep -E 'stat::number_of_executed_units' "$OUT/fuzz_$f.log" |
        awk '{print $2}') executions in ${SECONDS_EACH} s, corpus $(ls "$OUT/corpus_$f" |
        wc -l) inputs"
done
exit $status
