#!/bin/sh
# test_recon.sh - `tsct sinogram` / `tsct recon`: usage errors, bad inputs with clear messages
# (angle count != sinogram rows, NaN angles, 1-D data, missing dataset), and an interrupted
# container reconstruction that resumes and gives exactly the uninterrupted result.
set -u
. "$TSCT_SRC/tests/lib.sh"

"$PYTHON" - "$TSCT_TMP" <<'PY' || fail "python inputs"
import sys, h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
with h5py.File(d + "/in.h5", "w") as f:
    f["sino"] = rng.random((30, 40), dtype=np.float32)
    f["theta"] = np.linspace(0, 180, 30, endpoint=False)
    f["theta29"] = np.linspace(0, 180, 29, endpoint=False)
    t = np.linspace(0, 180, 30, endpoint=False); t[7] = np.nan
    f["theta_nan"] = t
    f["line"] = np.ones(40, np.float32)
# a container with sinograms big enough that a reconstruction takes a few seconds
na, ns, nq = 90, 96, 768
sino = rng.random((1, 1, na, ns, nq), dtype=np.float32)
with h5py.File(d + "/cube.h5", "w") as f:
    f["data"] = sino
PY

# usage and bad inputs
run 2 "$TSCT" recon;                                           expect_err "missing input"
run 2 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" -o "$TSCT_TMP/o.h5"; expect_err "--angles"
run 2 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" -o "$TSCT_TMP/o.h5" --angle-range 0:180 --method art
expect_err "--method expects fbp, sirt or cgls"
run 2 "$TSCT" sinogram;                                        expect_err "missing EXP.h5"
run 1 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" --angles "$TSCT_TMP/in.h5::/theta29" -o "$TSCT_TMP/o.h5"
expect_err "29 angles for a sinogram of 30 rows"
run 1 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" --angles "$TSCT_TMP/in.h5::/theta_nan" -o "$TSCT_TMP/o.h5"
expect_err "angle[7]"
run 1 "$TSCT" recon "$TSCT_TMP/in.h5::/line" --angle-range 0:180 -o "$TSCT_TMP/o.h5"
expect_err "found 1-D [40]"
run 1 "$TSCT" recon "$TSCT_TMP/in.h5::/nothing" --angle-range 0:180 -o "$TSCT_TMP/o.h5"
expect_err "/nothing"
run 1 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" --angle-range 0:0 -o "$TSCT_TMP/o.h5"
expect_err "--angle-range"
[ ! -e "$TSCT_TMP/o.h5" ] || fail "a failed recon left an output file"
run 0 "$TSCT" recon "$TSCT_TMP/in.h5::/sino" --angles "$TSCT_TMP/in.h5::/theta" --centre 20 \
    -m sirt -n 5 -o "$TSCT_TMP/o.h5"
expect_err "centre of rotation 20.000 (given)"
run 1 "$TSCT" recon "$TSCT_TMP/cube.h5";                      expect_err "cube.h5"
run 1 "$TSCT" sinogram "$TSCT_TMP/in.h5";                     expect_err "in.h5"

# an interrupted reconstruction resumes
exp="$TSCT_TMP/exp.h5"
run 0 "$TSCT" import "$TSCT_TMP/cube.h5::/data" -s sinograms -o "$exp"
"$PYTHON" - "$exp" <<'PY' || fail "angles"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as f:
    f["entry/scan/angle"] = np.linspace(0, 180, 90, endpoint=False)
PY
cp "$exp" "$TSCT_TMP/ref.h5"
run 0 "$TSCT" recon "$TSCT_TMP/ref.h5" --centre none --block 128
"$TSCT" recon "$exp" --centre none --block 128 >/dev/null 2>&1 &
pid=$!
i=0
while [ $i -lt 1000 ]; do
    sleep 0.02
    i=$((i + 1))
    [ -e "$exp.recon.partial" ] && HDF5_USE_FILE_LOCKING=FALSE "$TSCT" info "$exp" 2>/dev/null |
        grep -qE "recon +[1-9][0-9]* of" && break
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e "$exp.recon.partial" ]; then
    "$PYTHON" - "$exp" <<'PY' || fail "after the kill the container looks complete"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert "recon" not in f["entry"], "stage present"
PY
    run 0 "$TSCT" recon "$exp" --centre none --block 128
    expect_err "resuming an interrupted run"
else
    fail "the reconstruction finished (or never started) before the kill: nothing to resume"
fi
"$PYTHON" - "$TSCT_TMP/ref.h5" "$exp" <<'PY' || fail "resumed result differs"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    x, y = a["entry/recon/data"][...], b["entry/recon/data"][...]
    assert x.shape == y.shape == (1, 1, 96, 96, 768), (x.shape, y.shape)
    # the FBP kernel sums angles in a dynamic schedule: float rounding may differ by ~1e-7
    d = np.abs(x - y).max() / np.abs(x).max()
    assert d <= 1e-6, "values differ by %g of the maximum" % d
    assert b["entry/process/recon"].attrs["resumed"] == b"yes"
PY
finish
