"""make-demo-data.py OUT.h5 - a small generated per-voxel pattern volume for `make demo`.

A 64 x 64 voxel slice with two crystalline phases: a disk of CeO2-like peaks (fcc, a = 5.411 A)
inside a ring of Ni-like peaks (fcc, a = 3.524 A), each voxel's pattern a sum of Gaussian peaks
at the fcc reflections' q positions on a weak amorphous background, plus air outside. Written
as /patterns [64][64][800] float32 and /q [800] (1/A). Deterministic (fixed seed).
"""
import sys

import h5py
import numpy as np


def fcc_peaks(a, qmax):
    q = []
    for h in range(8):
        for k in range(h + 1):
            for l in range(k + 1):
                if (h + k + l) and (h % 2 == k % 2 == l % 2):  # fcc: all even or all odd
                    q.append(2 * np.pi * np.sqrt(h * h + k * k + l * l) / a)
    return sorted(x for x in set(np.round(q, 6)) if x < qmax)


def pattern(q, peaks, width):
    y = np.zeros_like(q)
    for i, p in enumerate(peaks):
        y += np.exp(-0.5 * ((q - p) / width) ** 2) / (1 + 0.3 * i)
    return y


def main(path):
    n, nq = 64, 800
    q = np.linspace(0.5, 8.0, nq)
    ceo2 = pattern(q, fcc_peaks(5.411, 8.0), 0.02)
    ni = pattern(q, fcc_peaks(3.524, 8.0), 0.015)
    amorphous = 0.05 * np.exp(-0.5 * ((q - 2.0) / 0.8) ** 2)
    yy, xx = np.mgrid[0:n, 0:n] - (n - 1) / 2.0
    r = np.hypot(xx, yy)
    rng = np.random.default_rng(2026)
    data = np.zeros((n, n, nq), np.float32)
    inner = r < 18
    ring = (r >= 18) & (r < 26)
    data[inner] = ceo2 + amorphous
    data[ring] = ni + amorphous
    data += rng.normal(0, 0.005, data.shape).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["patterns"] = data
        f["q"] = q
        f["q"].attrs["units"] = "A^-1"
        f.attrs["description"] = "tsct demo: CeO2-like disk in a Ni-like ring, 64 x 64 voxels"


if __name__ == "__main__":
    main(sys.argv[1])
