#!/bin/sh
# test_integrate_cli.sh - `tsct integrate` end to end: one image to a file, several images to a
# folder with one plan, the header, and clear errors (exit status 1 or 2, a message naming the
# file) on bad inputs: a mask of the wrong shape, a PONI file missing keys, an unreadable
# image, a NaN dark, bad options. Agreement with pyFAI of the written file:
# test_integrate_cli_peer.py.
set -u
. "$TSCT_SRC/tests/lib.sh"

D="$TSCT_DATA/detector_images"
P2M="$D/ndtomo_CeO2_Pilatus2M"
SSRL="$D/ssrl_LaB6_Pilatus300kw"
IMG="$SSRL/b_toney_lab6_th3_scan1_0008.tif"
PONI="$SSRL/b_toney_lab6_th3_scan1_0008.poni"
T="$TSCT_TMP"

run 0 "$TSCT" integrate --help;             expect_out "usage: tsct integrate"
run 0 "$TSCT" help;                         expect_out "integrate"

# one image -> one file, three columns under a pyFAI-like header
run 0 "$TSCT" integrate "$IMG" --poni "$PONI" -n 300 --unit 2th_deg --polarization 0.95 \
    --filter trimmed:10,90 -o "$T/one.xy"
expect_err "integrated 1 image"
head -30 "$T/one.xy" > "$OUT"
expect_out "# Distance Sample to Detector: 0.908414073451547 m"
expect_out "# Polarization factor: 0.95"
expect_out "# Filter: trimmed:10,90"
expect_out "# Method: (\"no\", \"histogram\", \"tsct\")"
expect_out "2th_deg"
checks=$((checks + 1))
lines=$(grep -vc '^#' "$T/one.xy")
[ "$lines" -eq 300 ] || fail "one.xy has $lines data lines, expected 300"
checks=$((checks + 1))
awk '!/^#/ && NF != 3 { bad = 1 } END { exit bad }' "$T/one.xy" || fail "one.xy: not 3 columns"

# several images -> a folder, one NAME.xy each; identical images give identical patterns
cp "$IMG" "$T/a.tif"
cp "$IMG" "$T/b.tif"
run 0 "$TSCT" integrate "$T/a.tif" "$T/b.tif" --poni "$PONI" --method bbox -n 200 \
    --radial-range 5 40 --unit q_nm^-1 --azimuth-range -170 170 -o "$T/many"
expect_err "integrated 2 images"
checks=$((checks + 1))
[ -f "$T/many/a.xy" ] && [ -f "$T/many/b.xy" ] || fail "many/a.xy and many/b.xy missing"
checks=$((checks + 1))
cmp -s "$T/many/a.xy" "$T/many/b.xy" && fail "headers should name different images"
checks=$((checks + 1))
[ "$(grep -v '^#' "$T/many/a.xy")" = "$(grep -v '^#' "$T/many/b.xy")" ] ||
    fail "the same image gave two different patterns"
head -25 "$T/many/a.xy" > "$OUT"
expect_out "# Radial range: 5 40 q_nm^-1"
expect_out "# Azimuth range: -170 170 deg"

# one image into an existing folder: FOLDER/NAME.xy (not a rename onto the folder); a second
# run needs --force to replace it
mkdir -p "$T/folder"
run 0 "$TSCT" integrate "$T/a.tif" --poni "$PONI" --method bbox -n 200 \
    --radial-range 5 40 --unit q_nm^-1 --azimuth-range -170 170 -o "$T/folder"
expect_err "integrated 1 image into $T/folder"
checks=$((checks + 1))
[ -f "$T/folder/a.xy" ] || fail "folder/a.xy missing"
checks=$((checks + 1))
[ "$(grep -v '^#' "$T/folder/a.xy")" = "$(grep -v '^#' "$T/many/a.xy")" ] ||
    fail "one image into a folder differs from the same image among several"
run 1 "$TSCT" integrate "$T/a.tif" --poni "$PONI" -n 200 -o "$T/folder"
expect_err "folder/a.xy"
run 0 "$TSCT" integrate "$T/a.tif" --poni "$PONI" -n 200 -o "$T/folder" --force

# with mask, dark, flat and the Pilatus 2M CBF
run 0 "$TSCT" integrate "$P2M/CeO2.cbf" --poni "$P2M/CeO2.poni" --mask "$P2M/mask.edf" \
    --filter sigma:4 --dark "$P2M/mask.edf" -o "$T/p2m.xy"
head -20 "$T/p2m.xy" > "$OUT"
expect_out "# Mask applied: $P2M/mask.edf"

# bad inputs: the message names the file
run 1 "$TSCT" integrate "$IMG" --poni "$PONI" --mask "$P2M/mask.edf" -o "$T/x.xy"
expect_err "mask.edf"; expect_err "shape 1679 x 1475, expected 195 x 1475"
printf 'Detector: Pilatus300kw\nDistance: 0.1\nPoni1: 0.01\n' > "$T/missing.poni"
run 1 "$TSCT" integrate "$IMG" --poni "$T/missing.poni" -o "$T/x.xy"
expect_err "missing.poni"; expect_err "Poni2"
printf 'not an image at all' > "$T/junk.cbf"
run 1 "$TSCT" integrate "$T/junk.cbf" --poni "$PONI" -o "$T/x.xy"
expect_err "junk.cbf"
run 1 "$TSCT" integrate "$T/nothere.tif" --poni "$PONI" -o "$T/x.xy"
expect_err "nothere.tif"
/usr/bin/python3 -c "
import numpy as np, sys
d = np.zeros((195, 1475), np.float32); d[3, 7] = np.nan
np.save(sys.argv[1], d)" "$T/nandark.npy"
run 1 "$TSCT" integrate "$IMG" --poni "$PONI" --dark "$T/nandark.npy" -o "$T/x.xy"
expect_err "nandark.npy"; expect_err "pixel (3, 7) is nan"
run 1 "$TSCT" integrate "$IMG" "$P2M/CeO2.cbf" --poni "$PONI" -o "$T/mixed"
expect_err "CeO2.cbf"; expect_err "expected 195 x 1475"
run 1 "$TSCT" integrate "$IMG" --poni "$PONI" --radial-range 500 600 -o "$T/x.xy"
expect_err "no unmasked pixel"
checks=$((checks + 1))
[ ! -e "$T/x.xy" ] || fail "a failed run left $T/x.xy"

# usage errors
run 2 "$TSCT" integrate "$IMG" -o "$T/x.xy";                    expect_err "missing --poni"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI";                  expect_err "missing -o"
run 2 "$TSCT" integrate --poni "$PONI" -o "$T/x.xy";            expect_err "missing IMAGE"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --filter trimmed:90,10
expect_err "--filter"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --method pseudo;  expect_err "pseudo"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --unit furlong;   expect_err "furlong"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --npt 0;          expect_err "--npt"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --polarization 3; expect_err "--polarization"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --radial-range 1; expect_err "two numbers"
run 2 "$TSCT" integrate "$IMG" --poni "$PONI" -o x --bogus;          expect_err "--bogus"
finish
