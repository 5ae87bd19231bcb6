"""test_integrate_peer.py - regenerate the pyFAI integration reference and require it to equal
the committed tests/data/integrate_reference/reference.txt, so a change in the peer (or in the
generator) is noticed; tests/test_integrate_pyfai.c compares tsct with the committed values."""
import os
import subprocess
import sys

here = os.path.join(os.environ["TSCT_SRC"], "tests", "data", "integrate_reference")
tmp = os.path.join(os.environ["TSCT_TMP"], "integrate_peer")
os.makedirs(tmp, exist_ok=True)
out = os.path.join(tmp, "reference.txt")
subprocess.run([sys.executable, os.path.join(here, "make_reference.py"), out], check=True)
new = open(out).read().splitlines()
old = open(os.path.join(here, "reference.txt")).read().splitlines()
diff = [(a, b) for a, b in zip(old, new) if a != b]
if len(old) != len(new) or diff:
    print("FAIL: pyFAI's integration differs from the committed reference: %d lines differ, "
          "%d vs %d lines; first: %s" % (len(diff), len(old), len(new), diff[:1]))
    sys.exit(1)
print("pyFAI integration reference unchanged (%d lines)" % len(new))
