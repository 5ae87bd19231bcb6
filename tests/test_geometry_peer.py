"""test_geometry_peer.py - regenerate the pyFAI geometry reference and require it to equal the
committed tests/data/geometry_reference/reference.txt, so a change in the peer (or in the
generator) is noticed; tests/test_geometry.c compares tsct with the committed values."""
import os
import subprocess
import sys

here = os.path.join(os.environ["TSCT_SRC"], "tests", "data", "geometry_reference")
tmp = os.environ["TSCT_TMP"]
os.makedirs(tmp, exist_ok=True)
out = os.path.join(tmp, "reference.txt")
subprocess.run([sys.executable, os.path.join(here, "make_reference.py"), out], check=True)
new = open(out).read().splitlines()
old = open(os.path.join(here, "reference.txt")).read().splitlines()
diff = [(a, b) for a, b in zip(old, new) if a != b]
if len(old) != len(new) or diff:
    print("FAIL: pyFAI's geometry differs from the committed reference: %d lines differ, "
          "%d vs %d lines; first: %s" % (len(diff), len(old), len(new), diff[:1]))
    sys.exit(1)
print("pyFAI geometry reference unchanged (%d lines)" % len(new))
