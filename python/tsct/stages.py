"""The pipeline's stages on experiment containers (include/tsct/stage.h), one library call each:
the same call, datasets, provenance and fingerprints as the `tsct` program and `tsct run`.

Every stage takes its params struct's fields as keyword arguments, by their C names
(``method="sirt"``, ``iterations=50``; nested fields with '_' for '.': ``threshold_rule``),
values as the CLI's words for enums; fields not given keep the library's _PARAMS_DEFAULT.
Common keywords: ``nthreads`` (0: all cores) and ``incremental`` (skip what is up to date, as
`tsct run` does). Messages go to logging.getLogger("tsct"). Each returns a Report. Errors raise
tsct.TsctError with the library's message; the container keeps every earlier result.
"""

import ctypes
import os

from ._lib import Call, Params, lib, _proto
from .kernels import _ctx

__all__ = ["Report", "PdfConfig", "sinogram", "recon", "recon_array", "map", "pdf",
           "pdf_region", "pdf_files", "region", "coverage", "particles", "import_",
           "integrate_scan", "integrate_files", "echem", "figure", "pattern", "debye", "simulate",
           "set_replace", "run", "RunReport"]

c_int, c_int64, c_char_p, c_void_p = ctypes.c_int, ctypes.c_int64, ctypes.c_char_p, ctypes.c_void_p

for _name in ("sinogram", "recon", "map", "pdf", "pdf_region", "region", "coverage", "particles",
              "import", "integrate", "echem"):
    _proto("tsct_stage_" + _name, c_int, c_char_p, c_void_p, c_void_p, c_void_p, c_void_p)
_proto("tsct_stage_recon_array", c_int, c_char_p, c_char_p, c_void_p, c_void_p, c_void_p,
       c_void_p, c_void_p)
_proto("tsct_stage_integrate_files", c_int, c_void_p, c_void_p, c_void_p, c_void_p)
_proto("tsct_stage_pdf_files", c_int, ctypes.POINTER(c_char_p), c_int, c_void_p, c_void_p,
       c_void_p, c_void_p)
_proto("tsct_stage_figure", c_int, c_void_p, c_void_p, c_void_p)
_proto("tsct_stage_run_file", c_int, c_char_p, c_void_p, c_void_p, c_void_p, c_void_p)
for _name in ("pattern", "debye"):
    _proto("tsct_stage_" + _name, c_int, c_void_p, c_void_p, c_void_p, c_void_p)
_proto("tsct_stage_map_defs_create", c_void_p)
_proto("tsct_stage_map_defs_destroy", None, c_void_p)
_proto("tsct_stage_map_defs_add", c_char_p, c_void_p, c_char_p)
_proto("tsct_pdf_config_read", c_int, c_void_p, c_char_p, c_char_p, c_void_p)
_proto("tsct_pdf_config_set", c_int, c_void_p, c_char_p, c_char_p, c_char_p, c_int64, c_void_p)
_proto("tsct_pdf_config_check", c_int, c_void_p, c_void_p)
_proto("tsct_publish_set_replace", None, c_int)
_proto("tsct_sim_preset_get", c_int, c_char_p, c_void_p, c_void_p)
_proto("tsct_sim_preset_set", c_int, c_void_p, c_char_p, c_char_p, c_void_p)
_proto("tsct_sim_run_patterns", c_int, c_void_p, c_char_p, c_void_p, c_void_p, c_void_p,
       c_void_p)
_proto("tsct_phase_default_dirs", c_char_p)

_libc = ctypes.CDLL(None)
_libc.fopen.restype, _libc.fopen.argtypes = c_void_p, [c_char_p, c_char_p]
_libc.fclose.restype, _libc.fclose.argtypes = c_int, [c_void_p]


class Report:
    """What a stage did: ran (False: up to date, nothing written), units (of work computed),
    time_first (first time step computed), what (one line: what was written where)."""

    def __init__(self, rep):
        self.ran = bool(rep["ran"])
        self.units = rep["units"]
        self.time_first = rep["time_first"]
        self.what = rep["what"]

    def __repr__(self):
        return "Report(ran=%s, units=%d, what=%r)" % (self.ran, self.units, self.what)


def set_replace(replace):
    """The write rule of include/tsct/publish.h, process-wide: True (the library's default)
    lets an output file replace an existing one, False refuses with TsctError (exists), as
    the `tsct` program does without --force."""
    lib.tsct_publish_set_replace(int(bool(replace)))


def _enc(path):
    return os.fsencode(path)


class _Tables:
    """CSV tables a stage writes to C streams: FILE * opened for the call, closed after."""

    def __init__(self):
        self.files = []

    def open(self, path):
        if path is None:
            return None
        fp = _libc.fopen(_enc(path), b"w")
        if not fp:
            raise OSError("cannot write %s" % path)
        self.files.append(fp)
        return fp

    def close(self):
        for fp in self.files:
            _libc.fclose(fp)
        self.files = []


def _call(fn, ctype, container, values, nthreads, incremental, extra=None):
    p = Params(ctype).update(values)
    for k, v in (extra or {}).items():
        p[k] = v
    ctx, _log = _ctx(nthreads, incremental)
    rep = Params("tsct_stage_report")
    c = Call()
    c.check(fn(_enc(container), p.ref, ctx.ref, rep.ref, c.err))
    return Report(rep)


def sinogram(container, nthreads=0, incremental=False, **params):
    """/entry/integrated -> /entry/sinograms: zigzag, bad channels, zingers, air, normalise,
    centre-of-mass jitter, centring, cropping, binning (tsct_stage_sinogram_params: zigzag,
    air, air_side, air_per_angle, normalise, monitor, com, centre, centre_value, crop,
    bin_translation, bin_channels, bad_channels, zingers, block, deflate)."""
    return _call(lib.tsct_stage_sinogram, "tsct_stage_sinogram_params", container, params,
                 nthreads, incremental)


def recon(container, nthreads=0, incremental=False, **params):
    """/entry/sinograms -> /entry/recon, every channel of every (time, slice)
    (tsct_stage_recon_params: method fbp / sirt / cgls, filter, iterations, nonneg, size,
    circle, centre, centre_value, block, deflate)."""
    return _call(lib.tsct_stage_recon, "tsct_stage_recon_params", container, params, nthreads,
                 incremental)


def recon_array(input, output, nthreads=0, angles=None, angle_range=None, row=None, flat=None,
                dark=None, neglog=False, air=0, **params):
    """A plain sinogram file (FILE.h5::/dataset or an image) -> an image file, /data, as
    ``tsct recon INPUT -o OUTPUT`` (angles: FILE.h5::/dataset; angle_range (A, B); row: the
    row of a projection stack; flat, dark, neglog, air: the absorption corrections). Other
    keywords: tsct_stage_recon_params."""
    a = Params("tsct_stage_recon_array_params")
    a.update({"angles": angles, "flat": flat, "dark": dark})
    if angle_range is not None:
        a["angle_range"] = angle_range
    if row is not None:
        a["row"] = row
    a["neglog"], a["air"] = int(bool(neglog)), air
    p = Params("tsct_stage_recon_params").update(params)
    ctx, _log = _ctx(nthreads)
    rep = Params("tsct_stage_report")
    c = Call()
    c.check(lib.tsct_stage_recon_array(_enc(input), _enc(output), p.ref, a.ref, ctx.ref,
                                       rep.ref, c.err))
    return Report(rep)


def map(container, definitions, nthreads=0, incremental=False, **params):
    """/entry/recon (and /entry/pdf) -> /entry/maps/NAME, one per definition line
    "NAME = KIND ARGS" (docs/maps.md: window LO HI [nobg], value X [DX], gr R [DR], total,
    ratio A B, normalise A, unmix SOURCE). definitions: a list of lines or one text.
    Other keywords: unmix_background, wavelength, data_dirs."""
    lines = definitions.splitlines() if isinstance(definitions, str) else list(definitions)
    defs = lib.tsct_stage_map_defs_create()
    if not defs:
        raise MemoryError("map definitions")
    try:
        for line in lines:
            if not line.strip():
                continue
            why = lib.tsct_stage_map_defs_add(defs, line.encode())
            if why:
                raise ValueError("map definition '%s': %s" % (line, why.decode()))
        return _call(lib.tsct_stage_map, "tsct_stage_map_params", container, params, nthreads,
                     incremental, {"definitions": defs})
    finally:
        lib.tsct_stage_map_defs_destroy(defs)


class PdfConfig(Params):
    """A PDFgetX3 configuration (tsct_pdf_config, include/tsct/pdf.h): read from a .cfg file
    (its [DEFAULT] section, then `section`) and/or set key by key as the file would
    (``PdfConfig(composition="Si", qmax=19.5, rpoly=0.9)``; keys: dataformat, composition,
    wavelength, qmin, qmax, qmaxinst, rmin, rmax, rstep, rpoly, lorch, backgroundfile,
    bgscale, outputtypes, ...)."""

    def __init__(self, path=None, section=None, **keys):
        super().__init__("tsct_pdf_config")
        c = Call()
        if path is not None:
            c.check(lib.tsct_pdf_config_read(self.ref, _enc(path),
                                             section.encode() if section else None, c.err))
        for k, v in keys.items():
            if isinstance(v, bool):
                v = "yes" if v else "no"
            elif isinstance(v, (list, tuple)):
                v = ", ".join(str(x) for x in v)
            c.check(lib.tsct_pdf_config_set(self.ref, k.encode(), str(v).encode(), None, -1,
                                            c.err))
        c.check(lib.tsct_pdf_config_check(self.ref, c.err))


def _pdf_params(config, params):
    cfg = config if isinstance(config, PdfConfig) else PdfConfig(config)
    return cfg, dict(params, config=cfg.ref)


def pdf(container, config, nthreads=0, incremental=False, **params):
    """Per voxel: /entry/recon -> /entry/pdf/G and r (and dpdf with reference=T), for voxels
    above threshold x the largest total. config: a PdfConfig or a .cfg file."""
    cfg, values = _pdf_params(config, params)
    return _call(lib.tsct_stage_pdf, "tsct_stage_pdf_params", container, values, nthreads,
                 incremental)


def pdf_region(container, region, config, nthreads=0, incremental=False, **params):
    """A region's mean patterns /entry/regions/NAME/pattern -> its pdf and dpdf (against time
    step `reference`, default 0), with output_dir one .gr file per time step."""
    cfg, values = _pdf_params(config, dict(params, region=region))
    return _call(lib.tsct_stage_pdf_region, "tsct_stage_pdf_params", container, values,
                 nthreads, incremental)


def pdf_files(inputs, config, output=None, nthreads=0):
    """Text patterns (.xy, .chi, ... in the configuration's dataformat) -> the configuration's
    output types (.gr, .sq, ...) as ``tsct pdf -c CFG FILES`` writes them. output: None (the
    current folder), a folder ending in '/', a file name or a PDFgetX3 template."""
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    cfg, values = _pdf_params(config, {"output": output})
    p = Params("tsct_stage_pdf_params").update(values)
    arr = (c_char_p * len(inputs))(*[_enc(x) for x in inputs])
    ctx, _log = _ctx(nthreads)
    rep = Params("tsct_stage_report")
    c = Call()
    c.check(lib.tsct_stage_pdf_files(arr, len(inputs), p.ref, ctx.ref, rep.ref, c.err))
    return Report(rep)


def region(container, name, nthreads=0, incremental=False, **params):
    """The mean pattern of a region of voxels -> /entry/regions/NAME (kind circle: dx, dy,
    radius; map: map, map_time, threshold_*; file: file; xy_dir for text files)."""
    return _call(lib.tsct_stage_region, "tsct_stage_region_params", container,
                 dict(params, name=name), nthreads, incremental)


def coverage(container, map, table=None, nthreads=0, incremental=False, **params):
    """A phase map's voxel count over time; the CSV table to the file `table` (None: none)."""
    t = _Tables()
    try:
        return _call(lib.tsct_stage_coverage, "tsct_stage_coverage_params", container,
                     dict(params, map=map), nthreads, incremental, {"table": t.open(table)})
    finally:
        t.close()


def particles(container, map, table=None, by_depth=None, nthreads=0, incremental=False,
              **params):
    """Particles of a phase map: labels, depth, and the CSV tables `table` and `by_depth`."""
    t = _Tables()
    try:
        return _call(lib.tsct_stage_particles, "tsct_stage_particles_params", container,
                     dict(params, map=map), nthreads, incremental,
                     {"table": t.open(table), "by_depth": t.open(by_depth)})
    finally:
        t.close()


def import_(container, source, target="recon", nthreads=0, **params):
    """An array FILE.h5::/dataset -> /entry/TARGET (integrated, sinograms, recon, pdf),
    row by row, resumable (axis, axis_units, time, deflate)."""
    return _call(lib.tsct_stage_import, "tsct_stage_import_params", container,
                 dict(params, source=source, target=target), nthreads, False)


def integrate_scan(container, frames, poni, nthreads=0, incremental=False, **params):
    """Detector frames in acquisition order -> /entry/integrated (angles, translations,
    slices, zigzag, filter, mask, dark, flat, integrate_npt, ...). frames: a list of frame
    specifications (files, folders, FILE.h5::/path[a:b], Dectris masters)."""
    frames = [frames] if isinstance(frames, (str, os.PathLike)) else list(frames)
    arr = (c_char_p * len(frames))(*[_enc(x) for x in frames])
    return _call(lib.tsct_stage_integrate, "tsct_stage_integrate_scan_params", container,
                 dict(params, poni=poni), nthreads, incremental,
                 {"frames": arr, "nframes": len(frames)})


def integrate_files(images, output, poni, nthreads=0, **params):
    """Images -> .xy text patterns, as ``tsct integrate IMAGES -p PONI -o OUTPUT``."""
    images = [images] if isinstance(images, (str, os.PathLike)) else list(images)
    arr = (c_char_p * len(images))(*[_enc(x) for x in images])
    p = Params("tsct_stage_integrate_files_params").update(dict(params, poni=poni,
                                                                output=output))
    p["images"], p["nimages"] = arr, len(images)
    ctx, _log = _ctx(nthreads)
    rep = Params("tsct_stage_report")
    c = Call()
    c.check(lib.tsct_stage_integrate_files(p.ref, ctx.ref, rep.ref, c.err))
    return Report(rep)


def echem(container, file, nthreads=0, **params):
    """A potentiostat export -> /entry/echem (mass_mg, period, start, duration, windows,
    columns_time, columns_voltage, columns_current, columns_time_scale)."""
    return _call(lib.tsct_stage_echem, "tsct_stage_echem_params", container,
                 dict(params, file=file), nthreads, False)


def _file_stage(fn, ctype, values, nthreads):
    """A stage called with its params alone, no container (refine, pattern, debye)."""
    p = Params(ctype).update(values)
    ctx, _log = _ctx(nthreads)
    rep = Params("tsct_stage_report")
    c = Call()
    c.check(fn(p.ref, ctx.ref, rep.ref, c.err))
    return Report(rep)


def refine(config, output=None, instrument=False, png=True, nthreads=0):
    """Full-profile (Rietveld, fixed structures) refinement of one pattern as ``tsct refine -c
    CONFIG [-o PREFIX] [--instrument]`` (docs/refine.md): writes PREFIX.txt (the report:
    parameters with ESDs, Rwp, Rexp, GoF, weight fractions), PREFIX.cfg (the refined values,
    to start from) and PREFIX.png; with instrument, the instrument profile from a calibrant.
    PREFIX defaults to the configuration's name plus "-refined" (or "-instrument")."""
    return _file_stage(lib.tsct_stage_refine_pattern, "tsct_stage_refine_params",
                       {"config": config, "output": output, "instrument": int(bool(instrument)),
                        "png": int(bool(png))}, nthreads)


class RunReport:
    """What run did: nran, nskipped (steps computed and up to date), seconds, available (frame
    time steps found; -1 without [frames], 0 when none has arrived: waiting_for names the
    first file expected), container, and after a failure failed (the step), failed_command
    and line (its command line)."""

    def __init__(self, rep):
        for k in ("nran", "nskipped", "seconds", "available", "waiting_for", "container",
                  "failed", "failed_command", "line"):
            setattr(self, k, rep[k])

    def __repr__(self):
        return "RunReport(nran=%d, nskipped=%d, container=%r)" % (self.nran, self.nskipped,
                                                                   self.container)


def run(pipeline, force=False, nthreads=0):
    """Every step of a pipeline file once, as ``tsct run PIPELINE.cfg [--force]``
    (docs/pipeline.md): incremental unless force, the same datasets, records and fingerprints.
    A failing step raises TsctError whose ``step`` and ``line`` name the step and its command
    line; earlier steps' results stay. Returns a RunReport."""
    p = Params("tsct_stage_run_params", {"force": int(bool(force))})
    ctx, _log = _ctx(nthreads, True)
    rep = Params("tsct_stage_run_report")
    c = Call()
    try:
        c.check(lib.tsct_stage_run_file(_enc(pipeline), p.ref, ctx.ref, rep.ref, c.err))
    except Exception as e:
        e.step, e.line = rep["failed"], rep["line"]
        raise
    return RunReport(rep)


def figure(kind, input, output, nthreads=0, **params):
    """A PNG figure (docs/figures.md) as ``tsct figure KIND INPUT -o OUTPUT``: kind map, grid,
    composite, film, patterns, fit, plot or all; fields of tsct_stage_figure_params (map,
    region, source, t, z, range with have_range, ...; p_title, p_width, p_cmap, ...);
    inputs, phase, ticks, steps as lists (their counts are set from them)."""
    p = Params("tsct_stage_figure_params", {"kind": kind, "input": input, "output": output})
    if "inputs" not in params:
        p["inputs"], p["ninputs"] = [input], 1
    for name, count in (("inputs", "ninputs"), ("phase", "nphase"), ("ticks", "nticks"),
                        ("steps", "nsteps")):
        if name in params:
            vals = list(params.pop(name))
            p[name], p[count] = vals, len(vals)
    if "range" in params and "have_range" not in params:
        params["have_range"] = 1
    p.update(params)
    ctx, _log = _ctx(nthreads)
    c = Call()
    c.check(lib.tsct_stage_figure(p.ref, ctx.ref, c.err))


def pattern(cif, output=None, nthreads=0, **params):
    """A crystal's powder pattern (.xy), or with peaks=1 its reflection table, as ``tsct pattern
    CIF -o OUTPUT`` (output None with peaks: standard output): fields of
    tsct_stage_pattern_params (wavelength or energy, qmax, qmin, step, axis "q" | "2theta",
    size_nm, u, v, w, eta, scale, polarization "none" | "unpolarized", neutral_atoms,
    apply_adp, peaks)."""
    return _file_stage(lib.tsct_stage_pattern, "tsct_stage_pattern_params",
                       dict(params, cif=cif, output=output), nthreads)


def debye(cif, output, nthreads=0, **params):
    """The Debye scattering I(Q) of a cluster cut from a crystal, as ``tsct debye CIF -o
    OUTPUT``: fields of tsct_stage_debye_params (radius, shape "sphere" | "cube", centre as
    three fractional coordinates, qmin, qmax, step, bin_width, neutral_atoms)."""
    return _file_stage(lib.tsct_stage_debye, "tsct_stage_debye_params",
                       dict(params, cif=cif, output=output), nthreads)


def simulate(container, preset="demo", seed=0, echem_csv=None, nthreads=0, **overrides):
    """Simulate an experiment at the pattern level into container (``tsct simulate --preset
    PRESET --set KEY=VALUE``): presets demo, bivo4, si, cylindrical, nmc; overrides as
    keywords (n=48, nt=8; dotted keys with '_' for '.' are not translated: pass
    ``**{"detector.counts": 1e4}``). The electrochemistry goes to echem_csv (None: none)."""
    pr = Params("tsct_sim_preset")
    c = Call()
    c.check(lib.tsct_sim_preset_get(preset.encode(), pr.ref, c.err))
    for k, v in overrides.items():
        c.check(lib.tsct_sim_preset_set(pr.ref, k.encode(), str(v).encode(), c.err))
    rp = Params("tsct_sim_run_params", {"seed": seed, "nthreads": nthreads,
                                        "echem_csv": echem_csv,
                                        "data_dirs": lib.tsct_phase_default_dirs().decode()})
    ctx, log = _ctx(nthreads)
    c.check(lib.tsct_sim_run_patterns(pr.ref, _enc(container), rp.ref, log.ref, None, c.err))
