# lib.sh - helpers for the shell tests (sourced). Each check prints what failed; finish()
# prints a summary and sets the exit status.
#   run STATUS CMD...   run CMD, capture stdout/stderr in $OUT/$ERR, check the exit status
#                       and that it did not crash (signal or sanitizer report)
#   expect_out TEXT / expect_err TEXT    the last run's stdout / stderr contains TEXT
#   fail MESSAGE
rm -rf "$TSCT_TMP" && mkdir -p "$TSCT_TMP"
OUT="$TSCT_TMP/.out"
ERR="$TSCT_TMP/.err"
failures=0
checks=0
last=""

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*" >&2
}

run() {
    want=$1
    shift
    last="$*"
    checks=$((checks + 1))
    "$@" >"$OUT" 2>"$ERR"
    rc=$?
    if [ "$rc" -ge 128 ] || [ "$rc" -eq 86 ] || [ "$rc" -eq 87 ] || grep -q "Sanitizer" "$ERR"; then
        fail "crashed (status $rc): $last"
        sed 's/^/    /' "$ERR" >&2
    elif [ "$rc" -ne "$want" ]; then
        fail "status $rc, expected $want: $last"
        sed 's/^/    /' "$ERR" >&2
    fi
}

expect_out() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$OUT" || { fail "stdout lacks '$1': $last"; sed 's/^/    /' "$OUT" >&2; }
}

expect_err() {
    checks=$((checks + 1))
    grep -qF -- "$1" "$ERR" || { fail "stderr lacks '$1': $last"; sed 's/^/    /' "$ERR" >&2; }
}

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}
