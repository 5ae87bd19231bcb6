"""peer_reference.py - shared by the test_*_peer.py tests (not a test itself): regenerate a
committed peer reference with its generator, tests/data/TOPIC_reference/make_reference.py,
and require it to equal the committed reference.txt, so that a change in the peer (or in the
generator) is noticed. The C tests compare tsct with the committed values."""
import os
import subprocess
import sys


def check(topic, what):
    here = os.path.join(os.environ["TSCT_SRC"], "tests", "data", topic + "_reference")
    tmp = os.path.join(os.environ["TSCT_TMP"], topic + "_peer")
    os.makedirs(tmp, exist_ok=True)
    out = os.path.join(tmp, "reference.txt")
    subprocess.run([sys.executable, os.path.join(here, "make_reference.py"), out], check=True)
    new = open(out).read().splitlines()
    old = open(os.path.join(here, "reference.txt")).read().splitlines()
    diff = [(a, b) for a, b in zip(old, new) if a != b]
    if len(old) != len(new) or diff:
        print("FAIL: pyFAI's %s differs from the committed reference: %d lines differ, "
              "%d vs %d lines; first: %s" % (what, len(diff), len(old), len(new), diff[:1]))
        sys.exit(1)
    print("pyFAI %s reference unchanged (%d lines)" % (what, len(new)))
