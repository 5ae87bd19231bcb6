"""test_sim_frames_resume.py - the frame level resumes after a kill and fails clearly.

Two time steps of the demo preset (2 x 1488 frames):
- a run killed (SIGKILL) once frames_t0000.h5 exists and before frames_t0001.h5 does, then run
  again, resumes (keeps the first file, writes the second) and ends with files identical byte
  for byte to the uninterrupted run's, leaving no temporary file; if the kill came too late
  (the machine was fast) the round is retried, up to 5 times, and at least one must land;
- running a complete simulation again does nothing (says so, files untouched);
- bad input: unknown --level, --frames without --level frames, an unwritable frames folder
  (a path under a regular file), a frame file of another simulation (another seed) in the
  folder: exit 1 or 2 with a message naming the problem.
(Reproducibility across seeds and thread counts: test_sim_frames_seeds.py.)
"""
import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time

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

# ---- interrupted and resumed -------------------------------------------------------------
landed = 0
for attempt in range(5):
    name = "cut%d" % attempt
    folder = os.path.join(TMP, name + "_frames")
    first, second = (os.path.join(folder, f) for f in FILES[:2])
    p = subprocess.Popen([TSCT, "simulate", "--preset", "demo", "-o",
                          os.path.join(TMP, name + ".h5"), "--level", "frames", "--time-steps",
                          "2", "--seed", "4"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.exists(first):
        time.sleep(0.002)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if os.path.exists(second) or not os.path.exists(first):
        continue   # the kill came after the end (or before the start): try again
    landed += 1
    before = os.stat(first).st_mtime_ns
    r, _ = simulate(name, "--seed", "4")
    check(os.stat(first).st_mtime_ns == before, "the resumed run rewrote the finished step")
    same_files(ref, folder, "resumed run")
    check(not [f for f in os.listdir(folder) if ".partial." in f],
          "temporary files left: %s" % os.listdir(folder))
    break
check(landed == 1, "no kill landed between the two time steps in 5 tries")

# ---- complete output: nothing to do ------------------------------------------------------
stamp = os.stat(os.path.join(ref, FILES[1])).st_mtime_ns
r, _ = simulate("ref", "--seed", "4")
check("nothing to do" in r.stderr, "no 'nothing to do' message: %s" % r.stderr)
check(os.stat(os.path.join(ref, FILES[1])).st_mtime_ns == stamp, "complete output rewritten")

# ---- bad input ------------------------------------------------------------------------------
r = subprocess.run([TSCT, "simulate", "--preset", "demo", "-o", os.path.join(TMP, "x.h5"),
                    "--level", "voxels"], capture_output=True, text=True)
check(r.returncode == 2 and "--level expects patterns or frames" in r.stderr,
      "unknown level: %d %s" % (r.returncode, r.stderr))
r = subprocess.run([TSCT, "simulate", "--preset", "demo", "-o", os.path.join(TMP, "x.h5"),
                    "--frames", TMP], capture_output=True, text=True)
check(r.returncode == 2 and "need --level frames" in r.stderr,
      "--frames alone: %d %s" % (r.returncode, r.stderr))
blocker = os.path.join(TMP, "a_file")
open(blocker, "w").close()
r, _ = simulate("blocked", "--frames", os.path.join(blocker, "frames"), status=1)
check("a_file/frames" in r.stderr and "cannot create" in r.stderr,
      "unwritable folder: %s" % r.stderr)
check(not os.path.exists(os.path.join(TMP, "blocked.h5")), "container made for a failed run")
foreign = os.path.join(TMP, "foreign_frames")
os.makedirs(foreign, exist_ok=True)
_, other = simulate("other", "--seed", "5", "--time-steps", "1")
shutil.copy(os.path.join(other, FILES[0]), foreign)
r, _ = simulate("foreign", "--seed", "4", status=1)
check("frames_t0000.h5" in r.stderr and "another simulation" in r.stderr,
      "foreign frame file: %s" % r.stderr)

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
