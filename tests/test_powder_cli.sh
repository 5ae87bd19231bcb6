#!/bin/sh
# test_powder_cli.sh - `tsct pattern` and `tsct debye` end to end: the reflection table and its
# numbers, the pattern file (peak position and area of a known reflection), the Debye file
# (I(0) = (N f(0))^2), and clear errors for bad input (exit 1 or 2, a message naming the file
# or option, never a crash).
set -u
. "$TSCT_SRC/tests/lib.sh"
CIF="$TSCT_DATA/cif"
PY=${PYTHON:-/usr/bin/python3}

# ---- help ----
run 0 "$TSCT" help;                   expect_out "pattern"; expect_out "debye"
run 0 "$TSCT" pattern --help;         expect_out "usage: tsct pattern"
run 0 "$TSCT" help debye;             expect_out "usage: tsct debye"

# ---- the reflection table ----
run 0 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 6.5 --peaks
expect_out "h    k    l            d            q    two_theta multiplicity               F2        intensity"
# fcc Cu, a = 3.61496: 111 (m 8) at d = a / sqrt 3, then 200 (m 6), 220 (m 12), 311 (m 24), 222
expect_out "   1    1    1    2.0870981"
expect_out "   2    0    0    1.8074800"
cp "$OUT" "$TSCT_TMP/peaks.txt"
"$PY" - "$TSCT_TMP/peaks.txt" <<'PYEOF' || fail "reflection table values"
import math, sys
rows = [l.split() for l in open(sys.argv[1])][1:]
a, lam = 3.61496, 0.5
want = [((1, 1, 1), 8), ((2, 0, 0), 6), ((2, 2, 0), 12), ((3, 1, 1), 24), ((2, 2, 2), 8)]
assert len(rows) >= 5, rows
for row, (hkl, m) in zip(rows, want):
    h, k, l = map(int, row[:3]); d, q, tt = map(float, row[3:6]); mult = int(row[6])
    f2, inten = float(row[7]), float(row[8])
    assert sorted(map(abs, (h, k, l))) == sorted(hkl) and mult == m, row
    dd = a / math.sqrt(sum(x * x for x in hkl))
    assert abs(d - dd) < 1e-6 and abs(q - 2 * math.pi / dd) < 1e-6, row
    th = math.asin(lam / (2 * dd))
    assert abs(tt - 2 * math.degrees(th)) < 1e-5, row
    # intensity = multiplicity * F2 * L, L = 1 / (sin^2 theta cos theta), no polarisation
    lp = 1 / (math.sin(th) ** 2 * math.cos(th))
    assert abs(inten - m * f2 * lp) < 1e-6 * inten, (row, m * f2 * lp)
    # fcc: F = 4 f_Cu, so F2 = 16 f^2 with f0(Cu) > 0
    assert 16 * 5 ** 2 < f2 < 16 * 29 ** 2, row
PYEOF

# ---- a pattern: position and area of the 111 peak ----
run 0 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --energy 24.79683968664 --qmax 4 --qmin 2.5 \
    --two-theta --step 0.001 --w 0.0004 --eta 0 -o "$TSCT_TMP/cu.xy"
expect_err "wrote"
"$PY" - "$TSCT_TMP/cu.xy" "$TSCT_TMP/peaks.txt" <<'PYEOF' || fail "pattern peak"
import math, sys
import numpy as np
x, y = np.loadtxt(sys.argv[1], unpack=True)
row = open(sys.argv[2]).readlines()[1].split()
tt, inten = float(row[5]), float(row[8])
sel = abs(x - tt) < 0.2
# Gaussian of FWHM 0.02 degree on a 0.001 degree grid: area to 1e-6, maximum at the centre
area = np.sum(y[sel]) * (x[1] - x[0])
assert abs(area / inten - 1) < 1e-6, (area, inten)
assert abs(x[sel][np.argmax(y[sel])] - tt) <= 0.0005, (x[sel][np.argmax(y[sel])], tt)
PYEOF

# ---- Debye: I(0) = (N f(0))^2 for N Cu atoms ----
run 0 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 6 --qmax 5 --step 0.5 -o "$TSCT_TMP/cu.iq"
expect_err "79 atoms"
"$PY" - "$TSCT_TMP/cu.iq" <<'PYEOF' || fail "debye I(0)"
import sys
import numpy as np
q, i = np.loadtxt(sys.argv[1], unpack=True)
# Waasmaier-Kirfel Cu: f0(0) = sum a + c
f0 = 14.014192 + 4.784577 + 5.056806 + 1.457971 + 6.932996 - 3.254477
assert len(q) == 11 and q[0] == 0, q
assert abs(i[0] / (79 * f0) ** 2 - 1) < 1e-12, (i[0], (79 * f0) ** 2)
assert np.all(i > 0) and i[-1] < i[0], i
PYEOF
run 0 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 4 --shape cube --centre 0.25,0.25,0.25 \
    -o "$TSCT_TMP/cube.iq"

# ---- bad input ----
head -c 700 "$CIF/Cu_COD9008468.cif" > "$TSCT_TMP/truncated.cif"
run 1 "$TSCT" pattern "$TSCT_TMP/truncated.cif" --wavelength 0.5 --qmax 5 --peaks
expect_err "truncated.cif"
sed 's/^Cu  *0\.0/Qq 0.0/; s/^Cu /Qq /' "$CIF/Cu_COD9008468.cif" > "$TSCT_TMP/unknown.cif"
grep -q "^Qq" "$TSCT_TMP/unknown.cif" || fail "could not make unknown.cif"
run 1 "$TSCT" pattern "$TSCT_TMP/unknown.cif" --wavelength 0.5 --qmax 5 --peaks
expect_err "unknown.cif"; expect_err "Qq"
sed 's/^_cell_angle_alpha .*/_cell_angle_alpha 120/; s/^_cell_angle_beta .*/_cell_angle_beta 120/; s/^_cell_angle_gamma .*/_cell_angle_gamma 120/' \
    "$CIF/Cu_COD9008468.cif" > "$TSCT_TMP/flat.cif"
run 1 "$TSCT" pattern "$TSCT_TMP/flat.cif" --wavelength 0.5 --qmax 5 -o "$TSCT_TMP/x.xy"
expect_err "flat.cif"; expect_err "zero volume"
run 1 "$TSCT" debye "$TSCT_TMP/flat.cif" --radius 5 -o "$TSCT_TMP/x.iq"
expect_err "zero volume"
run 1 "$TSCT" pattern "$TSCT_TMP/missing.cif" --wavelength 0.5 --qmax 5 --peaks
expect_err "missing.cif"
run 2 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius -3 -o "$TSCT_TMP/x.iq"
expect_err "--radius expects a number > 0, got '-3'"
run 2 "$TSCT" debye "$CIF/Cu_COD9008468.cif" -o "$TSCT_TMP/x.iq"; expect_err "missing --radius"
run 2 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 5 --shape blob -o "$TSCT_TMP/x.iq"
expect_err "--shape must be sphere or cube"
run 2 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 5 --centre 1,2 -o "$TSCT_TMP/x.iq"
expect_err "--centre expects X,Y,Z"
run 1 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 0.5 --centre 0.25,0.25,0.25 -o "$TSCT_TMP/x.iq"
expect_err "no atom within 0.5 Angstrom"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 0 --peaks
expect_err "--qmax expects a number > 0, got '0'"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax -2 --peaks
expect_err "--qmax expects a number > 0"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 30 --peaks
expect_err "beyond 2theta = 180 degrees"
run 2 "$TSCT" debye "$CIF/Cu_COD9008468.cif" --radius 5 --qmax 0 -o "$TSCT_TMP/x.iq"
expect_err "--qmax expects a number > 0"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --qmax 5 --peaks
expect_err "give either --wavelength or --energy"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --energy 20 --qmax 5 --peaks
expect_err "give either --wavelength or --energy"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --peaks; expect_err "missing --qmax"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 5; expect_err "missing -o"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength abc --qmax 5 --peaks
expect_err "--wavelength expects a number"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 5 --size 0 -o "$TSCT_TMP/x.xy"
expect_err "--size expects a number > 0"
run 1 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --wavelength 0.5 --qmax 5 --w -1 -o "$TSCT_TMP/x.xy"
expect_err "FWHM"
run 2 "$TSCT" pattern --wavelength 0.5 --qmax 5 --peaks;      expect_err "missing FILE.cif"
run 2 "$TSCT" pattern "$CIF/Cu_COD9008468.cif" --bogus;      expect_err "unknown option '--bogus'"
[ -e "$TSCT_TMP/x.xy" ] && fail "a failed run left x.xy behind"
[ -e "$TSCT_TMP/x.iq" ] && fail "a failed run left x.iq behind"
finish
