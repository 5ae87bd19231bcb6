"""test_geometry_peer.py - pyFAI's per-pixel geometry (tests/data/geometry_reference) has not
changed; tests/test_geometry.c compares tsct with it."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_reference  # noqa: E402

peer_reference.check("geometry_reference", {"reference.txt": None})
