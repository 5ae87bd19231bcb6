"""test_run_compat.py - a container made by an earlier `tsct run` still reads as up to date.

Until its integration record became a structured, versioned settings record ("v=2 frames=...",
tsct_stage_pipeline_integrate_settings), `tsct run` kept a positional text of the [frames]
keys and the [integrate] options in /entry/process/integrate@run_settings. The fixture
tests/data/run_compat/run_settings_d40601b.txt is that text as the earlier program wrote it
for tests/data/run_compat/pipeline.cfg (see its README). A container holding it must read
as up to date (nothing integrated again), a changed setting must still integrate everything
again, and a new frame file must be integrated alone and appended, after which the record is
the structured one. The decisions are seen through --dry-run (the command it would run)
before the real runs. scripts/check-run-compat does the same with the earlier program itself
and compares the whole pipeline's results.
"""
import os
import shutil
import subprocess

import h5py
import numpy as np

from cli_check import TMP, TSCT, check, finish

DATA = os.path.join(os.environ["TSCT_DATA"], "run_compat")
W = os.path.join(TMP, "run_compat")
shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)


def run(*args, status=0):
    """tsct in W, so that the pipeline's paths are relative as in the fixture."""
    r = subprocess.run([TSCT, *args], capture_output=True, text=True, cwd=W)
    if r.returncode != status:
        print(r.stdout, r.stderr)
    check(r.returncode == status, "exit %d (wanted %d): %s" % (r.returncode, status,
                                                               " ".join(args)))
    return r


run("simulate", "--preset", "demo", "--level", "frames", "-o", "src.h5", "--frames", "src",
    "--time-steps", "2")
os.makedirs(os.path.join(W, "live"))
for name in ("scan.ini", "detector.poni", "mask.edf", "frames_t0000.h5"):
    shutil.copy(os.path.join(W, "src", name), os.path.join(W, "live"))
shutil.copy(os.path.join(DATA, "pipeline.cfg"), W)
with open(os.path.join(DATA, "run_settings_d40601b.txt")) as f:
    legacy = f.read().strip()
exp = os.path.join(W, "live.h5")


def attr(name):
    with h5py.File(exp, "r") as f:
        v = f["entry/process/integrate"].attrs[name]
        return v.decode() if isinstance(v, bytes) else str(v)


def set_record(text):
    with h5py.File(exp, "r+") as f:
        # as tsct writes it: a fixed-length ASCII string
        f["entry/process/integrate"].attrs["run_settings"] = np.bytes_(text.encode())


r = run("run", "pipeline.cfg")
check("integrate  done" in r.stderr, r.stderr)
record, end = attr("run_settings"), attr("end_time")
check(record.startswith("v=2 frames=live/frames_t%04d.h5 dataset=/entry/data/data ") and
      " filter=trimmed:5,75 " in record and " scan=1x31x48 " in record,
      "the structured record: " + record)

# The earlier program's record: up to date, nothing to run.
set_record(legacy)
r = run("run", "pipeline.cfg")
check("integrate  up to date (1 time steps)" in r.stderr and "0 step(s) run" in r.stderr,
      "the earlier record reads as up to date: " + r.stderr)
check(attr("end_time") == end and attr("run_settings") == legacy, "nothing rewritten")

# A record that differs in one setting: everything is integrated again.
set_record(legacy.replace("trimmed:5,75", "trimmed:5,76"))
r = run("run", "--dry-run", "pipeline.cfg")
check("tsct integrate --filter trimmed:5,75 --container" in r.stdout and
      "frames_t0000.h5::/entry/data/data" in r.stdout and "--time-offset" not in r.stdout,
      "a changed setting integrates every time step again: " + r.stdout)
set_record(legacy)

# The next frame file: integrated alone, appended; then the structured record.
shutil.copy(os.path.join(W, "src", "frames_t0001.h5"), os.path.join(W, "live"))
r = run("run", "--dry-run", "pipeline.cfg")
check("frames_t0001.h5::/entry/data/data" in r.stdout and "frames_t0000" not in r.stdout and
      "--time-offset=1" in r.stdout, "only the new file: " + r.stdout)
run("run", "pipeline.cfg")
with h5py.File(exp, "r") as f:
    check(f["entry/integrated/data"].shape[0] == 2, "two time steps integrated")
check(attr("run_settings") == record, "the structured record replaces the earlier one")
end = attr("end_time")
r = run("run", "pipeline.cfg")
check("integrate  up to date (2 time steps)" in r.stderr and attr("end_time") == end,
      "then up to date: " + r.stderr)

finish("test_run_compat")
