#!/usr/bin/python3
"""skimage.transform.radon of a smooth phantom, for tests/test_simulate.c.

Writes, next to this script (or into the folder given as argument), raw little-endian files:
  image.f32   [64][64]  float32  smooth phantom (sum of Gaussian blobs inside the circle)
  angles.f64  [45]      float64  degrees, non-uniform over 0..180
  radon.f32   [45][64]  float32  skimage.transform.radon(image, angles, circle=True).T
and peer.txt with the skimage version. tests/test_sim_peer.py regenerates and compares.
"""
import os
import sys

import numpy as np
import skimage
from skimage.transform import radon

HERE = os.path.dirname(os.path.abspath(__file__))


def main(out):
    n = 64
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:n, 0:n] - n // 2
    image = np.zeros((n, n))
    for _ in range(6):
        cy, cx = rng.uniform(-14, 14, 2)
        w = rng.uniform(3, 7)
        image += rng.uniform(0.5, 1.5) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * w * w))
    image[yy ** 2 + xx ** 2 > (n // 2 - 1) ** 2] = 0
    angles = np.sort(rng.uniform(0, 180, 45))
    sino = radon(image, theta=angles, circle=True).T
    image.astype("<f4").tofile(os.path.join(out, "image.f32"))
    angles.astype("<f8").tofile(os.path.join(out, "angles.f64"))
    sino.astype("<f4").tofile(os.path.join(out, "radon.f32"))
    with open(os.path.join(out, "peer.txt"), "w") as f:
        f.write("skimage %s\n" % skimage.__version__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
