#!/usr/bin/python3
"""Write the small HDF5 frame sources that tests/test_frames.c reads, and h5py's reading of them.

usage: /usr/bin/python3 make_frames.py OUTDIR

Writes into OUTDIR (tests/data/frames/ holds the committed output):
  dectris_master.h5         Dectris-like master: /entry/data/data_000001..2 are external links
  dectris_data_000001.h5    3 frames, uint32 23 x 17, bitshuffle-LZ4 (filter 32008), chunk = frame
  dectris_data_000002.h5    2 frames, idem; pixels at 2^32-1 (overflow), a pixel_mask in the master
  lz4_master.h5, lz4_data_000001.h5   4 frames uint16 with plain LZ4 (filter 32004), bit depth 16
  bliss.h5                  BLISS-like scan: /1.1/measurement/pilatus is a virtual dataset of
  scan0001/pilatus_0000.h5  3 int32 frames and
  scan0001/pilatus_0001.h5  2 int32 frames (gaps -1, bad pixels -2)
  stack.h5                  /float64 [4][23][17], /int16 [6][23][17] gzip, /single [23][17] uint8,
                            /rank4 [1][2][23][17]
  reference_*.npy           what h5py reads from each source, as float32 stacks
  chunks.txt                "FILE FRAME OFFSET SIZE" of each chunk of the Dectris data files
Deterministic: every value comes from a fixed numpy seed.
"""
import os
import sys

os.environ.setdefault("HDF5_PLUGIN_PATH", "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins")
import bitshuffle.h5  # noqa: E402  (registers filter 32008 with h5py's HDF5)
import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROWS, COLS = 23, 17


def dectris(out, prefix, nper, dtype, bit_depth, compression, opts, seed):
    rng = np.random.default_rng(seed)
    stacks = []
    for k, n in enumerate(nper, start=1):
        frames = rng.poisson(40.0, size=(n, ROWS, COLS)).astype(dtype)
        frames[:, 5, 7] = np.iinfo(dtype).max            # a hot pixel: overflow value
        frames[-1, 20:22, 3:9] = np.iinfo(dtype).max     # a saturated patch in the last frame
        name = "%s_data_%06d.h5" % (prefix, k)
        with h5py.File(os.path.join(out, name), "w") as f:
            d = f.create_dataset("entry/data/data", data=frames, chunks=(1, ROWS, COLS),
                                 compression=compression, compression_opts=opts)
            d.attrs["image_nr_low"] = sum(nper[:k - 1]) + 1
            d.attrs["image_nr_high"] = sum(nper[:k])
        stacks.append(frames)
    with h5py.File(os.path.join(out, prefix + "_master.h5"), "w") as f:
        for k in range(1, len(nper) + 1):
            f["entry/data/data_%06d" % k] = h5py.ExternalLink(
                "%s_data_%06d.h5" % (prefix, k), "/entry/data/data")
        det = f.create_group("entry/instrument/detector")
        for key, val, unit in (("x_pixel_size", 75e-6, "m"), ("y_pixel_size", 75e-6, "m"),
                               ("detector_distance", 0.1873, "m"), ("count_time", 0.0999, "s"),
                               ("beam_center_x", 8.25, "pixel"), ("beam_center_y", 11.5, "pixel")):
            det[key] = val
            det[key].attrs["units"] = unit
        det["bit_depth_image"] = np.uint32(bit_depth)
        det["description"] = np.bytes_("Dectris EIGER2 Si 4M (synthetic %s)" % prefix)
        mask = np.zeros((ROWS, COLS), np.uint32)
        mask[:, 14] = 1          # a module gap column
        mask[21, 2] = 8          # a noisy pixel
        det["detectorSpecific/pixel_mask"] = mask
        beam = f.create_group("entry/instrument/beam")
        beam["incident_wavelength"] = 0.7085
        beam["incident_wavelength"].attrs["units"] = "angstrom"
    return np.concatenate(stacks)


def bliss(out, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out, "scan0001"), exist_ok=True)
    parts = []
    for k, n in enumerate((3, 2)):
        frames = rng.integers(0, 5000, size=(n, ROWS, COLS)).astype(np.int32)
        frames[:, :, 10] = -1
        frames[:, 3, 3] = -2
        with h5py.File(os.path.join(out, "scan0001", "pilatus_%04d.h5" % k), "w") as f:
            f.create_dataset("entry_0000/measurement/data", data=frames,
                             chunks=(1, ROWS, COLS), compression="gzip")
        parts.append(frames)
    total = sum(p.shape[0] for p in parts)
    layout = h5py.VirtualLayout(shape=(total, ROWS, COLS), dtype=np.int32)
    at = 0
    for k, p in enumerate(parts):
        src = h5py.VirtualSource("scan0001/pilatus_%04d.h5" % k, "entry_0000/measurement/data",
                                 shape=p.shape)
        layout[at:at + p.shape[0]] = src
        at += p.shape[0]
    with h5py.File(os.path.join(out, "bliss.h5"), "w") as f:
        f.create_virtual_dataset("1.1/measurement/pilatus", layout, fillvalue=0)
    return np.concatenate(parts)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    bs = bitshuffle.h5.H5FILTER
    d32 = dectris(out, "dectris", (3, 2), np.uint32, 32, bs, (0, bitshuffle.h5.H5_COMPRESS_LZ4), 1)
    d16 = dectris(out, "lz4", (4,), np.uint16, 16, 32004, (0,), 2)
    b = bliss(out, 3)
    rng = np.random.default_rng(4)
    with h5py.File(os.path.join(out, "stack.h5"), "w") as f:
        f["float64"] = rng.normal(0.0, 3.0, size=(4, ROWS, COLS))
        f.create_dataset("int16", data=rng.integers(-300, 300, size=(6, ROWS, COLS)).astype(np.int16),
                         chunks=(2, 10, 17), compression="gzip")
        f["single"] = rng.integers(0, 255, size=(ROWS, COLS)).astype(np.uint8)
        f["rank4"] = np.zeros((1, 2, ROWS, COLS), np.float32)
        f["text"] = np.bytes_("not pixels")
    # h5py's reading of every source, through the files just written.
    with h5py.File(os.path.join(out, "dectris_master.h5"), "r") as f:
        got = np.concatenate([f["entry/data/data_%06d" % k][...] for k in (1, 2)])
        assert (got == d32).all()
        np.save(os.path.join(out, "reference_dectris.npy"), got.astype(np.float32))
        np.save(os.path.join(out, "reference_dectris_mask.npy"),
                (f["entry/instrument/detector/detectorSpecific/pixel_mask"][...] != 0).astype(np.uint8))
    with h5py.File(os.path.join(out, "lz4_master.h5"), "r") as f:
        got = f["entry/data/data_000001"][...]
        assert (got == d16).all()
        np.save(os.path.join(out, "reference_lz4.npy"), got.astype(np.float32))
    with h5py.File(os.path.join(out, "bliss.h5"), "r") as f:
        got = f["1.1/measurement/pilatus"][...]
        assert (got == b).all()
        np.save(os.path.join(out, "reference_bliss.npy"), got.astype(np.float32))
    with h5py.File(os.path.join(out, "stack.h5"), "r") as f:
        np.save(os.path.join(out, "reference_float64.npy"), f["float64"][...].astype(np.float32))
        np.save(os.path.join(out, "reference_int16.npy"), f["int16"][...].astype(np.float32))
        np.save(os.path.join(out, "reference_single.npy"), f["single"][...].astype(np.float32))
    with open(os.path.join(out, "chunks.txt"), "w") as t:
        for k in (1, 2):
            name = "dectris_data_%06d.h5" % k
            with h5py.File(os.path.join(out, name), "r") as f:
                d = f["entry/data/data"]
                for i in range(d.id.get_num_chunks()):
                    c = d.id.get_chunk_info(i)
                    t.write("%s %d %d %d\n" % (name, c.chunk_offset[0], c.byte_offset, c.size))


if __name__ == "__main__":
    main()
