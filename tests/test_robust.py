"""test_robust.py - what a hostile test of the program found, each case kept as a regression.

Every case is bad input or a dangerous request; each must end in a one-line error that names
the file, the item and what was expected, a non-zero exit, no crash, no hang, and no input
changed:
  - a pattern whose x values do not increase (tsct pdf once read freed memory: exit 139);
  - a pipeline whose frames pattern holds printf conversions (%s, %n: once a format string),
    has no %d (once an endless loop) or names a folder that does not exist (once "no frames
    yet", exit 0);
  - scan.ini / pipeline values out of their allowed set (format, zigzag, angle_range,
    time_steps, enabled) named with file, line and key;
  - an output that names an input, by the same or another name (once replaced, exit 0), and
    an existing output without --force (now refused, the file untouched; --force replaces);
  - a full disk at a step's commit (simulated through TSCT_TEST_FREE_BYTES): "no space left
    on device", the container byte for byte unchanged, a later run commits;
  - a data line "hello world" inside a .chi; a CSV with a UTF-8 byte-order mark (works);
    FILE.h5::data without the leading '/' (works); an empty HDF5 stack (names the file);
    --angles 0 (names the option); pdf -o NEWDIR/ (made); an output in a folder that cannot
    be made; control bytes in a key (escaped, one line); a PONI with Rot2 = 1e308 or a NUL
    inside a key.
"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cli_check import TSCT, TMP, check, finish, run  # noqa: E402

DATA = os.environ["TSCT_DATA"]
PY = os.environ.get("PYTHON", "/usr/bin/python3")


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def one_line_error(r, *words):
    """The error is one printable line holding every word."""
    err = r.stderr.strip().splitlines()
    last = [l for l in err if "error" in l or "tsct" in l]
    text = "\n".join(last)
    for w in words:
        check(w in text, "message lacks %r: %r" % (w, text))
    check(all(c == "\t" or ord(c) >= 32 for l in err for c in l),
          "control bytes in the message: %r" % r.stderr)
    check("Segmentation" not in r.stderr and "AddressSanitizer" not in r.stderr,
          "crash: %r" % r.stderr)


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


os.chdir(TMP)

# ---- 1: tsct pdf on x values that do not increase --------------------------------------------
cfg = write("ni.cfg", "[DEFAULT]\ndataformat = QA\ncomposition = Ni\nqmaxinst = 2.5\n"
            "qmin = 0.5\nqmax = 2.5\nrpoly = 0.9\nrmin = 0\nrmax = 10\nrstep = 0.1\n")
write("dup.chi", "1.0 10\n1.5 11\n1.5 12\n2.0 13\n3.0 14\n")
r = run("pdf", "-c", cfg, "dup.chi", "-o", "dup.gr", status=1)
one_line_error(r, "dup.chi", "increase")
check(not os.path.exists("dup.gr"), "pdf wrote an output for a bad input")

# ---- 1b: a damaged data line in a pattern ----------------------------------------------------
write("hello.chi", "title\nQ\nI\n5\n1.0 10\n1.5 11\n1.7 12\nhello world\n2.0 13\n")
r = run("pdf", "-c", cfg, "hello.chi", "-o", "hello.gr", status=1)
one_line_error(r, "hello.chi", "line[8]", "hello world")

# ---- 1c: pdf -o NEWDIR/ makes the folder -----------------------------------------------------
write("ok.chi", "".join("%g %g\n" % (0.5 + 0.01 * i, 10 + (i % 7)) for i in range(300)))
run("pdf", "-c", cfg, "ok.chi", "-o", "newdir/")
check(os.path.isfile("newdir/ok.gr"), "pdf -o newdir/ did not write newdir/ok.gr")

# ---- 2, 3, 9: the pipeline's frames --------------------------------------------------------
os.makedirs("frames_t0000", exist_ok=True)


def pipeline(frames_line, extra=""):
    return write("run.cfg", "[experiment]\ncontainer = run.h5\n[frames]\n%s\nponi = x.poni\n"
                 "angles = 4\ntranslations = 4\n%s" % (frames_line, extra))


r = run("run", pipeline("frames = frames_%s%s%n%n"), status=1)
one_line_error(r, "run.cfg", "frames", "%d")
r = run("run", pipeline("frames = frames_%d_%d"), status=1)
one_line_error(r, "run.cfg", "frames")
r = run("run", pipeline("frames = nowhere/frames_t%04d.h5"), status=1)
one_line_error(r, "run.cfg", "nowhere", "does not exist")
# no %d: one time step, the folder itself; the run ends (an empty folder is an error)
try:
    p = subprocess.run([TSCT, "run", pipeline("frames = frames_t0000")], capture_output=True,
                       text=True, timeout=60)
    check(p.returncode in (0, 1), "frames without %%d: exit %d" % p.returncode)
except subprocess.TimeoutExpired:
    check(False, "frames without %d: tsct run did not end within 60 s")

for key, value in (("zigzag", "banana"), ("angle_range", "97"), ("time_steps", "-1"),
                   ("npt", "1"), ("polarization", "2")):
    r = run("run", pipeline("frames = frames_t%04d", "%s = %s\n" % (key, value)), status=1)
    one_line_error(r, "run.cfg", key, "line")
r = run("run", pipeline("frames = frames_t%04d", "[figures]\nenabled = maybe\n"), status=1)
one_line_error(r, "run.cfg", "enabled", "yes or no")
write("scan.ini", "[scan]\nformat = jpeg\nframes = frames_t%04d\nangles = 4\n"
      "translations = 4\nponi = x.poni\n")
r = run("run", write("run2.cfg", "[experiment]\ncontainer = run.h5\n[frames]\n"
                     "scan = scan.ini\n"), status=1)
one_line_error(r, "scan.ini", "format", "cbf")
r = run("run", write("run3.cfg", "[experiment]\ncontainer = run.h5\n[frames]\n"
                     "\x01bad\x02 = 3\n"), status=1)
one_line_error(r, "run3.cfg", "line[4]", "0x01")

# ---- 5: an output never replaces an input; existing outputs need --force -------------------
src = os.path.join(DATA, "detector_images", "ssrl_LaB6_Pilatus300kw")
for f in os.listdir(src):
    shutil.copy(os.path.join(src, f), f)
tif, poni = "b_toney_lab6_th3_scan1_0008.tif", "b_toney_lab6_th3_scan1_0008.poni"
before = {f: md5(f) for f in (tif, poni)}
os.link(tif, "same.tif")
for out in (tif, poni, "same.tif", os.path.abspath(tif)):
    r = run("integrate", tif, "--poni", poni, "-o", out, "--force", status=1)
    one_line_error(r, "is an input")
check(all(md5(f) == h for f, h in before.items()), "an input changed")
run("integrate", tif, "--poni", poni, "-o", "out.xy")
h = md5("out.xy")
r = run("integrate", tif, "--poni", poni, "-o", "out.xy", status=1)
one_line_error(r, "out.xy", "already exists", "--force")
check(md5("out.xy") == h, "the existing output changed")
run("integrate", tif, "--poni", poni, "-o", "out.xy", "--force")

cif = shutil.copy(os.path.join(DATA, "cif", "Si_COD9008566.cif"), "si.cif")
h = md5(cif)
r = run("pattern", cif, "--wavelength", "0.2", "--qmax", "5", "-o", cif, "--force", status=1)
one_line_error(r, "is an input")
check(md5(cif) == h, "tsct pattern replaced its CIF")

# ---- 4 and the full disk: a small simulated experiment with 16 translations -----------------
exp = "small.h5"
for p in (exp, "small_echem.csv"):
    if os.path.exists(p):
        os.remove(p)
run("simulate", "--preset", "demo", "--set", "n=16", "--set", "ns=16", "--set", "na=12",
    "--set", "nq=40", "--set", "nt=2", "-o", exp)
h = md5(exp)
size = os.path.getsize(exp)
env = dict(os.environ, TSCT_TEST_FREE_BYTES="1000")
p = subprocess.run([TSCT, "sinogram", exp], capture_output=True, text=True, env=env)
check(p.returncode == 1, "sinogram on a full disk: exit %d" % p.returncode)
one_line_error(p, "no space left on device", "unchanged")
check(md5(exp) == h and os.path.getsize(exp) == size, "a failed commit changed the container")
r = run("sinogram", exp)  # commits the kept work, 16 translations: no overflow
check(any(os.path.basename(exp) in l for l in r.stderr.splitlines()), "sinogram: no report")

# ---- echem: a CSV with a byte-order mark; an output that is its input -----------------------
with open("small_echem.csv", encoding="utf-8") as f:
    csv = f.read()
write("bom.csv", "\ufeff" + csv, mode="w")
run("echem", exp, "bom.csv", "--mass", "1", "--period", "1000")
h = md5("bom.csv")
r = run("echem", exp, "bom.csv", "--mass", "1", "--period", "1000", "-o", "bom.csv",
        "--force", status=1)
one_line_error(r, "is an input")
check(md5("bom.csv") == h, "tsct echem replaced its input")

# ---- HDF5 stacks: a relative dataset path works, an empty stack is named ---------------------
subprocess.run([PY, "-c", """
import h5py, numpy as np
with h5py.File('stack.h5', 'w') as f:
    f['entry/data'] = np.ones((2, 8, 9), 'u4')
    f.create_dataset('empty', shape=(0, 8, 9), dtype='u4', maxshape=(None, 8, 9))
"""], check=True)
r = run("frames", "stack.h5::entry/data")
check("2" in r.stdout + r.stderr, "frames of stack.h5::entry/data")
r = run("frames", "stack.h5::/empty", status=1)
one_line_error(r, "stack.h5", "empty")

# ---- messages that name the option, folders that cannot be made ----------------------------
r = run("integrate", tif, "--poni", poni, "--angles", "0", "-o", "x.h5", status=2)
one_line_error(r, "--angles")
write("afile", "not a folder\n")
r = run("integrate", tif, "--poni", poni, "-o", "afile/out.xy", status=1)
one_line_error(r, "afile/out.xy", "folder")

# ---- PONI values out of range and a NUL inside a key ----------------------------------------
with open(poni) as f:
    text = f.read()
write("bad_rot.poni", "\n".join("Rot2: 1e308" if l.startswith("Rot2") else l
                                for l in text.splitlines()) + "\n")
r = run("integrate", tif, "--poni", "bad_rot.poni", "-o", "r.xy", status=1)
one_line_error(r, "bad_rot.poni", "Rot2")
write("nul.poni", text.replace("Rot1", "Ro\x00t1"), mode="w")
r = run("integrate", tif, "--poni", "nul.poni", "-o", "n.xy", status=1)
one_line_error(r, "nul.poni")

finish("test_robust")
