#!/bin/sh
# score_bivo4.sh [BUILD] [OUT] [full] - the bivo4 preset through the processing chain, scored.
#
# Not a speed benchmark: the accuracy criterion on the large preset, which is too
# long for the test suite. The BiVO4 TSCT study's experiment (110 translations x 61 angles,
# 24 tomograms over two cycles) is simulated at the pattern level, cut to one slice and 600
# channels over the demo's q range (set below; about a minute on 2 cores), or with `full`
# as the preset is (3 slices, 2000 channels over 0.5 .. 8 1/A: about 10 minutes on 2 cores
# and a 12 GB container), then sinogram (corrected with the recorded transmission), recon
# and the demo's whole-pattern maps (scripts/demo) run on it, and `tsct score` compares
# every phase map with the ground truth at every time step of every slice
# (docs/pipeline.md). The latest figures are in docs/pipeline.md with this command.
set -eu
BUILD=${1:-build}
OUT=${2:-bench-output/bivo4}
TSCT="$BUILD/tsct"
mkdir -p "$OUT"
EXP="$OUT/bivo4.h5"
rm -f "$EXP" "$EXP".*.partial "$OUT/bivo4_echem.csv"
start=$(date +%s)
if [ "${3:-}" = full ]; then
    "$TSCT" simulate --preset bivo4 -o "$EXP"
else
    "$TSCT" simulate --preset bivo4 --set nz=1 --set nq=600 --set qmin=0.8 --set qmax=4.5 \
        -o "$EXP"
fi
"$TSCT" sinogram "$EXP" --normalise transmission
"$TSCT" recon "$EXP"
"$TSCT" map "$EXP" \
    --unmix BiVO4=cif:BiVO4_monoclinic_scheelite.cif:80 \
    --unmix Bi=cif:Bi_COD9008576.cif:8:grow=1.5 \
    --unmix LiyVO4=nano:V2O5_COD9012221.cif:0.5 \
    --unmix LiBi=cif:LiBi.cif:20:strain=1:grow=1.5 \
    --unmix Li3Bi=cif:Li3Bi.cif:20:strain=1:grow=1.5 \
    --unmix carbon=broad:carbon --unmix quartz=broad:quartz
NZ=$(/usr/bin/python3 -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r')['entry/recon/data'].shape[1])" "$EXP")
rm -f "$OUT/score.csv"
for z in $(seq 0 $((NZ - 1))); do
    "$TSCT" score "$EXP" --map BiVO4 --map Bi --map LiyVO4 --map LiBi --map Li3Bi --slice "$z" \
        -o "$OUT/score_z$z.csv" > /dev/null
    if [ "$z" = 0 ]; then head -1 "$OUT/score_z0.csv" > "$OUT/score.csv"; fi
    tail -n +2 "$OUT/score_z$z.csv" >> "$OUT/score.csv"
done
# The summary over every slice: per phase, the lowest Dice over the time steps with a true
# region (strict and outside the band), and the largest amount error.
awk -F, 'NR > 1 && $6 > 0 {
            if (!($1 in d) || $4 < d[$1]) { d[$1] = $4; td[$1] = $3 }
            if ($9 != "nan" && (!($1 in b) || $9 < b[$1])) { b[$1] = $9; tb[$1] = $3 } }
         NR > 1 { e = $10 - $11; if (e < 0) e = -e; if (e > a[$1]) a[$1] = e }
         END { for (p in d) printf "%-6s lowest Dice %.3f (t=%d), outside the band %.3f (t=%d), largest amount error %.3f\n", p, d[p], td[p], b[p], tb[p], a[p] }' \
    "$OUT/score.csv"
echo "bivo4 scored in $(( $(date +%s) - start )) s: $OUT/score.csv"
