#!/usr/bin/python3
"""Regenerate formfactor_table.c and element_table.c from published numbers.

Run from anywhere with Debian's python3-periodictable installed:
    /usr/bin/python3 lib/physics/make_physics_tables.py

Sources (numbers only; no code is taken over):
  * Waasmaier & Kirfel (1995), Acta Cryst. A51, 416-431: five Gaussians plus a constant for
    211 neutral atoms and ions, as distributed in the DABAX file f0_WaasKirf.dat (ESRF), of
    which Debian's python3-periodictable ships a copy.
  * Standard atomic weights (IUPAC, as tabulated by periodictable's mass table); for elements
    without stable isotopes, the mass number of a long-lived isotope.
The output is checked against peers by tests/test_physics_peer.py.
"""
import os
import re

import periodictable

HERE = os.path.dirname(os.path.abspath(__file__))
WK = os.path.join(os.path.dirname(periodictable.__file__), "xsf", "f0_WaasKirf.dat")


def parse_wk(path):
    entries = []
    sym = None
    with open(path) as fh:
        for line in fh:
            if line.startswith("#S"):
                parts = line.split()
                sym = parts[2]
            elif sym and line.strip() and not line.startswith("#"):
                v = [float(x) for x in line.split()]
                assert len(v) == 11, (sym, v)
                entries.append((sym, v))
                sym = None
    return entries


def charge_of(sym):
    m = re.match(r"^([A-Z][a-z]*?)(\d*)([+-])$", sym)
    if not m:
        return 0
    n = int(m.group(2)) if m.group(2) else 1
    return n if m.group(3) == "+" else -n


def element_of(sym):
    if sym == "Cval":
        return "C"
    if sym == "Siva":
        return "Si"
    return re.match(r"^[A-Z][a-z]?", sym).group(0)


def main():
    entries = parse_wk(WK)
    assert len(entries) == 211, len(entries)
    out = []
    out.append("/* formfactor_table.c - Waasmaier-Kirfel (1995) coefficients, generated.\n"
               " *\n"
               " * D. Waasmaier & A. Kirfel, \"New analytical scattering-factor functions for free\n"
               " * atoms and ions\", Acta Cryst. A51 (1995) 416-431: f0(s) = sum_i a_i exp(-b_i s^2) + c,\n"
               " * s = sin(theta)/lambda in 1/Angstrom, valid for 0 <= s <= 6. Numbers as distributed in\n"
               " * the DABAX file f0_WaasKirf.dat (ESRF). Do not edit: regenerate with\n"
               " * lib/physics/make_physics_tables.py; tests/test_physics_peer.py checks every entry\n"
               " * against an independent evaluation. Cval and Siva are the paper's valence-state\n"
               " * carbon and silicon. */\n")
    out.append('#include "physics_internal.h"\n')
    out.append("const tsct_formfactor tsct__wk1995[TSCT__WK1995_COUNT] = {")
    for sym, v in entries:
        z = periodictable.elements.symbol(element_of(sym)).number
        a = ", ".join(repr(x) for x in v[0:5])
        b = ", ".join(repr(x) for x in v[6:11])
        out.append('    {"%s", %d, %d, {%s}, {%s}, %r},' % (sym, z, charge_of(sym), a, b, v[5]))
    out.append("};\n")
    with open(os.path.join(HERE, "formfactor_table.c"), "w") as fh:
        fh.write("\n".join(out))

    el = []
    el.append("/* element_table.c - element symbols and standard atomic weights (g/mol), generated.\n"
              " *\n"
              " * Conventional IUPAC standard atomic weights as tabulated by the periodictable package;\n"
              " * for elements without stable isotopes (Tc, Pm, Po ... Cf) the mass number of a\n"
              " * long-lived isotope. Do not edit: regenerate with lib/physics/make_physics_tables.py. */\n")
    el.append('#include "physics_internal.h"\n')
    el.append("const tsct__element tsct__elements[TSCT__ELEMENT_COUNT + 1] = {")
    el.append('    {"", 0, 0.0},')
    for z in range(1, 99):
        e = periodictable.elements[z]
        el.append('    {"%s", %d, %r},' % (e.symbol, z, float(e.mass)))
    el.append("};\n")
    with open(os.path.join(HERE, "element_table.c"), "w") as fh:
        fh.write("\n".join(el))


if __name__ == "__main__":
    main()
