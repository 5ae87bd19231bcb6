"""test_maps_peer.py - numpy / scikit-image / scipy results for the maps tests
(tests/data/maps_reference) have not changed; tests/test_maps.c compares tsct with them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_reference  # noqa: E402

files = {"image.f32": "<f4", "mask.u8": "u1", "edt.f32": "<f4", "values.txt": None}
for op in ("erode1", "dilate3", "open2", "close2", "small20c1", "small20c2"):
    files["mask_%s.u8" % op] = "u1"
peer_reference.check("maps_reference", files)
