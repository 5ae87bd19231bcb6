"""chunk_direct_check.py - the h5py / silx side of tests/test_chunk_direct.c (run by it).

`chunk_direct_check.py DIR`: every NAME_direct.h5 (chunks made by tsct's own threads) and
NAME_filters.h5 (made by HDF5's filter plugins) in DIR reads bit for bit as DIR/expected.f32
with Debian's h5py (which loads the system's filter plugins, as hdf5plugin does for pip's
h5py) and with silx; both files hold the same chunks, byte for byte, with the same filter
masks. `chunk_direct_check.py --locate FILE OUT`: write the byte offset and size of /data's
first chunk in FILE to OUT (the C test corrupts that chunk).
"""
import glob
import os
import sys

import h5py
import numpy as np

if sys.argv[1] == "--locate":
    with h5py.File(sys.argv[2], "r") as f:
        info = f["data"].id.get_chunk_info_by_coord((0, 0, 0))
    with open(sys.argv[3], "w") as out:
        out.write("%d %d\n" % (info.byte_offset, info.size))
    sys.exit(0)

DIR = sys.argv[1]
failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAIL:", what)


want = np.fromfile(os.path.join(DIR, "expected.f32"), dtype=np.float32).reshape(9, 50, 1000)
names = sorted(os.path.basename(p)[:-10] for p in glob.glob(os.path.join(DIR, "*_direct.h5")))
check(names == ["deflate", "deflate9", "lz4", "none", "zstd"], "files: %s" % names)
import silx.io  # noqa: E402

for name in names:
    files = [os.path.join(DIR, "%s_%s.h5" % (name, k)) for k in ("direct", "filters")]
    chunks = []
    for path in files:
        with h5py.File(path, "r") as f:
            for ds in ("data", "mixed"):
                got = f[ds][()]
                check(got.view(np.uint32).tobytes() == want.view(np.uint32).tobytes(),
                      "%s::%s: h5py reads other bits" % (path, ds))
            d = f["data"]
            check(d.chunks == (1, 50, 300), "%s: chunks %s" % (path, d.chunks))
            stored = []
            for i in range(d.id.get_num_chunks()):
                info = d.id.get_chunk_info(i)
                mask, raw = d.id.read_direct_chunk(info.chunk_offset)
                stored.append((info.chunk_offset, mask, raw))
            check(len(stored) == 9 * 4, "%s: %d chunks" % (path, len(stored)))
            chunks.append(sorted(stored))
        with silx.io.open(path) as f:
            got = np.asarray(f["/data"][()])
            check(got.view(np.uint32).tobytes() == want.view(np.uint32).tobytes(),
                  "%s: silx reads other bits" % path)
    same = [a == b for a, b in zip(chunks[0], chunks[1])]
    check(len(chunks[0]) == len(chunks[1]) and all(same),
          "%s: %d of %d stored chunks differ from the plugins' (first: %s)"
          % (name, same.count(False), len(same),
             [a[:2] for a, ok in zip(chunks[0], same) if not ok][:1]))
    masks = sorted(set(m for _, m, _ in chunks[0]))
    print("%s: %d chunks, filter masks %s, %d bytes stored" %
          (name, len(chunks[0]), masks, sum(len(r) for _, _, r in chunks[0])))
    if name in ("zstd",):
        check(1 in masks, "zstd: the incompressible chunks are stored without Blosc (mask 1)")

sys.exit(1 if failures else 0)
