"""Loading libtsct through ctypes, the library's errors as exceptions, and params structs
filled by field name.

The structs are never copied into Python by hand: the library describes each params struct
itself (include/tsct/bind.h: size, a function filling the _PARAMS_DEFAULT values, every
field's name, type and offset), so a field added in C keeps its default here and the fields
named here cannot drift out of place.

ctypes releases the GIL around every call into a ctypes.CDLL, so the long calls (integration,
reconstruction, the stages) let other Python threads run; the log callback takes the GIL
back for the time of one message.
"""

import ctypes
import ctypes.util
import logging
import os

__all__ = ["TsctError", "lib", "Params", "Call", "library_path"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_SONAMES = ("libtsct.so", "libtsct.so.0")


def _candidates():
    env = os.environ.get("TSCT_LIBRARY")
    if env:
        yield env
        return
    try:  # written by `cmake --install`: where the library lies relative to this folder
        from . import _installed  # noqa: F401  (a generated module)
        for name in _SONAMES:
            yield os.path.normpath(os.path.join(_HERE, _installed.LIBDIR, name))
    except ImportError:
        pass
    # the source tree: python/tsct next to build/ (the README's set-up)
    root = os.path.dirname(os.path.dirname(_HERE))
    for build in ("build", "build-release"):
        for name in _SONAMES:
            yield os.path.join(root, build, name)
    found = ctypes.util.find_library("tsct")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("tsct: libtsct not found; set TSCT_LIBRARY to the path of libtsct.so "
                      "(tried: %s)" % ", ".join(tried or ["nothing"]))


lib, library_path = _load()

c_int, c_int64, c_double, c_size_t = ctypes.c_int, ctypes.c_int64, ctypes.c_double, ctypes.c_size_t
c_char_p, c_void_p = ctypes.c_char_p, ctypes.c_void_p


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


# ---- struct descriptions (tsct/bind.h) ----------------------------------------------------

class _Field(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("offset", c_size_t), ("count", c_int64),
                ("names", ctypes.POINTER(c_char_p))]


class _Struct(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("size", c_size_t), ("init", ctypes.CFUNCTYPE(None, c_void_p)),
                ("nfields", c_int64), ("fields", ctypes.POINTER(_Field))]


_proto("tsct_bind_struct_find", ctypes.POINTER(_Struct), c_char_p)
_proto("tsct_bind_free", None, c_void_p)
_proto("tsct_strerror", c_char_p, c_int)

INT, INT64, DOUBLE, FLOAT, ENUM, STRING, CHARS, POINTER = range(8)
_SCALAR = {INT: c_int, INT64: c_int64, DOUBLE: c_double, FLOAT: ctypes.c_float, ENUM: c_int,
           STRING: c_char_p, POINTER: c_void_p}


class _Layout:
    """One described struct: its size, init function and fields by name."""

    def __init__(self, ctype):
        d = lib.tsct_bind_struct_find(ctype.encode())
        if not d:
            raise TypeError("tsct: the library does not describe %s" % ctype)
        d = d.contents
        self.ctype, self.size, self.init = ctype, d.size, d.init
        self.fields = {}
        for i in range(d.nfields):
            f = d.fields[i]
            names = None
            if f.names:
                names, k = [], 0
                while f.names[k]:
                    names.append(f.names[k].decode())
                    k += 1
            self.fields[f.name.decode()] = (f.type, f.offset, f.count, names)
        # Python keywords cannot hold '.': "threshold.rule" is also "threshold_rule"
        self.alias = {n.replace(".", "_"): n for n in self.fields if "." in n}


_layouts = {}


def _layout(ctype):
    if ctype not in _layouts:
        _layouts[ctype] = _Layout(ctype)
    return _layouts[ctype]


class Params:
    """A C struct of the library in Python memory, with its defaults (_PARAMS_DEFAULT), whose
    fields are read and set by name: ``p["method"] = "sirt"``, ``p["range"] = (1.5, 6)``.

    Enum fields take their names (the CLI's words) or integers; string fields take str (kept
    alive by this object) or None; pointer fields take a ctypes object, an address or None.
    """

    def __init__(self, ctype, values=None):
        self._layout = _layout(ctype)
        self._buf = ctypes.create_string_buffer(self._layout.size)
        self._layout.init(ctypes.cast(self._buf, c_void_p))
        self._keep = {}
        for k, v in (values or {}).items():
            self[k] = v

    @property
    def ctype(self):
        return self._layout.ctype

    @property
    def ref(self):
        """A pointer to the struct, for a ctypes call."""
        return ctypes.cast(self._buf, c_void_p)

    def names(self):
        """The field names the library describes for this struct."""
        return list(self._layout.fields)

    def _field(self, name):
        lay = self._layout
        name = lay.alias.get(name, name)
        if name not in lay.fields:
            raise KeyError("%s has no field '%s' (fields: %s)"
                           % (lay.ctype, name, ", ".join(sorted(lay.fields))))
        return name, lay.fields[name]

    def _cell(self, kind, offset, count):
        t = _SCALAR.get(kind)
        if kind == CHARS:
            return (ctypes.c_char * count).from_buffer(self._buf, offset)
        return (t * count).from_buffer(self._buf, offset) if count > 1 else \
            t.from_buffer(self._buf, offset)

    def __setitem__(self, name, value):
        name, (kind, offset, count, names) = self._field(name)
        if kind == CHARS:
            b = str(value).encode()
            if len(b) >= count:
                raise ValueError("%s.%s: at most %d bytes" % (self.ctype, name, count - 1))
            cell = self._cell(kind, offset, count)
            ctypes.memset(ctypes.addressof(cell), 0, count)
            cell.value = b
            return
        values = list(value) if count > 1 else [value]
        if len(values) > count:
            raise ValueError("%s.%s holds at most %d values" % (self.ctype, name, count))
        conv = []
        if kind in (STRING, POINTER):
            self._keep[name] = []  # what the struct points to lives as long as this object
        for v in values:
            if kind == ENUM and isinstance(v, str):
                low = [n.lower() for n in names]
                if v.lower() not in low:
                    raise ValueError("%s.%s: '%s' is not one of %s"
                                     % (self.ctype, name, v, ", ".join(names)))
                v = low.index(v.lower())
            elif kind == STRING and v is not None:
                b = os.fsencode(v) if isinstance(v, os.PathLike) else str(v).encode()
                self._keep[name].append(b)
                v = b
            elif kind == POINTER and v is not None and not isinstance(v, int):
                self._keep[name].append(v)
                v = ctypes.cast(v, c_void_p).value
            elif kind in (INT, INT64, ENUM):
                v = int(v)
            elif kind in (DOUBLE, FLOAT):
                v = float(v)
            conv.append(v)
        if count > 1:
            arr = self._cell(kind, offset, count)
            for i, v in enumerate(conv):
                arr[i] = v
        else:
            self._cell(kind, offset, 1).value = conv[0]

    def __getitem__(self, name):
        name, (kind, offset, count, names) = self._field(name)
        cell = self._cell(kind, offset, count)
        if kind == CHARS:
            return cell.value.decode(errors="replace")
        if count > 1:
            return [self._decode(kind, names, v) for v in cell]
        return self._decode(kind, names, cell.value)

    @staticmethod
    def _decode(kind, names, v):
        if kind == ENUM and names and 0 <= v < len(names):
            return names[v]
        if kind == STRING and v is not None:
            return v.decode(errors="replace")
        return v

    def update(self, values):
        for k, v in values.items():
            if v is not None or self._layout.fields.get(self._layout.alias.get(k, k),
                                                        (None,))[0] in (STRING, POINTER):
                self[k] = v
        return self

    def as_dict(self):
        return {n: self[n] for n in self._layout.fields}

    def __repr__(self):
        return "Params(%r, %r)" % (self.ctype, self.as_dict())


# ---- errors -------------------------------------------------------------------------------

STATUS = ["ok", "nomem", "io", "not_found", "format", "shape", "value", "unsupported",
          "exists", "state", "internal", "not_converged"]
NOT_CONVERGED = 11


class TsctError(Exception):
    """A failed library call. ``str(e)`` is the library's message (file, item, index and what
    was expected); ``status`` the tsct_status code, ``status_name`` its name ("not_found",
    "shape", "value", ...), ``file``, ``item``, ``index`` and ``detail`` its parts."""

    def __init__(self, status, message, file="", item="", index=-1, detail=""):
        super().__init__(message)
        self.status = status
        self.status_name = STATUS[status] if 0 <= status < len(STATUS) else str(status)
        self.message, self.file, self.item, self.index, self.detail = (message, file, item,
                                                                        index, detail)


class Call:
    """One error context (tsct_error) for a sequence of library calls:
    ``c = Call(); c.check(lib.f(..., c.err))`` raises TsctError on a failed status."""

    def __init__(self):
        self.error = Params("tsct_error")
        self.err = self.error.ref

    def check(self, status, what=None):
        if status == 0 or status == NOT_CONVERGED:
            return status
        e = self.error
        msg = e["message"] or (what or "tsct") + ": " + lib.tsct_strerror(status).decode()
        raise TsctError(status, msg, e["file"], e["item"], e["index"], e["detail"])


# ---- logging: the library's messages go to logging.getLogger("tsct") -------------------------

_LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)
_logger = logging.getLogger("tsct")
_LEVELS = [logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG]


def _log_line(user, level, line):
    _logger.log(_LEVELS[level] if 0 <= level < 4 else logging.INFO,
                line.decode(errors="replace"))


_log_callback = _LOG_FN(_log_line)


def log_sink():
    """A tsct_log that forwards to the "tsct" logger, at the level that logger lets through."""
    lg = Params("tsct_log")
    eff = _logger.getEffectiveLevel()
    lg["level"] = 3 if eff <= logging.DEBUG else 2 if eff <= logging.INFO else \
        1 if eff <= logging.WARNING else 0
    lg["fn"] = ctypes.cast(_log_callback, c_void_p).value
    lg._keep["fn"] = [_log_callback]
    return lg
