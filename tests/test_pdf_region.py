"""test_pdf_region.py - `tsct pdf --container`: region averages (/entry/regions/NAME) and
difference PDFs, per region and per voxel, checked against the single-pattern path and exact
identities: the dPDF at the reference time step is zero, dPDF_t = G_t - G_T bit for bit, and a
pattern scaled by a constant has the same G (the scale alpha follows the intensity), so its dPDF
is zero to float32 rounding. Settings travel as attributes; bad inputs name what is wrong."""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, run

DATA = os.environ["TSCT_DATA"]
NI = os.path.join(DATA, "pdf", "ni_xpd_pdfstream")
CFG = os.path.join(NI, "Ni_gr_file.gr")


def load_gr(path):
    with open(path) as f:
        text = f.read().split("#### start data", 1)[1]
    return np.array([[float(v) for v in line.split()] for line in text.splitlines()
                     if line and line[0] not in "#"])


q, i0 = np.loadtxt(os.path.join(NI, "Ni_chi_file.chi"), comments="#").T
i0 = i0.astype(np.float32)
nt, nq = 3, q.size
# Region patterns: t0 the Ni pattern, t1 the same at twice the intensity (same G), t2 with a
# changed phase fraction (a sharper extra peak at Q = 3.6 1/A).
bump = (4000 * np.exp(-0.5 * ((q - 3.6) / 0.03) ** 2)).astype(np.float32)
pattern = np.stack([i0, 2 * i0, i0 + bump]).astype(np.float32)
# A volume [nt][1][2][2][nq] for the per-voxel dPDF: one empty voxel (NaN G).
vol = np.zeros((nt, 1, 2, 2, nq), np.float32)
for t in range(nt):
    vol[t, 0, 0, 0] = pattern[t]
    vol[t, 0, 0, 1] = 0.5 * pattern[t]
    vol[t, 0, 1, 0] = (1.0 + t) * i0
src, exp = os.path.join(TMP, "region_src.h5"), os.path.join(TMP, "region_exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["recon"], f["q"] = vol, q
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
with h5py.File(exp, "a") as f:
    f["entry/regions/anode/pattern"] = pattern              # q from /entry/recon/q
    f["entry/regions/cathode/pattern"] = pattern[:, :1400]  # its own, shorter q axis
    f["entry/regions/cathode/q"] = q[:1400]
    f["entry/regions/bad/pattern"] = pattern[:, :100]       # matches no q axis

# The single-pattern path on the same intensities (double precision, 0.01 A) is the oracle.
single = os.path.join(TMP, "region_single.gr")
np.savetxt(os.path.join(TMP, "region_t0.xy"), np.c_[q, i0.astype(np.float64)], fmt="%.9g")
run("pdf", "-c", CFG, "--force", "-o", single, os.path.join(TMP, "region_t0.xy"))
ref = load_gr(single)

outdir = os.path.join(TMP, "region_gr")
os.makedirs(outdir, exist_ok=True)
r = run("pdf", "-c", CFG, "--container", exp, "--region", "anode", "-o", outdir, "--force")
check("region anode: G(r) of 3 time steps (0 NaN)" in r.stderr, "log line: " + r.stderr)
r = run("pdf", "-c", CFG, "--qmaxinst", "25", "--container", exp, "--region", "cathode",
        "--reference", "2")
with h5py.File(exp, "r") as f:
    a = f["entry/regions/anode"]
    G, D, rr = a["pdf"][...], a["dpdf"][...], a["r"][...]
    check(G.shape == (3, 6001) and D.shape == (3, 6001), "shapes %s %s" % (G.shape, D.shape))
    check(np.allclose(rr, np.arange(6001) * 0.01), "r axis")
    gmax = np.abs(ref[:, 1]).max()
    d0 = np.abs(G[0] - ref[:, 1]).max() / gmax
    check(d0 < 1e-6, "region G vs the single-pattern path: %g of max |G|" % d0)  # float32 store
    check((D[0] == 0).all(), "dPDF at the reference time step is not zero")
    check(np.array_equal(D, G - G[0]), "dPDF differs from G_t - G_0")
    d1 = np.abs(D[1]).max() / gmax
    check(d1 < 1e-6, "2x intensity changed G by %g of max |G|" % d1)
    check(np.abs(D[2]).max() > 0.01 * gmax, "the extra peak left no trace in the dPDF")
    attrs = a["pdf"].attrs
    check(attrs["qmax"] == 24 and attrs["qmaxinst"] == 25 and attrs["rpoly"] == 2 and
          attrs["rstep"] == 0.01 and attrs["polynomial_degree"] == 16, "numeric attributes")
    check(attrs["composition"].decode() == "Ni" and attrs["reference"] == 0, "attributes")
    check("[DEFAULT]" in attrs["config"].decode(), "config attribute")
    check(a["dpdf"].attrs["q_axis"].decode() == "/entry/recon/q", "q axis attribute")
    check(f["entry/process/pdf_region_anode"].attrs["status"].decode() == "complete",
          "provenance of the region step")
    c = f["entry/regions/cathode"]
    check(c["pdf"].attrs["q_axis"].decode() == "/entry/regions/cathode/q", "own q axis")
    check((c["dpdf"][2] == 0).all() and c["dpdf"].attrs["reference"] == 2, "cathode reference")
for t in range(3):
    gr = load_gr(os.path.join(outdir, "anode_t%04d.gr" % t))
    check(gr.shape == (6001, 2) and np.abs(gr[:, 1] - G[t]).max() <= 1e-6 * gmax,
          ".gr of time step %d" % t)

# Per voxel, with --reference 1: /entry/pdf/dpdf = G_t - G_1, NaN where G is.
r = run("--threads", "2", "pdf", "-c", CFG, "--rstep", "0.1", "--container", exp,
        "--reference", "1")
with h5py.File(exp, "r") as f:
    G = f["entry/pdf/G"][...]
    D = f["entry/pdf/dpdf"][...]
    check(D.shape == G.shape == (3, 1, 2, 2, 601), "per-voxel shapes")
    check(np.array_equal(D, G - G[1], equal_nan=True), "per-voxel dPDF differs from G_t - G_1")
    check(np.isnan(G[:, 0, 1, 1]).all() and np.isnan(D[:, 0, 1, 1]).all(), "empty voxel")
    check((D[1, 0, :, :][~np.isnan(D[1, 0])] == 0).all(), "per-voxel dPDF at the reference")
    # Voxel (1, 0) is (1 + t) x the same pattern: its dPDF vanishes to float32 rounding.
    check(np.abs(D[:, 0, 1, 0]).max() < 1e-5 * np.abs(G[0, 0, 1, 0]).max(), "scaled voxel dPDF")
    check(f["entry/pdf/dpdf"].attrs["reference"] == 1, "per-voxel reference attribute")
    check(f["entry/pdf/G"].attrs["composition"].decode() == "Ni", "per-voxel attributes")

# Bad inputs: exit 1 (2 for usage) and a message naming the problem.
r = run("pdf", "-c", CFG, "--container", exp, "--region", "anode", "--reference", "3", status=1)
check("reference time step must be below nt = 3" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--container", exp, "--region", "nosuch", status=1)
check("/entry/regions/nosuch/pattern" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--container", exp, "--region", "bad", status=1)
check("/entry/regions/bad/pattern" in r.stderr and "expected [nt][1480]" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--region", "anode", os.path.join(TMP, "region_t0.xy"), status=2)
check("need --container" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--container", exp, "--reference", "7", status=1)
check("below nt = 3" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--container", exp, "-o", outdir, status=2)
check("-o with --container needs --region" in r.stderr, r.stderr)
r = run("pdf", "-c", CFG, "--container", exp, "--reference", "-1", status=2)
check("--reference expects a time step >= 0" in r.stderr, r.stderr)

finish("test_pdf_region")
