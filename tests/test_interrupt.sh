#!/bin/sh
# test_interrupt.sh - a step killed with SIGKILL mid-way leaves nothing that looks complete,
# and running it again resumes (does not start over) and gives exactly the full result.
#
# The import of a ~60 MB array takes about 1.3 s here; it is killed at several moments. A
# round where the kill landed after the end is not counted; at least two rounds must land
# mid-step, and every round must end, after the re-run, with data identical to the source.
set -u
. "$TSCT_SRC/tests/lib.sh"

# The timings above are those of deflate:1 on random floats; the default (Blosc-zstd) stores
# incompressible chunks as they are and ends the import before most kills. exec keeps the pid,
# so the kill still reaches tsct.
printf '#!/bin/sh\nexec "%s" --compression deflate:1 "$@"\n' "$TSCT" > "$TSCT_TMP/tsct_deflate"
chmod +x "$TSCT_TMP/tsct_deflate"
TSCT="$TSCT_TMP/tsct_deflate"

"$PYTHON" - "$TSCT_TMP/src.h5" <<'PY' || fail "python source"
import sys, h5py, numpy as np
rng = np.random.default_rng(7)
with h5py.File(sys.argv[1], "w") as f:
    f["data"] = rng.random((600, 64, 400), dtype=np.float32)
    f["q"] = np.linspace(0.5, 12.0, 400)
PY

interrupted=0
for delay in 0.2 0.5 0.8 1.2; do
    exp="$TSCT_TMP/exp_$delay.h5"
    work="$exp.import_recon.partial"
    "$TSCT" import "$TSCT_TMP/src.h5::/data" -a "$TSCT_TMP/src.h5::/q" -o "$exp" \
        >"$TSCT_TMP/first.out" 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e "$work" ]; then
        interrupted=$((interrupted + 1))
        # Nothing looks complete: no stage data and no provenance record in the container.
        if [ -e "$exp" ]; then
            "$PYTHON" - "$exp" <<'PY' || fail "after the kill at $delay s, $exp looks complete"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert "recon" not in f["entry"], "stage present"
    assert "process" not in f["entry"] or "import_recon" not in f["entry/process"], "record"
PY
            run 0 "$TSCT" info "$exp";  expect_out "interrupted steps"
        fi
        run 0 "$TSCT" -v import "$TSCT_TMP/src.h5::/data" -a "$TSCT_TMP/src.h5::/q" -o "$exp"
        # It resumed, unless the kill landed before the first units were recorded.
        grep -q "resuming an interrupted run" "$ERR" || grep -q "discarding partial" "$ERR" ||
            grep -q "0 of" "$ERR" || echo "note: kill at $delay s: fresh restart" >&2
    else
        # The first run finished before the kill (or never started); finish it anyway.
        run 0 "$TSCT" import "$TSCT_TMP/src.h5::/data" -a "$TSCT_TMP/src.h5::/q" -o "$exp"
    fi
    [ ! -e "$work" ] || fail "work file left after the successful re-run ($delay s)"
    "$PYTHON" - "$TSCT_TMP/src.h5" "$exp" <<'PY' || fail "data differ after resume ($delay s)"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as s, h5py.File(sys.argv[2], "r") as e:
    src = s["data"][...]
    got = e["entry/recon/data"][0, 0]
    assert got.shape == src.shape, (got.shape, src.shape)
    assert np.array_equal(got, src), "values differ"
    assert e["entry/process/import_recon"].attrs["status"] == b"complete"
PY
done
echo "interrupted mid-step in $interrupted of 4 rounds"
[ "$interrupted" -ge 2 ] || fail "only $interrupted kills landed mid-step"

# A resumed run really skips finished units: kill, then check the re-run's record. The kill
# must land between the first recorded units and the end (a window of a few tenths of a
# second on a loaded machine): up to three tries.
exp="$TSCT_TMP/skip.h5"
for try in 1 2 3; do
    rm -f "$exp" "$exp.import_recon.partial"
    "$TSCT" import "$TSCT_TMP/src.h5::/data" -o "$exp" >/dev/null 2>&1 &
    pid=$!
    i=0
    # Wait until some units are recorded (the record is flushed about once per second).
    while [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
        # The running step holds HDF5's file lock; read the record without taking it.
        [ -e "$exp.import_recon.partial" ] && HDF5_USE_FILE_LOCKING=FALSE "$TSCT" info "$exp" 2>/dev/null |
            grep -qE "import_recon +[1-9][0-9]* of" && break
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -e "$exp.import_recon.partial" ] && break
    echo "note: try $try: the import ended before the kill" >&2
done
if [ -e "$exp.import_recon.partial" ]; then
    run 0 "$TSCT" import "$TSCT_TMP/src.h5::/data" -o "$exp"
    expect_err "resuming an interrupted run"
    "$PYTHON" - "$exp" <<'PY' || fail "resumed record"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f["entry/process/import_recon"].attrs["resumed"] == b"yes"
PY
else
    fail "could not interrupt the import to test skipping"
fi
finish
