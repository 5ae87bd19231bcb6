#!/bin/sh
# test_cli.sh - the tsct program: help, version features, and clear errors on bad input.
# Every bad input must give exit status 1 or 2 (never a crash: 128+signal, or a sanitizer's
# 86/87) and a message on stderr that names the file.
set -u
. "$TSCT_SRC/tests/lib.sh"

# help and usage
run 0 "$TSCT" help;                       expect_out "Commands:"; expect_out "import"
run 0 "$TSCT" --help;                     expect_out "usage: tsct"
run 2 "$TSCT";                            expect_err "usage: tsct"
run 2 "$TSCT" frobnicate;                 expect_err "unknown command 'frobnicate'"
run 0 "$TSCT" info --help;                expect_out "usage: tsct info"
run 0 "$TSCT" help import;                expect_out "usage: tsct import"
run 2 "$TSCT" help nothing;               expect_err "unknown command 'nothing'"
run 2 "$TSCT" --threads x version;        expect_err "--threads expects a count"
run 0 "$TSCT" --threads 3 -q version;     expect_out "tsct 0."

# version -v lists the libraries and features
run 0 "$TSCT" version -v
for w in "HDF5:" "filters:" "deflate yes" "lz4 yes" "bitshuffle yes" "FFTW:" "fftw-3" \
         "OpenMP:" "MPI:" "CUDA:" "libpng:" "libtiff:" "zlib:"; do
    expect_out "$w"
done

# info on bad files: named in the message, exit 1, no crash
run 1 "$TSCT" info "$TSCT_TMP/missing.h5";   expect_err "missing.h5: no such file"
run 1 "$TSCT" info "$TSCT_TMP";              expect_err "is a directory"
printf 'garbage, not HDF5 at all\n' > "$TSCT_TMP/garbage.h5"
run 1 "$TSCT" info "$TSCT_TMP/garbage.h5";   expect_err "garbage.h5: not an HDF5 file"
: > "$TSCT_TMP/empty.h5"
run 1 "$TSCT" info "$TSCT_TMP/empty.h5";     expect_err "empty.h5: empty file"
head -c 4096 /dev/urandom > "$TSCT_TMP/random.h5"
run 1 "$TSCT" info "$TSCT_TMP/random.h5";    expect_err "random.h5"
run 2 "$TSCT" info;                          expect_err "missing FILE.h5"

# a real container, then truncated and corrupted copies of it
"$PYTHON" - "$TSCT_TMP/src.h5" <<'PY' || fail "python source"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["patterns"] = np.arange(4 * 5 * 30, dtype=np.float32).reshape(4, 5, 30)
    f["q"] = np.linspace(1, 3, 30)
    f["six"] = np.zeros((1, 1, 1, 1, 1, 2), dtype=np.float32)
    f["text"] = "hello"
PY
run 0 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -a "$TSCT_TMP/src.h5::/q" -o "$TSCT_TMP/exp.h5"
run 0 "$TSCT" info "$TSCT_TMP/exp.h5";       expect_out "[1][1][4][5][30]"; expect_out "import_recon"
# Not a terminal: no progress bar in logs.
grep -q "ETA\|\[#" "$ERR" && fail "progress bar drawn while stderr is not a terminal"

# On a terminal (a pseudo-terminal from script(1)) the import draws a bar with rate and time.
rm -f "$TSCT_TMP/tty.h5"
run 0 script -qec "'$TSCT' import '$TSCT_TMP/src.h5::/patterns' -o '$TSCT_TMP/tty.h5'" /dev/null
expect_out "import_recon ["; expect_out "4/4"; expect_out "took"
run 0 "$TSCT" -q import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/quiet.h5"
[ -s "$ERR" ] && fail "-q printed on stderr: $(cat "$ERR")"

# info shows the detector geometry and the scan (written here by h5py, as another tool would).
"$PYTHON" - "$TSCT_TMP/exp.h5" <<'PY' || fail "python geometry"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as f:
    g = f.create_group("entry/geometry")
    for k, v in dict(dist=0.543892, poni1=0.14472, poni2=0.127467, rot1=-1.959e-4,
                     rot2=-6.721e-4, rot3=3.66e-9, wavelength=1.74626e-11, pixel1=172e-6,
                     pixel2=172e-6).items():
        g.attrs[k] = v
    g.attrs["detector"] = "Pilatus2M"
    g.attrs["orientation"] = 3
    g.attrs["shape"] = np.array([1679, 1475], np.int64)
    s = f.create_group("entry/scan")
    s["angle"] = np.linspace(0, 180, 61); s["angle"].attrs["units"] = "deg"
    s.attrs["zigzag"] = 1
PY
run 0 "$TSCT" info "$TSCT_TMP/exp.h5"
expect_out "geometry: Pilatus2M, 1679 x 1475 pixels of 172.0 x 172.0 um"
expect_out "distance 543.892 mm"; expect_out "(71.00 keV)"
expect_out "angle             61 points  0 .. 180 deg"; expect_out "zigzag       yes"
run 0 "$TSCT" -v info "$TSCT_TMP/exp.h5";    expect_out "@detector = Pilatus2M"
size=$(wc -c < "$TSCT_TMP/exp.h5")
for cut in 100 2000 $((size / 3)) $((size / 2)) $((size - 10)); do
    head -c "$cut" "$TSCT_TMP/exp.h5" > "$TSCT_TMP/cut.h5"
    run 1 "$TSCT" info "$TSCT_TMP/cut.h5";   expect_err "cut.h5"
done
# A plain HDF5 file that is not a container.
run 1 "$TSCT" info "$TSCT_TMP/src.h5";       expect_err "src.h5: /entry: not a tsct container"

# import: usage and input errors
run 2 "$TSCT" import "$TSCT_TMP/src.h5::/patterns";                       expect_err "missing -o"
run 2 "$TSCT" import -o "$TSCT_TMP/x.h5";                                 expect_err "missing SOURCE"
run 2 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/x.h5" -s nope; expect_err "--stage must be"
run 2 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/x.h5" --time -3; expect_err "--time expects"
run 2 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/x.h5" --bogus;   expect_err "unknown option"
run 1 "$TSCT" import "$TSCT_TMP/src.h5" -o "$TSCT_TMP/x.h5";              expect_err "FILE.h5::/path"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/nothing" -o "$TSCT_TMP/x.h5";    expect_err "src.h5: /nothing: no such dataset"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/six" -o "$TSCT_TMP/x.h5";        expect_err "the source has 6"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/text" -o "$TSCT_TMP/x.h5";       expect_err "expected a numeric dataset"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -a "$TSCT_TMP/src.h5::/six" -o "$TSCT_TMP/x.h5"
expect_err "expected a 1-D dataset"
run 1 "$TSCT" import "$TSCT_TMP/garbage.h5::/d" -o "$TSCT_TMP/x.h5";      expect_err "garbage.h5: not an HDF5 file"
# Never overwrite something that is not a container.
cp "$TSCT_TMP/src.h5" "$TSCT_TMP/other.h5"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/other.h5"; expect_err "not a tsct container"
cmp -s "$TSCT_TMP/src.h5" "$TSCT_TMP/other.h5" || fail "a refused import changed other.h5"
run 1 "$TSCT" import "$TSCT_TMP/src.h5::/patterns" -o "$TSCT_TMP/src.h5"; expect_err "already open"
[ ! -e "$TSCT_TMP/x.h5" ] || fail "a failed import left x.h5 behind"
# The q axis must match the stage's existing data: a 30-channel recon exists in exp.h5.
"$PYTHON" -c "
import h5py, numpy as np
with h5py.File('$TSCT_TMP/src2.h5', 'w') as f:
    f['p'] = np.ones((2, 2, 31), np.float32); f['q'] = np.linspace(1, 3, 31)
" || fail "python source 2"
run 1 "$TSCT" import "$TSCT_TMP/src2.h5::/p" -a "$TSCT_TMP/src2.h5::/q" -o "$TSCT_TMP/exp.h5" --time 1
expect_err "exp.h5: /entry/recon/data: cannot append time steps of shape [1][1][2][2][31] to a dataset of shape [1][1][4][5][30]"
[ ! -e "$TSCT_TMP/exp.h5.import_recon.partial" ] || fail "a refused append left a work file"
finish
