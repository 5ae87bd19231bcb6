#!/bin/sh
# Build and run the libFuzzer harnesses of the file parsers (CBF, EDF, TIFF, npy, PONI, and
# PDFgetX3 configurations with their compositions).
#
#   tests/fuzz/run.sh [SECONDS] [FUZZERS...]      default: 60 s each, all six
#
# Needs clang with libFuzzer (Debian: clang), libtiff-dev, and for the seed corpus python3 with
# numpy, fabio and tifffile (optional: without them the fuzzers start from the test data).
# Builds into build-fuzz/ at the top of the tree with ASan + UBSan; crashes are written there
# as crash-*; a summary line per fuzzer gives the executions run. Not part of CMake or ctest.
set -eu
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
FUZZERS=${*:-"cbf edf tiff npy poni pdfcfg"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build-fuzz
mkdir -p "$OUT"
CC=${CC:-clang}
SRC="$ROOT/lib/core/status.c $ROOT/lib/core/array.c $ROOT/lib/core/publish.c
     $ROOT/lib/io/image.c $ROOT/lib/io/image_cbf.c $ROOT/lib/io/image_edf.c
     $ROOT/lib/io/image_tiff.c $ROOT/lib/io/image_npy.c $ROOT/lib/io/poni.c"
# The configuration reader needs none of the image code.
SRC_PDFCFG="$ROOT/lib/core/status.c $ROOT/lib/pdf/pdf_config.c $ROOT/lib/physics/composition.c
     $ROOT/lib/physics/formfactor.c $ROOT/lib/physics/element_table.c
     $ROOT/lib/physics/formfactor_table.c"
FLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I$ROOT/include -I$ROOT/lib"

# Seeds: small valid files of every kind, then the real test files that are small enough.
SEEDS=$OUT/seeds
mkdir -p "$SEEDS/cbf" "$SEEDS/edf" "$SEEDS/tiff" "$SEEDS/npy" "$SEEDS/poni" "$SEEDS/pdfcfg"
${PYTHON:-/usr/bin/python3} - "$SEEDS" <<'PY' || echo "run.sh: no python seeds (numpy/fabio/tifffile missing)"
import sys, numpy
d = sys.argv[1]
a = (numpy.arange(56, dtype=numpy.int32).reshape(7, 8) * 997 - 3000)
a[0, 0] = 70000; a[1, 1] = -2**31 + 5; a[2, 2] = 2**31 - 7
for dt in ("<f4", "<u2", ">i2", "|u1", "<f8", "|b1"):
    numpy.save("%s/npy/s%s.npy" % (d, dt[1:]), a.astype(dt))
numpy.save("%s/npy/stack.npy" % d, numpy.stack([a, a]).astype("<i4"))
import fabio.cbfimage, fabio.edfimage
fabio.cbfimage.CbfImage(data=a).write("%s/cbf/s.cbf" % d)
fabio.edfimage.EdfImage(data=a.astype(numpy.uint16)).write("%s/edf/s.edf" % d)
e = fabio.edfimage.EdfImage(data=a.astype(numpy.float32))
e.append_frame(data=a.astype(numpy.int32))
e.write("%s/edf/two.edf" % d)
import tifffile
tifffile.imwrite("%s/tiff/s.tif" % d, a.astype(numpy.float32))
tifffile.imwrite("%s/tiff/t.tif" % d, numpy.stack([a, a]).astype(">u2"), tile=(16, 16),
                 compression="zlib")
tifffile.imwrite("%s/tiff/p.tif" % d, a.astype(numpy.int16), compression="packbits",
                 rowsperstrip=2)
PY
find "$ROOT/tests/data" -name '*.poni' -exec cp {} "$SEEDS/poni/" \;
for d in "$ROOT"/tests/data/pdf/pdfgetx3_examples/*/; do
    cp "$d/pdfgetx3.cfg" "$SEEDS/pdfcfg/$(basename "$d").cfg"
done
printf '[DEFAULT]\ncomposition = Pb 1 (Ti Zr) 1/2 O 3\nbackgroundfiles = a.chi,\n    b.chi\nbgscales = 1 0.5\n[s]\nqmax = 20\n' \
    > "$SEEDS/pdfcfg/lists.cfg"

for f in $FUZZERS; do
    echo "== fuzz_$f: building"
    if [ "$f" = pdfcfg ]; then SRCF=$SRC_PDFCFG; else SRCF=$SRC; fi
    $CC $FLAGS "$ROOT/tests/fuzz/fuzz_$f.c" $SRCF -ltiff -lm -lpthread -o "$OUT/fuzz_$f"
    mkdir -p "$OUT/corpus_$f"
    (cd "$OUT" && ./fuzz_$f -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 "corpus_$f" "seeds/$f" 2> "fuzz_$f.log") ||
        { echo "fuzz_$f FAILED: see $OUT/fuzz_$f.log"; tail -40 "$OUT/fuzz_$f.log"; exit 1; }
    echo "fuzz_$f: $(grep -E 'stat::number_of_executed_units' "$OUT/fuzz_$f.log" | awk '{print $2}') executions in ${SECONDS_EACH} s, corpus $(ls "$OUT/corpus_$f" | wc -l) inputs"
done
