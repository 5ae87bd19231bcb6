#!/bin/sh
# test_cli_frames.sh - `tsct frames`: summaries, per-frame statistics, and clear errors (exit 1
# naming the file; 2 for usage) for missing files, missing data files of a Dectris master,
# missing sources of a virtual dataset and a missing compression plugin.
set -u
. "$TSCT_SRC/tests/lib.sh"
F="$TSCT_DATA/frames"
CBF="$TSCT_DATA/detector_images/ndtomo_CeO2_Pilatus2M/CeO2.cbf"

run 0 "$TSCT" frames --help;                 expect_out "usage: tsct frames"
run 0 "$TSCT" help;                          expect_out "frames"
run 2 "$TSCT" frames;                        expect_err "missing SPEC"
run 2 "$TSCT" frames --bogus "$CBF";         expect_err "unknown option '--bogus'"
run 2 "$TSCT" frames --negative maybe "$CBF"; expect_err "--negative expects auto, yes or no"
run 2 "$TSCT" frames --overflow -3 "$CBF";   expect_err "--overflow expects a value >= 0"

# a Dectris master: metadata, pixel mask, overflow rule, per-frame statistics
run 0 "$TSCT" frames --stats "$F/dectris_master.h5"
expect_out "frames: 5 (dectris)"; expect_out "shape: 23 x 17 pixels (rows x columns), stored as uint32"
expect_out "detector: Dectris EIGER2 Si 4M (synthetic dectris)"
expect_out "pixel size: 75.0 x 75.0 um"; expect_out "distance: 187.300 mm"
expect_out "wavelength: 0.70850 A (17.50 keV)"; expect_out "count time: 0.0999 s"
expect_out "bit depth: 32"; expect_out "pixel mask: 24 pixels masked"
expect_out "values >= 4294967295"
expect_out "last frame: $F/dectris_data_000002.h5::/entry/data/data[1]"
expect_out "4 21 64 "; expect_out " 37 $F/dectris_data_000002.h5::/entry/data/data[1]"
[ "$(grep -c '^[0-9]' "$OUT")" -eq 5 ] || fail "expected 5 statistics lines"
run 0 "$TSCT" frames --stats --no-pixel-mask --overflow 0 "$F/dectris_master.h5[4]"
expect_out "frames: 1 (dectris)"; expect_out "(no overflow rule)"
expect_out "0 21 4.2949673e+09 "; expect_out " 0 $F/dectris_data_000002.h5"
grep -q "pixel mask:" "$OUT" && fail "--no-pixel-mask still reports a pixel mask"

# a BLISS virtual dataset, image files, several specs
run 0 "$TSCT" frames --stats "$F/bliss.h5::/1.1/measurement/pilatus[1:4]"
expect_out "frames: 3 (hdf5, virtual dataset)"; expect_out "negative values yes"
expect_out " 24 $F/bliss.h5::/1.1/measurement/pilatus[3]"
run 0 "$TSCT" frames --negative no "$CBF" "$CBF"
expect_out "frames: 2 (images)"; expect_out "1679 x 1475"; expect_out "negative values no"

# errors: the message names the file
run 1 "$TSCT" frames "$TSCT_TMP/none_master.h5";  expect_err "none_master.h5: no such file"
run 1 "$TSCT" frames "$F/stack.h5::/missing";     expect_err "stack.h5: /missing: no such dataset"
run 1 "$TSCT" frames "$F/stack.h5::/int16[9]";    expect_err "the source has 6 frames"
run 1 "$TSCT" frames --stats "$F/stack.h5::/int16" "$CBF"
expect_err "CeO2.cbf"; expect_err "expected a 23 x 17 frame"
mkdir -p "$TSCT_TMP/eiger" "$TSCT_TMP/vds/scan0001"
cp "$F/dectris_master.h5" "$F/dectris_data_000001.h5" "$TSCT_TMP/eiger/"
run 1 "$TSCT" frames "$TSCT_TMP/eiger/dectris_master.h5"
expect_err "eiger/dectris_data_000002.h5: /entry/data/data: data file 2 of the master"
cp "$F/bliss.h5" "$TSCT_TMP/vds/"; cp "$F/scan0001/pilatus_0001.h5" "$TSCT_TMP/vds/scan0001/"
run 1 "$TSCT" frames "$TSCT_TMP/vds/bliss.h5::/1.1/measurement/pilatus"
expect_err "scan0001/pilatus_0000.h5::/entry_0000/measurement/data, and that file is missing"
# HDF5_PLUGIN_PRELOAD=:: turns plugin loading off: the filter is named, not a read error
HDF5_PLUGIN_PRELOAD=:: run 1 "$TSCT" frames "$F/lz4_master.h5"
expect_err "compression filter 32004"; expect_err "is not available"
HDF5_PLUGIN_PRELOAD=:: run 1 "$TSCT" frames "$F/dectris_master.h5"
expect_err "compression filter 32008"
finish
