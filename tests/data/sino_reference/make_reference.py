#!/usr/bin/python3
"""Reference results for tsct's sinogram processing (tests/test_sino.c), computed with
straightforward numpy implementations of nDTomo's definitions (antonyvam/nDTomo,
nDTomo/tomo/tomo_utils.py: zigzag_rows, airrem, scalesinos, sinocomcor; written here from
their documented formulas, not copied). nDTomo stores sinograms as [ns][na][nc]
(translations, projections, channels); tsct as [na][ns][nc]: the functions below work in
nDTomo's order and the files are written in tsct's.

usage: make_reference.py [OUTDIR]   (default: this folder)
Files: little-endian float32 / float64 raw arrays, shapes in manifest.txt.
"""
import os
import sys

import numpy as np
from scipy.ndimage import center_of_mass

NA, NS, NC = 13, 21, 5


def zigzag_rows(s):  # nDTomo: rows scanned backwards are reversed (here: odd projections)
    s = s.copy()
    s[:, 1::2, :] = s[::-1, 1::2, :]
    return s


def airrem(s, ofs, method):  # nDTomo airrem: one air value per channel
    if method == "both":
        air = (np.mean(s[0:ofs], axis=(0, 1)) + np.mean(s[-ofs:], axis=(0, 1))) / 2
    elif method == "top":
        air = np.mean(s[0:ofs], axis=(0, 1))
    else:
        air = np.mean(s[-ofs:], axis=(0, 1))
    return s - air[None, None, :]


def airrem_per_projection(s, ofs):  # nDTomo's older GUI airrem: per projection
    out = s.copy()
    for ii in range(s.shape[1]):
        air = (np.mean(s[0:ofs, ii, :], axis=0) + np.mean(s[-ofs:, ii, :], axis=0)) / 2
        out[:, ii, :] = s[:, ii, :] - air
    return out


def scalesinos(s):
    scint = np.sum(np.sum(s, axis=2), axis=0)
    sf = scint / np.max(scint)
    return s / sf[None, :, None]


def sinocomcor(s):
    ss = np.sum(s, axis=2)
    com = np.array([center_of_mass(ss[:, ii])[0] for ii in range(ss.shape[1])])
    com = com - com[0]
    out = np.zeros_like(s)
    x = np.arange(s.shape[0])
    for ll in range(s.shape[2]):
        for ii in range(s.shape[1]):
            out[:, ii, ll] = np.interp(x + com[ii], x, s[:, ii, ll], left=0, right=0)
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2024)
    # nDTomo order [ns][na][nc]: a positive, blob-like signal with a per-projection drift
    x = np.arange(NS)[:, None, None]
    centre = NS / 2 + rng.uniform(-1.5, 1.5, NA)[None, :, None]
    s = (2.0 + np.exp(-((x - centre) / 4.0) ** 2) * rng.uniform(1, 3, NC)[None, None, :]
         + 0.1 * rng.random((NS, NA, NC)))
    s = s * rng.uniform(0.8, 1.2, NA)[None, :, None]
    s = s.astype(np.float32).astype(np.float64)
    results = {
        "input": s,
        "zigzag": zigzag_rows(s),
        "air_both_2": airrem(s, 2, "both"),
        "air_top_3": airrem(s, 3, "top"),
        "air_bottom_1": airrem(s, 1, "bottom"),
        "air_perproj_2": airrem_per_projection(s, 2),
        "scale": scalesinos(s),
        "com": sinocomcor(s),
    }
    manifest = []
    for name, a in results.items():
        t = np.ascontiguousarray(np.transpose(a, (1, 0, 2)), dtype="<f4")  # -> [na][ns][nc]
        t.tofile(os.path.join(out, name + ".f32"))
        manifest.append("%s.f32 float32 [%d][%d][%d]" % ((name,) + t.shape))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
