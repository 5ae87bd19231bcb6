"""test_sim_frames_seeds.py - the frame level is reproducible.

Two time steps of the demo preset (2 x 1488 frames):
- the same seed gives the same bytes (every frame file, detector.poni, mask.edf, scan.ini),
  also with one thread instead of all: each frame's noise has its own generator;
- another seed gives other counts (its first time step).
(Interruption and bad input: test_sim_frames_resume.py.)
"""
import filecmp
import os
import subprocess
import sys

from cli_check import TMP, TSCT, check, failures
FILES = ["frames_t0000.h5", "frames_t0001.h5", "detector.poni", "mask.edf", "scan.ini"]


def simulate(name, *extra, status=0, threads=None):
    out = os.path.join(TMP, name + ".h5")
    pre = ["--threads", str(threads)] if threads else []
    r = subprocess.run([TSCT, *pre, "simulate", "--preset", "demo", "-o", out, "--level",
                        "frames", "--time-steps", "2", *extra],
                       capture_output=True, text=True)
    if r.returncode != status:
        print(r.stdout, r.stderr, file=sys.stderr)
    check(r.returncode == status, "exit %d (wanted %d): simulate %s %s"
          % (r.returncode, status, name, " ".join(extra)))
    return r, os.path.join(TMP, name + "_frames")


def same_files(a, b, what):
    for name in FILES:
        check(filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False),
              "%s: %s differs" % (what, name))


_, ref = simulate("ref", "--seed", "4")
_, again = simulate("again", "--seed", "4", threads=1)
same_files(ref, again, "same seed, 1 thread")
_, other = simulate("other", "--seed", "5", "--time-steps", "1")
check(not filecmp.cmp(os.path.join(ref, FILES[0]), os.path.join(other, FILES[0]),
                      shallow=False), "another seed gave the same frames")

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
