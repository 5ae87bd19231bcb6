"""test_integrate_peer.py - pyFAI's integration results (tests/data/integrate_reference) have
not changed; tests/test_integrate_pyfai.c compares tsct with them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_reference  # noqa: E402

peer_reference.check("integrate_reference", {"reference.txt": None})
