#!/usr/bin/python3
"""Reference data for tsct's FBP and projector tests, made with scikit-image.

Run:  /usr/bin/python3 make_reference.py [OUTDIR]      (default: this folder)

For each case it draws a random multi-phase phantom (ellipses, each with its own spectrum over
nc channels, inside the reconstruction circle), projects every channel with
skimage.transform.radon(circle=True) at non-uniform angles, and reconstructs every channel
with skimage.transform.iradon(interpolation="linear") for the listed filters. A smooth phantom
(Gaussian blobs) and its radon transform are written too, for the forward-projector comparison.

Files (raw little-endian, C order, channel axis last):
  manifest.txt                    one case per line: name ns na nc circle output_size filters
  NAME_angles.f64                 [na] degrees
  NAME_phantom.f32                [ns][ns][nc]
  NAME_sino.f32                   [na][ns][nc]   radon of the phantom, channel by channel
  NAME_fbp_FILTER.f32             [n][n][nc]     iradon of the sinogram, channel by channel
  smooth_phantom.f32, smooth_sino.f32, smooth_angles.f64   (ns = 64, na = 30, nc = 1)
tests/test_tomo_peer.py regenerates everything and checks it equals the committed files.
"""
import os
import sys

import numpy as np
from skimage.transform import iradon, radon

FILTERS = ["ramp", "shepp-logan", "cosine", "hamming", "hann", "none"]

# name, ns, na, angular range (deg), angle style, circle, output_size (0 = default), filters
CASES = [
    ("even180", 64, 45, 180.0, "jitter", True, 0, FILTERS),
    ("odd360", 65, 90, 360.0, "jitter", True, 0, FILTERS),
    ("oddrandom", 65, 45, 180.0, "random", True, 0, ["ramp", "hann"]),
    ("nocircle", 64, 90, 360.0, "jitter", False, 0, ["ramp", "shepp-logan"]),
    ("outsize", 64, 45, 180.0, "jitter", True, 50, ["ramp"]),
]
NC = 3


def angles_for(rng, na, span, style):
    step = span / na
    if style == "jitter":
        return np.arange(na) * step + rng.uniform(-0.4, 0.4, na) * step
    return rng.uniform(0.0, span, na)  # unsorted, random


def ellipse_phantom(rng, n, nc, nell=5):
    """Sum of ellipses, each with a random spectrum over nc channels, inside the circle."""
    yy, xx = np.mgrid[:n, :n].astype(float)
    c = n // 2
    img = np.zeros((n, n, nc))
    for _ in range(nell):
        r = rng.uniform(0.0, 0.45) * n * 0.5
        phi = rng.uniform(0, 2 * np.pi)
        cy, cx = c + r * np.sin(phi), c + r * np.cos(phi)
        a, b = rng.uniform(0.08, 0.25, 2) * n
        th = rng.uniform(0, np.pi)
        dy, dx = yy - cy, xx - cx
        u = (dx * np.cos(th) + dy * np.sin(th)) / a
        v = (-dx * np.sin(th) + dy * np.cos(th)) / b
        img[u * u + v * v <= 1.0] += rng.uniform(0.2, 1.0, nc)
    inside = (yy - c) ** 2 + (xx - c) ** 2 <= (0.9 * c) ** 2
    return img * inside[:, :, None]


def smooth_phantom(n):
    yy, xx = np.mgrid[:n, :n].astype(float) - n // 2
    img = (np.exp(-((yy - 5) ** 2 + (xx + 8) ** 2) / (2 * 6.0 ** 2))
           + 0.6 * np.exp(-((yy + 9) ** 2 + (xx - 4) ** 2) / (2 * 4.0 ** 2))
           + 0.3 * np.exp(-(yy ** 2 + xx ** 2) / (2 * 12.0 ** 2)))
    img[yy ** 2 + xx ** 2 > (0.45 * n) ** 2] = 0.0
    return img


def save(path, arr, dtype):
    np.ascontiguousarray(arr, dtype=dtype).astype("<" + np.dtype(dtype).str[1:]).tofile(path)


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    lines = []
    for name, ns, na, span, style, circle, osize, filters in CASES:
        theta = angles_for(rng, na, span, style)
        ph = ellipse_phantom(rng, ns, NC)
        sino = np.stack([radon(ph[:, :, c], theta=theta, circle=True) for c in range(NC)],
                        axis=-1)                      # [ns][na][nc]
        save(os.path.join(out, name + "_angles.f64"), theta, np.float64)
        save(os.path.join(out, name + "_phantom.f32"), ph, np.float32)
        save(os.path.join(out, name + "_sino.f32"), sino.transpose(1, 0, 2), np.float32)
        # iradon gets exactly the float32 sinogram tsct reads.
        s32 = sino.astype(np.float32).astype(np.float64)
        n = None
        for f in filters:
            rec = np.stack([iradon(s32[:, :, c], theta=theta,
                                   output_size=osize if osize else None,
                                   filter_name=None if f == "none" else f,
                                   interpolation="linear", circle=circle)
                            for c in range(NC)], axis=-1)
            n = rec.shape[0]
            save(os.path.join(out, "%s_fbp_%s.f32" % (name, f)), rec, np.float32)
        lines.append("%s %d %d %d %d %d %s" % (name, ns, na, NC, int(circle), n,
                                              ",".join(filters)))
    with open(os.path.join(out, "manifest.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")

    theta = np.sort(rng.uniform(0.0, 180.0, 30))
    sm = smooth_phantom(64)
    save(os.path.join(out, "smooth_angles.f64"), theta, np.float64)
    save(os.path.join(out, "smooth_phantom.f32"), sm, np.float32)
    save(os.path.join(out, "smooth_sino.f32"),
         radon(sm.astype(np.float32).astype(np.float64), theta=theta, circle=True).T,
         np.float32)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
