"""cli_check.py - shared by end-to-end Python tests of the tsct program (not a test itself).

check() records a failed condition and goes on, so one run reports every failure; run() runs
the program with arguments and checks its exit status; fresh_experiment() clears the way for
`tsct simulate -o PATH`; finish() prints the count and exits 0 or 1. The program is $TSCT,
scratch files go to $TSCT_TMP (created).
"""
import os
import subprocess
import sys

TSCT, TMP = os.environ["TSCT"], os.environ["TSCT_TMP"]
os.makedirs(TMP, exist_ok=True)
failures = []


def preload_asan():
    """For the tests that load libtsct into Python (ctypes): a sanitizer build's library needs
    the ASan runtime loaded before the interpreter starts, so the test runs itself again under
    LD_PRELOAD, leak checks off (the interpreter's allocations are not ours to check)."""
    if os.environ.get("TSCT_SANITIZE") == "ON" and "LD_PRELOAD" not in os.environ:
        asan = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True,
                              text=True).stdout.strip()
        os.environ.update(LD_PRELOAD=asan, ASAN_OPTIONS="detect_leaks=0")
        os.execv(sys.executable, [sys.executable] + sys.argv)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args, status=0):
    r = subprocess.run([TSCT, *args], capture_output=True, text=True)
    if r.returncode != status:
        print(r.stdout, r.stderr, file=sys.stderr)
    check(r.returncode == status, "exit %d (wanted %d): %s" % (r.returncode, status, " ".join(args)))
    return r


def fresh_experiment(path):
    """Remove a simulated experiment left by an earlier run, the container PATH and the
    electrochemistry CSV the simulator writes beside it; returns PATH."""
    for p in (path, path.replace(".h5", "_echem.csv")):
        if os.path.exists(p):
            os.remove(p)
    return path


def finish(name):
    print("%s: %d failures" % (name, len(failures)))
    sys.exit(1 if failures else 0)
