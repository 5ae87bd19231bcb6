#!/bin/sh
# test_output_folder.sh - `-o DIR` with an existing folder, for every shape of output a
# command writes (issue 20, item 5; the rule is tsct_publish_output_name in publish.h):
#   1. one file per input (integrate, pdf, recon, pattern, debye): FOLDER/NAME.ext, never a
#      rename onto the folder; a second run is refused without --force and replaces with it;
#   2. a folder of files (region, figure all, simulate --frames): written into the existing
#      folder, whose other files stay;
#   3. one file that no input names (import, simulate, coverage, particles, figure film):
#      a clear error naming the folder, exit status 1, nothing written into it.
set -u
. "$TSCT_SRC/tests/lib.sh"

T="$TSCT_TMP"
SSRL="$TSCT_DATA/detector_images/ssrl_LaB6_Pilatus300kw"
IMG="$SSRL/b_toney_lab6_th3_scan1_0008.tif"
PONI="$SSRL/b_toney_lab6_th3_scan1_0008.poni"
NI="$TSCT_DATA/pdf/ni_xpd_pdfstream"
CIF="$TSCT_DATA/cif/Cu_COD9008468.cif"
mkdir -p "$T/out"
: > "$T/out/keep.txt"

exists() {
    checks=$((checks + 1))
    [ -f "$1" ] || fail "$1 missing after: $last"
}

# a file written into the folder, then refused without --force, replaced with it
into_folder() {
    file=$1
    shift
    run 0 "$@"
    exists "$file"
    run 1 "$@"
    expect_err "already exists"
    run 0 "$@" --force
    exists "$file"
}

# 1. one file per input
cp "$IMG" "$T/lab6.tif"
into_folder "$T/out/lab6.xy" "$TSCT" integrate "$T/lab6.tif" --poni "$PONI" -n 100 -o "$T/out"
into_folder "$T/out/Ni_chi_file.gr" "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -o "$T/out" \
    "$NI/Ni_chi_file.chi"
into_folder "$T/out/Cu_COD9008468.xy" "$TSCT" pattern "$CIF" --wavelength 0.5 --qmax 5 \
    -o "$T/out"
into_folder "$T/out/Cu_COD9008468.iq" "$TSCT" debye "$CIF" --radius 5 --qmax 5 -o "$T/out"
"$PYTHON" - "$T/sino.h5" <<'PY' || fail "python sinogram"
import sys, h5py, numpy as np
x = np.linspace(-1, 1, 24)
th = np.radians(np.arange(30) * 6.0)
s = np.array([[np.exp(-((xx - 0.2 * np.cos(t)) / 0.3) ** 2) * (c + 1) for c in range(3)]
              for t in th for xx in x], dtype=np.float32).reshape(30, 24, 3)
with h5py.File(sys.argv[1], "w") as f:
    f["sino"] = s
PY
into_folder "$T/out/sino.h5" "$TSCT" recon "$T/sino.h5::/sino" --angle-range 0:180 --centre none \
    -o "$T/out"
# the folder spelt with a trailing '/' names the same file
run 0 "$TSCT" pattern "$CIF" --wavelength 0.5 --qmax 5 -o "$T/out/" --force
exists "$T/out/Cu_COD9008468.xy"
checks=$((checks + 1))
ls "$T/out" | grep -q partial && fail "a .partial file was left in the folder"

# 2. folders of files into an existing folder
"$PYTHON" - "$T/src.h5" <<'PY' || fail "python source"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    d = np.zeros((6, 6, 30), dtype=np.float32)
    d[1:5, 1:5, :] = 1 + np.arange(30, dtype=np.float32) / 30
    f["patterns"] = d
    f["q"] = np.linspace(1, 3, 30)
PY
run 0 "$TSCT" import "$T/src.h5::/patterns" -a "$T/src.h5::/q" -o "$T/exp.h5"
run 0 "$TSCT" map "$T/exp.h5" --total tot
mkdir -p "$T/reg"
: > "$T/reg/keep.txt"
run 0 "$TSCT" region "$T/exp.h5" --name mid --circle 0,0,2 -o "$T/reg"
exists "$T/reg/mid_t0000.xy"
exists "$T/reg/keep.txt"
mkdir -p "$T/fig"
: > "$T/fig/keep.txt"
run 0 "$TSCT" figure all "$T/exp.h5" -o "$T/fig"
exists "$T/fig/map_tot.png"
exists "$T/fig/keep.txt"
mkdir -p "$T/frames"
: > "$T/frames/keep.txt"
run 0 "$TSCT" simulate --preset demo --level frames --set nt=1 --set na=4 --set ns=6 \
    --frames "$T/frames" -o "$T/sim.h5"
exists "$T/frames/frames_t0000.h5"
exists "$T/frames/keep.txt"

# 3. one output that no input names: a clear error, nothing written
mkdir -p "$T/empty"
run 1 "$TSCT" import "$T/src.h5::/patterns" -o "$T/empty"; expect_err "$T/empty"
run 1 "$TSCT" simulate --preset demo -o "$T/empty";       expect_err "$T/empty"
run 1 "$TSCT" coverage "$T/exp.h5" --map tot -o "$T/empty"; expect_err "is a folder"
run 1 "$TSCT" particles "$T/exp.h5" --map tot -o "$T/empty"; expect_err "is a folder"
run 1 "$TSCT" figure film "$T/exp.h5" --region mid -o "$T/empty"; expect_err "is a folder"
checks=$((checks + 1))
[ -z "$(ls -A "$T/empty")" ] || fail "files left in a refused output folder: $(ls -A "$T/empty")"

finish
