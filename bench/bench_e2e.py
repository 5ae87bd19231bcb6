#!/usr/bin/python3
"""End-to-end benchmarks: whole `tsct` processes against their peer in the same run (issue 20).

usage: /usr/bin/python3 bench/bench_e2e.py [--tsct build/tsct] [--threads 2] [--work DIR]
           [--profile] [--only recon,integrate,pdf] [--frames 100] [--channels 200]
           [--peer-channels 8] [--compression zstd] [--sino-size NA,NS,NQ]
           [--frames-size N,NA,NS]   (--only also takes sinogram, map, frames)

recon      a 400-angle x 550-position sinogram of --channels channels (six Gaussian blobs with
           their own spectra plus noise, float32, HDF5 chunked by angle, deflate 1) ->
           `tsct recon SINO.h5::/sino --angle-range 0:180 --centre none -o OUT.h5`;
           peer: skimage.transform.iradon (ramp filter, linear interpolation, circle) on
           --peer-channels of the same channels read from the same file, per channel, the
           time scaled to all channels (iradon's cost per channel does not depend on which).
integrate  --frames copies (hard links) of the Pilatus 2M CeO2 CBF with its PONI and mask ->
           `tsct integrate FRAMES --container EXP.h5 --angles A --translations T -n 2000`
           (one HDF5 container); peer: the pyFAI 0.21 loop a user writes, fabio.open +
           integrate1d_ng(npt=2000, method=("no", "csr", "cython"), unit q_A^-1, mask) per
           frame, after one warm-up call that builds pyFAI's CSR matrix.
pdf        a container with /entry/recon [1][1][ny][nx][2000] (Ni-like patterns from the
           shipped Ni .chi, scaled per voxel) -> `tsct pdf -c Ni.cfg --container EXP.h5`
           with 1500 r points; voxel PDFs per second (no peer process: PDFgetX3 is not a
           Debian package; the kernel bench, bench_pdf, has the per-pattern comparison).

sinogram   `tsct simulate --preset demo --time-steps 1` (48 x 48 voxels, --set na, ns, nq from
           --sino-size) -> `tsct sinogram EXP.h5 --centre none`; peer: the same data
           movement in h5py + numpy (read /entry/integrated/data, flip the odd rows back,
           write [na][ns][nq] with shuffle + deflate 1), no filtering.
map        the pdf bench's container (/entry/recon [1][1][ny][nx][2000]) -> `tsct map EXP.h5
           --window peak=2.9:3.2 --total sum`; peer: h5py read + numpy (window sum minus the
           straight background through its edges, total sum).
frames     `tsct simulate --preset demo --level frames --time-steps 1` (--set n, na, ns from
           --frames-size): detector frames written per second (no peer).

For each tsct process: wall time, CPU (user + system) and peak resident memory from wait4(),
and with --profile the share of CPU samples (perf record -F 499 over the whole process) in
the kernels (tsct, FFTW, libm), in OpenMP's runtime (libgomp: threads spin-waiting at the
ends of parallel regions, counted apart since it is not work), in compression (zlib, Blosc,
zstd, LZ4 and the HDF5 filter plugins), in HDF5 itself, in the operating system (page faults,
reads, writes) and in libc (copies, allocation). Method and figures: bench/RESULTS.md.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np


def run_measured(cmd, env=None):
    """Run cmd; return (wall s, cpu s, peak RSS MB, stderr). The peak is GNU time's (%M):
    wait4()'s ru_maxrss of a child forked from this Python process starts at this process's
    resident size."""
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "TSCT_BENCH_MAXRSS %M"] + cmd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), err))
    rss = [float(l.split()[1]) / 1024.0 for l in err.splitlines()
           if l.startswith("TSCT_BENCH_MAXRSS")]
    return wall, ru.ru_utime + ru.ru_stime, rss[-1] if rss else float("nan"), err


def cpu_now():
    r = os.times()
    return r.user + r.system


CLASSES = [
    ("kernel", ("tsct", "libtsct", "libfftw3", "libm.so", "libm-")),
    ("OpenMP (mostly threads spinning at the end of a parallel region)", ("libgomp",)),
    ("compression", ("libz.so", "libblosc", "libzstd", "liblz4", "libH5Zblosc", "libh5lz4",
                     "libh5bshuf", "libblosc_filter", "liblzf")),
    ("HDF5", ("libhdf5",)),
    ("OS (I/O, page faults)", ("[kernel",)),
    ("libc (copies, malloc)", ("libc.so",)),
]


def profile(cmd, work):
    """Shares of perf samples by class over the whole process (all threads)."""
    data = os.path.join(work, "perf.data")
    r = subprocess.run(["perf", "record", "-q", "-F", "499", "-o", data, "--"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        return None
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso",
                          "--no-children"], capture_output=True, text=True).stdout
    shares = {c: 0.0 for c, _ in CLASSES}
    shares["other"] = 0.0
    for line in rep.splitlines():
        f = line.split()
        if len(f) < 2 or not f[0].endswith("%"):
            continue
        pct, dso = float(f[0][:-1]), f[1]
        for c, keys in CLASSES:
            if any(dso.startswith(k) for k in keys):
                shares[c] += pct
                break
        else:
            shares["other"] += pct
    return shares


TABLE = []   # rows of the markdown table bench/RESULTS.md takes, printed at the end


def table_row(command, wall, cpu, rss, peer="", ratio_wall=None, ratio_cpu=None, shares=None):
    TABLE.append((command, "%.2f s" % wall, "%.2f s" % cpu, "%.0f MB" % rss, peer,
                  "%.1fx" % ratio_wall if ratio_wall else "",
                  "%.1fx" % ratio_cpu if ratio_cpu else "",
                  " / ".join("%.0f" % v for v in shares.values()) + " %" if shares else ""))


def print_table():
    head = ("command", "tsct wall", "tsct CPU", "peak memory", "peer (same run)",
            "ratio, wall", "ratio, CPU", "CPU samples: " + " / ".join(
                ["kernels", "OpenMP", "compression", "HDF5", "OS", "libc", "other"]))
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in TABLE:
        print("| " + " | ".join(r) + " |")


def print_profile(shares):
    if shares:
        print("  CPU samples: " + ", ".join("%s %.0f %%" % (k, v) for k, v in shares.items()))


def tsct_cmd(a, *args):
    cmd = [a.tsct, "--threads", str(a.threads), "--force"]
    if a.compression:
        cmd += ["--compression", a.compression]
    return cmd + list(args)


def bench_recon(a):
    import h5py
    from skimage.transform import iradon
    na, ns, nc = 400, 550, a.channels
    sino = os.path.join(a.work, "sino.h5")
    rng = np.random.default_rng(0)
    th = np.radians(np.arange(na) * 180.0 / na)
    x = np.linspace(-1, 1, ns)
    g, w = [], []
    q = np.linspace(0, 1, nc)
    for _ in range(6):
        cx, cy, r = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(0.05, 0.25)
        p = cx * np.cos(th)[:, None] + cy * np.sin(th)[:, None]
        g.append(np.exp(-((x[None, :] - p) / r) ** 2) * r)
        w.append(np.exp(-((q - rng.uniform(0, 1)) / 0.05) ** 2) + 0.1)
    # written in blocks of channels, so that --channels 2000 (1.8 GB of float32) needs no
    # more memory than 200 channels
    gs = np.stack(g, -1).reshape(na * ns, 6)
    ws = np.stack(w)
    with h5py.File(sino, "w") as f:
        d = f.create_dataset("sino", (na, ns, nc), dtype=np.float32, chunks=(1, ns, nc),
                             compression="gzip", compression_opts=1, shuffle=True)
        for c0 in range(0, nc, 200):
            c1 = min(nc, c0 + 200)
            blk = (gs @ ws[:, c0:c1]).astype(np.float32).reshape(na, ns, c1 - c0)
            d[:, :, c0:c1] = blk + rng.normal(0, 1e-3, blk.shape).astype(np.float32)
    del gs
    out = os.path.join(a.work, "recon.h5")
    cmd = tsct_cmd(a, "recon", sino + "::/sino", "--angle-range", "0:180", "--centre", "none",
                   "-o", out)
    wall, cpu, rss, _ = run_measured(cmd)
    print("recon %d x %d, %d angles, %d channels (HDF5 in, HDF5 out)" % (ns, ns, na, nc))
    print("  tsct: %.2f s wall, %.2f s CPU, peak %.0f MB" % (wall, cpu, rss))
    shares = profile(cmd, a.work) if a.profile else None
    print_profile(shares)
    k = min(a.peer_channels, nc)
    t0, c0 = time.perf_counter(), cpu_now()
    with h5py.File(sino, "r") as f:
        part = f["sino"][:, :, :k]
    theta = np.arange(na) * 180.0 / na
    for c in range(k):
        img = iradon(part[:, :, c].T, theta=theta, filter_name="ramp", interpolation="linear",
                     circle=True)
    peer = (time.perf_counter() - t0) * nc / k
    peer_cpu = (cpu_now() - c0) * nc / k
    print("  skimage iradon: %.1f s wall, %.1f s CPU for %d channels -> %.1f s wall, %.1f s CPU "
          "for %d" % (peer * k / nc, peer_cpu * k / nc, k, peer, peer_cpu, nc))
    print("  ratio iradon / tsct in CPU time: %.1fx" % (peer_cpu / cpu))
    with h5py.File(out, "r") as f:
        mine = f["data"][:, :, k - 1]
    d = np.nanmax(np.abs(mine - img)) / np.nanmax(np.abs(img))
    print("  ratio iradon / tsct: %.1fx (channel %d: max difference %.2g of the maximum)" %
          (peer / wall, k - 1, d))
    table_row("`tsct recon` %d x %d, %d angles, %d channels, HDF5 in and out" % (ns, ns, na, nc),
              wall, cpu, rss, "skimage `iradon` per channel: %.0f s wall, %.0f s CPU (%d "
              "channels timed, x %g)" % (peer, peer_cpu, k, nc / k), peer / wall,
              peer_cpu / cpu, shares)


def bench_integrate(a):
    src = a.data + "/detector_images/ndtomo_CeO2_Pilatus2M"
    frames = os.path.join(a.work, "frames")
    shutil.rmtree(frames, ignore_errors=True)
    os.makedirs(frames)
    names = []
    for i in range(a.frames):
        p = os.path.join(frames, "f_%05d.cbf" % i)
        os.link(src + "/CeO2.cbf", p) if os.stat(src).st_dev == os.stat(a.work).st_dev \
            else shutil.copy(src + "/CeO2.cbf", p)
        names.append(p)
    nt = a.frames // 10 if a.frames % 10 == 0 else 1
    ns = 10 if a.frames % 10 == 0 else a.frames
    exp = os.path.join(a.work, "integ.h5")
    res = {}
    for th in sorted({1, a.threads}):
        if os.path.exists(exp):
            os.remove(exp)
        cmd = [a.tsct, "--threads", str(th)] + (["--compression", a.compression] if
                                                a.compression else [])
        cmd += ["integrate"] + names + ["--poni", src + "/CeO2.poni", "-m", src + "/mask.edf",
                                        "-n", "2000", "--container", exp, "--angles", str(nt),
                                        "--translations", str(ns)]
        res[th] = run_measured(cmd)
        last = cmd
    print("integrate %d CBF frames (Pilatus 2M, mask, 2000 bins) into one container" % a.frames)
    for th, (wall, cpu, rss, _) in res.items():
        print("  tsct, %d thread%s: %.2f s wall, %.2f s CPU, peak %.0f MB, %.1f frames/s" %
              (th, "s" if th > 1 else "", wall, cpu, rss, a.frames / wall))
    shares = None
    if a.profile:
        os.remove(exp)
        shares = profile(last, a.work)
        print_profile(shares)
    import logging
    logging.disable(logging.WARNING)
    import fabio
    import pyFAI
    ai = pyFAI.load(src + "/CeO2.poni")
    mask = fabio.open(src + "/mask.edf").data
    kw = dict(npt=2000, unit="q_A^-1", method=("no", "csr", "cython"), mask=mask)
    ai.integrate1d_ng(fabio.open(names[0]).data, **kw)
    t0, c0 = time.perf_counter(), cpu_now()
    for p in names:
        ai.integrate1d_ng(fabio.open(p).data, **kw)
    peer, peer_cpu = time.perf_counter() - t0, cpu_now() - c0
    wall = res[a.threads][0]
    print("  pyFAI loop CPU: %.2f s; ratio pyFAI / tsct in CPU time: %.1fx" %
          (peer_cpu, peer_cpu / res[a.threads][1]))
    print("  pyFAI loop (fabio.open + integrate1d_ng, csr): %.2f s, %.1f frames/s" %
          (peer, a.frames / peer))
    print("  ratio pyFAI / tsct (%d threads): %.1fx; tsct 1 / %d threads: %.2fx" %
          (a.threads, peer / wall, a.threads, res[1][0] / wall))
    w, c, r, _ = res[a.threads]
    table_row("`tsct integrate` %d Pilatus 2M CBF frames, mask, 2000 bins, one container, %d "
              "threads (%.1f frames/s)" % (a.frames, a.threads, a.frames / w), w, c, r,
              "pyFAI loop `fabio.open` + `integrate1d_ng` (csr): %.2f s wall, %.2f s CPU" %
              (peer, peer_cpu), peer / w, peer_cpu / c, shares)
    if a.threads != 1:
        w1, c1, r1, _ = res[1]
        table_row("same, 1 thread (%.1f frames/s); %d threads / 1: %.2fx" %
                  (a.frames / w1, a.threads, w1 / w), w1, c1, r1)


def bench_pdf(a):
    import h5py
    ni = a.data + "/pdf/ni_xpd_pdfstream"
    chi = np.loadtxt(ni + "/Ni_chi_file.chi", comments="#", skiprows=4)
    qs, iq = chi[:, 0], chi[:, 1]
    nq = 2000
    q = np.linspace(qs[0], qs[-1], nq)
    pat = np.interp(q, qs, iq).astype(np.float32)
    n = a.pdf_side
    rng = np.random.default_rng(1)
    scale = (0.5 + rng.random((n, n))).astype(np.float32)
    src = os.path.join(a.work, "pdfsrc.h5")
    with h5py.File(src, "w") as f:
        f["recon"] = scale[:, :, None] * pat[None, None, :]
        f["q"] = q
    exp = os.path.join(a.work, "pdf.h5")
    if os.path.exists(exp):
        os.remove(exp)
    subprocess.run([a.tsct, "import", src + "::/recon", "-a", src + "::/q", "-o", exp],
                   check=True, stderr=subprocess.DEVNULL)
    cfg = os.path.join(a.work, "ni.cfg")
    with open(cfg, "w") as f:
        f.write("[DEFAULT]\ndataformat = QA\ncomposition = Ni\nqmaxinst = %.3f\n"
                "qmin = 0.5\nqmax = %.3f\nrmin = 0.0\nrmax = 30.0\nrstep = 0.02\n"
                "rpoly = 0.9\n" % (qs[-1] - 0.05, qs[-1] - 0.1))
    cmd = tsct_cmd(a, "pdf", "-c", cfg, "--container", exp)
    wall, cpu, rss, _ = run_measured(cmd)
    with h5py.File(exp, "r") as f:
        g = f["entry/pdf/G"]
        nr = g.shape[-1]
    print("pdf --container: %d x %d voxels, %d q points, %d r points" % (n, n, nq, nr))
    print("  tsct: %.2f s wall, %.2f s CPU, peak %.0f MB: %.0f voxel PDFs/s" %
          (wall, cpu, rss, n * n / wall))
    shares = profile(cmd + ["--force"], a.work) if a.profile else None
    print_profile(shares)
    table_row("`tsct pdf --container` %d x %d voxels, %d q, %d r points: %.0f voxel PDFs/s" %
              (n, n, nq, nr, n * n / wall), wall, cpu, rss, "(none: PDFgetX3 is not a Debian "
              "package)", shares=shares)


def bench_sinogram(a):
    import h5py
    na, ns, nq = a.sino_size
    exp = os.path.join(a.work, "sino_src.h5")
    for f in (exp, exp[:-3] + "_echem.csv"):
        if os.path.exists(f):
            os.remove(f)
    subprocess.run([a.tsct, "simulate", "--preset", "demo", "--time-steps", "1", "--set",
                    "na=%d" % na, "--set", "ns=%d" % ns, "--set", "nq=%d" % nq, "-o", exp],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = tsct_cmd(a, "sinogram", exp, "--centre", "none")
    wall, cpu, rss, _ = run_measured(cmd)
    print("sinogram %d angles x %d positions x %d channels (container in and out)" %
          (na, ns, nq))
    print("  tsct: %.2f s wall, %.2f s CPU, peak %.0f MB" % (wall, cpu, rss))
    shares = profile(cmd, a.work) if a.profile else None
    print_profile(shares)
    t0, c0 = time.perf_counter(), cpu_now()
    with h5py.File(exp, "r") as f:
        cube = f["entry/integrated/data"][0, 0]
    cube[1::2] = cube[1::2, ::-1]
    out = os.path.join(a.work, "sino_peer.h5")
    with h5py.File(out, "w") as f:
        f.create_dataset("sino", data=cube, chunks=(1, ns, nq), compression="gzip",
                         compression_opts=1, shuffle=True)
    peer, peer_cpu = time.perf_counter() - t0, cpu_now() - c0
    print("  h5py + numpy (read, flip, write): %.2f s wall, %.2f s CPU; ratio %.1fx wall, "
          "%.1fx CPU" % (peer, peer_cpu, peer / wall, peer_cpu / cpu))
    table_row("`tsct sinogram` %d angles x %d positions x %d channels, container in and out"
              % (na, ns, nq), wall, cpu, rss, "h5py + numpy read, flip, write: %.2f s wall, "
              "%.2f s CPU" % (peer, peer_cpu), peer / wall, peer_cpu / cpu, shares)


def bench_map(a):
    import h5py
    exp = os.path.join(a.work, "pdf.h5")
    if not os.path.exists(exp):
        sys.exit("map: run the pdf bench first (--only pdf,map)")
    cmd = tsct_cmd(a, "map", exp, "--window", "peak=2.9:3.2", "--total", "sum")
    wall, cpu, rss, _ = run_measured(cmd)
    print("map: %d x %d voxels x 2000 q, a window and a total" % (a.pdf_side, a.pdf_side))
    print("  tsct: %.2f s wall, %.2f s CPU, peak %.0f MB" % (wall, cpu, rss))
    shares = profile(cmd, a.work) if a.profile else None
    print_profile(shares)
    t0, c0 = time.perf_counter(), cpu_now()
    with h5py.File(exp, "r") as f:
        q = f["entry/recon/q"][()]
        d = f["entry/recon/data"][0, 0]
    sel = (q >= 2.9) & (q <= 3.2)
    i0, i1 = np.nonzero(sel)[0][[0, -1]]
    w = d[:, :, sel]
    bg = 0.5 * (d[:, :, i0] + d[:, :, i1]) * sel.sum()
    peak = w.sum(-1) - bg
    total = d.sum(-1)
    peer, peer_cpu = time.perf_counter() - t0, cpu_now() - c0
    print("  h5py + numpy: %.2f s wall, %.2f s CPU; ratio %.1fx wall, %.1fx CPU (%g, %g)" %
          (peer, peer_cpu, peer / wall, peer_cpu / cpu, float(peak.mean()),
           float(total.mean())))
    table_row("`tsct map` %d x %d voxels x 2000 q, one window and one total" %
              (a.pdf_side, a.pdf_side), wall, cpu, rss, "h5py + numpy: %.2f s wall, %.2f s "
              "CPU" % (peer, peer_cpu), peer / wall, peer_cpu / cpu, shares)


def bench_frames(a):
    n, na, ns = a.frames_size
    exp = os.path.join(a.work, "frames_sim.h5")
    fdir = os.path.join(a.work, "frames_sim_frames")
    shutil.rmtree(fdir, ignore_errors=True)
    for f in (exp, exp[:-3] + "_echem.csv"):
        if os.path.exists(f):
            os.remove(f)
    cmd = [a.tsct, "--threads", str(a.threads), "simulate", "--preset", "demo", "--level",
           "frames", "--time-steps", "1", "--set", "n=%d" % n, "--set", "na=%d" % na,
           "--set", "ns=%d" % ns, "-o", exp]
    wall, cpu, rss, _ = run_measured(cmd)
    nf = na * ns
    print("simulate --level frames: demo, %d voxels, %d angles x %d translations" % (n, na, ns))
    print("  tsct: %.2f s wall, %.2f s CPU, peak %.0f MB: %.1f frames/s (no peer)" %
          (wall, cpu, rss, nf / wall))
    table_row("`tsct simulate --level frames` demo, %d voxels, %d angles x %d translations: "
              "%.1f frames/s" % (n, na, ns, nf / wall), wall, cpu, rss, "(none)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--tsct", default=os.path.join(here, "..", "build", "tsct"))
    ap.add_argument("--data", default=os.path.join(here, "..", "tests", "data"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default="/tmp/tsct_bench_e2e")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--only", default="recon,integrate,pdf")
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--channels", type=int, default=200)
    ap.add_argument("--peer-channels", type=int, default=8)
    ap.add_argument("--pdf-side", type=int, default=100)
    ap.add_argument("--compression", default=None)
    ap.add_argument("--sino-size", type=lambda t: [int(x) for x in t.split(",")],
                    default=[61, 110, 1000], help="NA,NS,NQ of the sinogram bench")
    ap.add_argument("--frames-size", type=lambda t: [int(x) for x in t.split(",")],
                    default=[48, 31, 60], help="N,NA,NS of the frames bench")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    for name in a.only.split(","):
        {"recon": bench_recon, "integrate": bench_integrate, "pdf": bench_pdf,
         "sinogram": bench_sinogram, "map": bench_map, "frames": bench_frames}[name](a)
        sys.stdout.flush()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print_table()


if __name__ == "__main__":
    main()
