"""test_fit_peer.py - scipy.optimize.curve_fit's peak fits for tests/test_fit.c
(tests/data/fit_reference) have not changed: the generator is rerun with the installed scipy
and its data, parameters and ESDs must equal the committed ones (to 1e-6 relative)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_reference  # noqa: E402

files = {"cases.txt": None}
for case in ("pv_linear", "gauss_quad", "two_peaks"):
    files[case + "_data.f64"] = "<f8"
    files[case + "_fit.f64"] = "<f8"
peer_reference.check("fit_reference", files)
