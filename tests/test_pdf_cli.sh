#!/bin/sh
# test_pdf_cli.sh - `tsct pdf`: PDFgetX3 configurations, outputs and their headers, 2theta
# input, bad configurations, and the per-voxel batch on a container.
set -u
. "$TSCT_SRC/tests/lib.sh"
NI="$TSCT_DATA/pdf/ni_xpd_pdfstream"
T="$TSCT_TMP"

run 0 "$TSCT" pdf --help;                         expect_out "usage: tsct pdf"
run 2 "$TSCT" pdf "$NI/Ni_chi_file.chi";          expect_err "missing -c CONFIG"
run 2 "$TSCT" pdf -c x.cfg --frob;                expect_err "unknown option '--frob'"

# The Ni pattern with PDFgetX3's own .gr as configuration: every output type, header first.
mkdir -p "$T/out"
run 0 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -t iq,sq,fq,gr -o "$T/out" "$NI/Ni_chi_file.chi"
for ext in iq sq fq gr; do
    [ -s "$T/out/Ni_chi_file.$ext" ] || fail "no Ni_chi_file.$ext"
done
grep -q "^composition = Ni$" "$T/out/Ni_chi_file.gr" || fail "header lacks the composition"
grep -q "^qmaxinst = 25$" "$T/out/Ni_chi_file.gr" || fail "header lacks qmaxinst"
grep -q "^#### start data$" "$T/out/Ni_chi_file.gr" || fail "no data marker"
[ "$(grep -c '^[0-9]' "$T/out/Ni_chi_file.gr")" -eq 6001 ] || fail "gr should have 6001 points"
# An output file is a configuration: rerunning from it reproduces it exactly.
run 0 "$TSCT" pdf -c "$T/out/Ni_chi_file.gr" -o "$T/again.gr" "$NI/Ni_chi_file.chi"
grep '^[0-9]' "$T/out/Ni_chi_file.gr" > "$T/a.txt"
grep '^[0-9]' "$T/again.gr" > "$T/b.txt"
cmp -s "$T/a.txt" "$T/b.txt" || fail "rerun from the output header differs"
# PDFgetX3's output template.
mkdir -p "$T/tok"
run 0 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -o "$T/tok/@b-01.@o" -t fq,gr "$NI/Ni_chi_file.chi"
[ -s "$T/tok/Ni_chi_file-01.gr" ] && [ -s "$T/tok/Ni_chi_file-01.fq" ] || fail "output template"
# An existing output stops the command without --force (exit 1, the file untouched), and is
# replaced with it.
cp "$T/again.gr" "$T/again_before.gr"
run 1 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -o "$T/again.gr" "$NI/Ni_chi_file.chi"
expect_err "already exists"
cmp -s "$T/again.gr" "$T/again_before.gr" || fail "the existing output changed"
run 0 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -o "$T/again.gr" --force "$NI/Ni_chi_file.chi"

# The same pattern in 2theta (lambda 0.1671 A) gives the same G(r) (unequal Q steps: the
# direct sum instead of chirp-z; 1e-6 of max |G| covers the 2theta round trip).
"$PYTHON" - "$NI/Ni_chi_file.chi" "$T/ni_tth.xy" <<'PY' || fail "python 2theta"
import sys, numpy as np
q, i = np.loadtxt(sys.argv[1], comments="#").T
tth = np.degrees(2 * np.arcsin(q * 0.1671 / (4 * np.pi)))
np.savetxt(sys.argv[2], np.c_[tth, i], fmt="%.17g", header="2theta I")
PY
run 0 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" -f twotheta -w 0.1671 -o "$T/tth.gr" "$T/ni_tth.xy"
"$PYTHON" - "$T/out/Ni_chi_file.gr" "$T/tth.gr" <<'PY' || fail "2theta and Q inputs differ"
import sys, numpy as np
a = np.loadtxt(sys.argv[1], skiprows=28); b = np.loadtxt(sys.argv[2], skiprows=28)
d = np.abs(a[:, 1] - b[:, 1]).max() / np.abs(a[:, 1]).max()
print("2theta vs Q: max diff / max |G| =", d)
sys.exit(0 if a.shape == b.shape and d < 1e-6 else 1)
PY

# Bad configurations and options: exit 1, the file, key and line named.
printf '[DEFAULT]\ncomposition = Ni\nqmaxinstt = 25\n' > "$T/bad.cfg"
run 1 "$TSCT" pdf -c "$T/bad.cfg" "$NI/Ni_chi_file.chi"
expect_err "bad.cfg: qmaxinstt[3]: unknown key"
printf '[DEFAULT]\ncomposition =\n' > "$T/empty.cfg"
run 1 "$TSCT" pdf -c "$T/empty.cfg" "$NI/Ni_chi_file.chi"
expect_err "empty.cfg: composition[2]: empty composition"
run 1 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" --qmax 30 --qmaxinst 35 -o "$T/x.gr" "$NI/Ni_chi_file.chi"
expect_err "qmaxinst = 35 is above the data: $NI/Ni_chi_file.chi ends at Q = 31.5"
printf '[DEFAULT]\ncomposition = Ni\n\nqmax = 32\n' > "$T/qmax.cfg"
run 1 "$TSCT" pdf -c "$T/qmax.cfg" -o "$T/x.gr" "$NI/Ni_chi_file.chi"
expect_err "qmax.cfg: qmax[4]: qmax = 32 is above the data"
printf '[DEFAULT]\ncomposition = Ni\nqmax = -2\n' > "$T/neg.cfg"
run 1 "$TSCT" pdf -c "$T/neg.cfg" -o "$T/x.gr" "$NI/Ni_chi_file.chi"
expect_err "neg.cfg: qmax[3]: expected 0 (qmaxinst, or the end of the data) or a Q in 1/A"
printf '[DEFAULT]\ncomposition = Ni\nmode = neutron\n' > "$T/neutron.cfg"
run 1 "$TSCT" pdf -c "$T/neutron.cfg" -o "$T/x.gr" "$NI/Ni_chi_file.chi"
expect_err "neutron.cfg: mode[3]: mode 'neutron' is not supported"
run 1 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" --qmax 30 -o "$T/x.gr" "$NI/Ni_chi_file.chi"
expect_err "qmax = 30 is above qmaxinst = 25"
run 1 "$TSCT" pdf -c "$T/missing.cfg" "$NI/Ni_chi_file.chi";  expect_err "missing.cfg"
run 1 "$TSCT" pdf -c "$NI/Ni_gr_file.gr" "$T/nofile.chi";     expect_err "nofile.chi"
printf '[DEFAULT]\ncomposition = Ni\ndataformat = twotheta\n' > "$T/nowl.cfg"
run 1 "$TSCT" pdf -c "$T/nowl.cfg" "$T/ni_tth.xy";            expect_err "wavelength"

# Per voxel: a 1 x 1 x 2 x 3 volume of Ni patterns at different scales and two empty voxels.
"$PYTHON" - "$NI/Ni_chi_file.chi" "$T/src.h5" <<'PY' || fail "python volume"
import sys, h5py, numpy as np
q, i = np.loadtxt(sys.argv[1], comments="#").T
vol = np.zeros((2, 3, q.size), np.float32)
for k, s in enumerate([1.0, 3.0, 0.0, 0.5, 0.0001, 2.0]):
    vol[k // 3, k % 3] = s * i
with h5py.File(sys.argv[2], "w") as f:
    f["data"] = vol
    f["q"] = q
PY
run 0 "$TSCT" import "$T/src.h5::/data" -a "$T/src.h5::/q" -o "$T/exp.h5"
run 0 "$TSCT" --threads 2 pdf -c "$NI/Ni_gr_file.gr" --rstep 0.2 --container "$T/exp.h5"
expect_err "G(r) of 4 voxels"
"$PYTHON" - "$T/exp.h5" "$T/out/Ni_chi_file.gr" <<'PY' || fail "per-voxel G"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    G = f["entry/pdf/G"][...]; r = f["entry/pdf/r"][...]
    assert f["entry/process/pdf"].attrs["status"].decode() == "complete"
ref = np.loadtxt(sys.argv[2], skiprows=28)
assert G.shape == (1, 1, 2, 3, 301), G.shape
assert np.allclose(r, np.arange(301) * 0.2)
g = ref[::20, 1]                       # the 0.01 A reference at 0.2 A steps
for k in [0, 1, 3, 5]:                 # scale-free: alpha follows the intensity
    d = np.abs(G[0, 0, k // 3, k % 3] - g).max() / np.abs(g).max()
    assert d < 1e-4, (k, d)
assert np.isnan(G[0, 0, 0, 2]).all() and np.isnan(G[0, 0, 1, 1]).all()   # below threshold
print("per-voxel G agrees with the single-pattern path")
PY
finish
