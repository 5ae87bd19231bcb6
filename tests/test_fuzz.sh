#!/bin/sh
# test_fuzz.sh - every fuzz harness of tests/fuzz builds (clang's libFuzzer with ASan + UBSan)
# and runs for a few seconds from its seeds without a crash, a sanitizer report, a hang or an
# allocation over 1 GB, so a parser regression shows in CI. The harnesses are built by
# tests/fuzz/run.sh into fuzz/ of this build folder (never the source tree), with a fresh
# corpus each time. clang and libclang-rt-dev come from scripts/install-deps: without them this
# test fails, it does not skip. FUZZ_SECONDS overrides the 3 s per harness.
set -u
. "$TSCT_SRC/tests/lib.sh"
out="$TSCT_BUILD/fuzz"
if ! command -v "${CC_FUZZ:-clang}" >/dev/null 2>&1; then
    fail "clang not found: scripts/install-deps installs it (clang, libclang-rt-dev)"
    finish
    exit 1
fi
rm -rf "$out"/corpus_* "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-*
# The harnesses' own sanitizer settings, not those ctest gives the library's tests.
run 0 env -u ASAN_OPTIONS -u UBSAN_OPTIONS CC="${CC_FUZZ:-clang}" PYTHON="$PYTHON" \
    sh "$TSCT_SRC/tests/fuzz/run.sh" -o "$out" "${FUZZ_SECONDS:-3}"
sed 's/^/    /' "$OUT" >&2
expect_out "fuzz_h5container:"
n=$(grep -c " executions in " "$OUT")
[ "$n" -eq "$(ls "$TSCT_SRC"/tests/fuzz/fuzz_*.c | wc -l)" ] ||
    fail "only $n harnesses ran (every tests/fuzz/fuzz_*.c must)"
grep " executions in " "$OUT" | awk '$2 <= 0 {exit 1}' || fail "a harness ran no input"
finish
