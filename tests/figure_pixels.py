"""figure_pixels.py - shared by the tests that read figures' pixels (not a test itself)."""
import numpy as np

BLACK = 60  # a pixel whose r + g + b is below this is part of a frame line


def frame_lines(im, axis, min_run):
    """Pixel columns (axis 1) or rows (axis 0) holding a black run of at least min_run."""
    black = np.asarray(im).sum(axis=2) < BLACK
    out = []
    for i in range(black.shape[1] if axis == 1 else black.shape[0]):
        line = black[:, i] if axis == 1 else black[i, :]
        run_, best = 0, 0
        for v in line:
            run_ = run_ + 1 if v else 0
            best = max(best, run_)
        if best >= min_run:
            out.append(i)
    return out
