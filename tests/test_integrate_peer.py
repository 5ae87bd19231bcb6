"""test_integrate_peer.py - regenerate the pyFAI integration reference and require it to equal
the committed tests/data/integrate_reference/reference.txt, so a change in the peer (or in the
generator) is noticed; tests/test_integrate_pyfai.c compares tsct with the committed values."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ["TSCT_SRC"], "tests"))
import peer_reference  # noqa: E402

peer_reference.check("integrate", "integration")
