"""Generated seeds for the fuzz harnesses (tests/fuzz/run.sh): small valid inputs of every
kind, written into SEEDS/NAME. The text seeds need only Python; the image seeds need numpy,
fabio and tifffile and are skipped (exit status 1) when one is missing.

    python3 tests/fuzz/seeds.py SEEDS
"""
import os
import struct
import sys

d = sys.argv[1]


def put(kind, name, data):
    os.makedirs(os.path.join(d, kind), exist_ok=True)
    with open(os.path.join(d, kind, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- CIF: a cubic and a hexagonal structure, with loops, text fields and uncertainties --------
put("cif", "nacl.cif", """data_NaCl
_cell_length_a 5.6402(1)
_cell_length_b 5.6402
_cell_length_c 5.6402
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_symmetry_equiv_pos_as_xyz
x,y,z
-x,-y,z
x+1/2,y+1/2,z
x,y+1/2,z+1/2
x+1/2,y,z+1/2
-x,y,-z
z,x,y
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
_atom_site_U_iso_or_equiv
Na1 Na+ 0 0 0 1 0.01
Cl1 Cl- 0.5 0.5 0.5 1.0 0.012(2)
""")
put("cif", "hex.cif", """# hexagonal, B factors and anisotropic U
data_x
_cell_length_a 2.464
_cell_length_b 2.464
_cell_length_c 6.711
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 120
_space_group_name_H-M_alt 'P 63/m m c'
_publ_section_title
;
 a text field
;
loop_
_space_group_symop_operation_xyz
'x, y, z'
'-y, x-y, z'
'-x+y, -x, z'
'-x, -y, z+1/2'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_B_iso_or_equiv
C1 0 0 0.25 0.5
C2 0.3333 0.6667 0.25 ?
loop_
_atom_site_aniso_label
_atom_site_aniso_U_11
_atom_site_aniso_U_22
_atom_site_aniso_U_33
_atom_site_aniso_U_12
_atom_site_aniso_U_13
_atom_site_aniso_U_23
C1 0.01 0.01 0.02 0.005 0 0
""")
put("cif", "bigcell.cif", """data_big
_cell_length_a 1e6
_cell_length_b 5
_cell_length_c 5
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Si1 0 0 0
""")

# ---- text patterns ------------------------------------------------------------------------------
put("pattern", "fit2d.chi", "title\n2-Theta Angle (Degrees)\nIntensity\n       5\n" +
    "".join("  %.6e  %.6e\n" % (1 + 0.1 * i, 100 - i * i) for i in range(5)))
put("pattern", "pdfgetx3.gr", "[DEFAULT]\nversion = 2.1\n#### start data\n#L r G\n" +
    "".join("%.3f %.6f\n" % (0.01 * i, (-1) ** i * 0.1 * i) for i in range(8)))
put("pattern", "csv.dat", "# q, I, sigma\n1.0,2.0,0.1\n1.5,\t3.0,0.1\n2.0 4e1 0.2\n")

# ---- scan tables of pattern stacks (tsct import --layout xy) ---------------------------------
put("table", "scan.csv", "# a stack of patterns\nfile,angle,translation,time\n" +
    "".join("p_%02d.xy,%g,%g,0\n" % (i, 15 * (i // 4), 0.1 * (i % 4)) for i in range(8)))
put("table", "slices.csv", "Translation, Angle ,extra,FILE,slice\n0.5,90,x,a.xy,1\n")

# ---- PDFgetX3 configuration ---------------------------------------------------------------------
put("pdfcfg", "full.cfg", """[DEFAULT]
dataformat = QA
inputfile = a.chi
    b.chi
backgroundfile = kapton.chi
bgscale = 0.98
outputtypes = iq, sq, fq, gr
mode = xray
wavelength = 0.1839
composition = Ce O2
qmaxinst = 23.0
qmin = 0.5
qmax = 22.5
rmin = 0.0
rmax = 30.0
rstep = 0.01
rpoly = 0.9
; a comment
[sample]
composition: Ni
twothetazero = 0.01
dataformat = twotheta
lorch = yes
""")

# ---- electrochemistry ---------------------------------------------------------------------------
# ---- XYZ clusters: a 7-atom Bi cluster, labels, charges, extra columns ------------------------
put("xyz", "bi7.xyz", "7\nBi7 cluster\n" + "".join(
    "Bi %.4f %.4f %.4f\n" % v for v in [(0, 0, 0), (3.1, 0, 0), (-3.1, 0, 0), (0, 3.1, 0),
                                        (0, -3.1, 0), (0, 0, 3.1), (0, 0, -3.1)]))
put("xyz", "labels.xyz", "3\nlabels and ions\nV1 0 0 0 1.0\nO2- 1.7 0 0\nO1 0 1.7 0 extra\n")

put("echem", "generic.csv", "time/s,Ewe/V,<I>/mA\n" +
    "".join("%d,%.3f,%.3f\n" % (60 * i, 3.0 + 0.01 * i, -1.0 if i < 5 else 1.0)
            for i in range(10)))
put("echem", "semicolon.csv", "# comment\ntime/h;voltage;current\n0;3,1;0,5\n1;3,2;0,5\n"
    "2;3,3;-0,5\n")
mpt = ["EC-Lab ASCII FILE", "Nb header lines : 4", "", "mode\ttime/s\tEwe/V\t<I>/mA"]
mpt += ["1\t%d,5\t3,%03d\t-0,25" % (i, 100 + i) for i in range(6)]
put("echem", "biologic.mpt", "\r\n".join(mpt) + "\r\n")

# ---- multichannel-analyser spectra (EDXRD) ---------------------------------------------------
put("mca", "one.txt", "# live_time: 9.5\n# real_time = 10\n# z 0.06\n# time 120\n" +
    "".join("%d\n" % (i % 7) for i in range(64)))
put("mca", "two.txt", "".join("%d %d\n" % (i, 3 * i) for i in range(32)))
put("mca", "amptek.mca", "<<PMCA SPECTRUM>>\nTAG - x\nLIVE_TIME - 8.25\nREAL_TIME - 9\n<<DATA>>\n"
    + "".join("%d\n" % (i * i % 11) for i in range(40)) + "<<END>>\n")

# ---- time stamps (two strings, one per line) ----------------------------------------------------
put("stamps", "two", "2026-12-07T10:00:00.000001Z*12;?*3;2026-12-07T11:00:00Z*5\n"
    "2026-12-07T10:00:00.000001Z*10;2026-12-07T12:00:00Z*9\n")
put("stamps", "same", "t1*4;t2*4\nt1*4;t2*4")

# ---- HDF5: the harnesses build a file from the input bytes; any bytes make a seed --------------
for i, n in enumerate((8, 24, 64, 200)):
    put("h5frames", "s%d" % i, bytes((17 * k + 3 * i + 1) & 0xFF for k in range(n)))
    put("h5container", "s%d" % i, bytes((29 * k + 5 * i + 2) & 0xFF for k in range(n)))
put("h5frames", "stack", struct.pack("<8B", 0, 3, 4, 5, 1, 0, 0, 0))

# ---- detector images (numpy, fabio, tifffile) ---------------------------------------------------
import numpy  # noqa: E402

a = (numpy.arange(56, dtype=numpy.int32).reshape(7, 8) * 997 - 3000)
a[0, 0] = 70000
a[1, 1] = -2**31 + 5
a[2, 2] = 2**31 - 7
for dt in ("<f4", "<u2", ">i2", "|u1", "<f8", "|b1"):
    os.makedirs(os.path.join(d, "npy"), exist_ok=True)
    numpy.save("%s/npy/s%s.npy" % (d, dt[1:]), a.astype(dt))
numpy.save("%s/npy/stack.npy" % d, numpy.stack([a, a]).astype("<i4"))
import fabio.cbfimage  # noqa: E402
import fabio.edfimage  # noqa: E402

fabio.cbfimage.CbfImage(data=a).write("%s/cbf/s.cbf" % d)
fabio.edfimage.EdfImage(data=a.astype(numpy.uint16)).write("%s/edf/s.edf" % d)
e = fabio.edfimage.EdfImage(data=a.astype(numpy.float32))
e.append_frame(data=a.astype(numpy.int32))
e.write("%s/edf/two.edf" % d)
import tifffile  # noqa: E402

tifffile.imwrite("%s/tiff/s.tif" % d, a.astype(numpy.float32))
tifffile.imwrite("%s/tiff/t.tif" % d, numpy.stack([a, a]).astype(">u2"), tile=(16, 16),
                 compression="zlib")
try:   # packbits needs imagecodecs in some tifffile versions
    tifffile.imwrite("%s/tiff/p.tif" % d, a.astype(numpy.int16), compression="packbits",
                     rowsperstrip=2)
except (KeyError, ValueError, ImportError):
    pass
