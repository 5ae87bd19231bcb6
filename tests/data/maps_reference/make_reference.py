#!/usr/bin/python3
"""Thresholds, morphology, components and distances from numpy / scikit-image / scipy, for
tests/test_maps.c.

Writes next to this script (or into the folder given):
  image.f32     [48][40] float32  smooth blobs + noise, with 5 NaN pixels
  mask_*.u8     [48][40] uint8    mask = image > otsu, then each operation (disk footprints)
  edt.f32       [48][40] float32  scipy.ndimage.distance_transform_edt(mask)
  values.txt    otsu, percentiles, component counts, peer versions
Operations: erode1 = binary_erosion(mask, disk(1)), dilate3, open2, close2, small20c1 =
remove_small_objects(mask, 20, connectivity=1), small20c2 (connectivity=2).
"""
import os
import sys

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
from skimage import measure, morphology
from skimage.filters import threshold_otsu

HERE = os.path.dirname(os.path.abspath(__file__))


def main(out):
    rng = np.random.default_rng(12)
    ny, nx = 48, 40
    yy, xx = np.mgrid[0:ny, 0:nx]
    img = np.zeros((ny, nx))
    for _ in range(9):
        cy, cx, w = rng.uniform(0, ny), rng.uniform(0, nx), rng.uniform(2, 5)
        img += rng.uniform(1, 3) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * w * w))
    img += rng.normal(0, 0.05, img.shape)
    img = img.astype(np.float32)
    for _ in range(5):
        img[rng.integers(ny), rng.integers(nx)] = np.nan
    fin = img[np.isfinite(img)]
    otsu = float(threshold_otsu(fin))
    mask = np.nan_to_num(img, nan=-np.inf) > otsu
    ops = {
        "erode1": morphology.binary_erosion(mask, morphology.disk(1)),
        "dilate3": morphology.binary_dilation(mask, morphology.disk(3)),
        "open2": morphology.binary_opening(mask, morphology.disk(2)),
        "close2": morphology.binary_closing(mask, morphology.disk(2)),
        "small20c1": morphology.remove_small_objects(mask, 20, connectivity=1),
        "small20c2": morphology.remove_small_objects(mask, 20, connectivity=2),
    }
    img.astype("<f4").tofile(os.path.join(out, "image.f32"))
    mask.astype(np.uint8).tofile(os.path.join(out, "mask.u8"))
    for k, v in ops.items():
        v.astype(np.uint8).tofile(os.path.join(out, "mask_%s.u8" % k))
    ndi.distance_transform_edt(mask).astype("<f4").tofile(os.path.join(out, "edt.f32"))
    with open(os.path.join(out, "values.txt"), "w") as f:
        f.write("# numpy %s, scikit-image %s, scipy %s\n" % (np.__version__, skimage.__version__,
                                                            scipy.__version__))
        f.write("otsu %r\n" % otsu)
        for p in (0, 10, 50, 99.5, 100):
            f.write("percentile %r %r\n" % (p, float(np.percentile(fin.astype(np.float64), p))))
        f.write("labels4 %d\n" % measure.label(mask, connectivity=1).max())
        f.write("labels8 %d\n" % measure.label(mask, connectivity=2).max())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
