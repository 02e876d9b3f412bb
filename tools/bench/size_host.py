#!/usr/bin/env python3
"""size_host.py IMAPD LIBDIR [--board-map MAP --board-script SIZE_PY] [--doc DOC]

Static memory of the host build (make size): .data and .bss of IMAPD by
component, found by matching each data/bss symbol of the linked program to
the object that defines it in LIBDIR's libimapd.a / liblwip.a, or in the
Mbed TLS library. With a board map, the board's own size report (its
size.py) is added. Prints the report and, with --doc, writes it into the
size section of docs/benchmarks.md (tools/bench/bench.py keeps the rest).
"""
import argparse
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import update_doc  # noqa: E402  (same folder)

DATA_TYPES = set("dDbBvV")


def nm(path, *opts):
    p = subprocess.run(["nm", "-S", "--defined-only", *opts, path], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"size_host: nm {path}: {p.stderr.strip()}")
    return p.stdout.splitlines()


def component(lib, member):
    """Component of an archive member (object basename)."""
    stem = member[:-2] if member.endswith(".o") else member
    if lib == "main.o":
        return "host main (store RAM index)"
    if lib == "liblwip.a":
        return "lwIP"
    if lib == "libslirp.a":
        return "libslirp"
    if lib.startswith("libmbed"):
        return "Mbed TLS"
    if os.path.exists(f"storage/{stem}.c"):
        return "store"
    if os.path.exists(f"port/posix/{stem}.c"):
        return "host port"
    if stem.startswith("mime"):
        return "MIME"
    if stem == "tls":
        return "TLS glue"
    if os.path.exists(f"firmware/{stem}.c"):
        return "server"
    return "other"


def definers(libs):
    """(name, size) -> (component, object) for data/bss symbols of the libraries."""
    table = {}
    for lib in libs:
        if not os.path.exists(lib):
            continue
        base = os.path.basename(lib)
        for line in nm(lib, "-A"):
            # "lib.a:member.o:0000000000000010 0000000000000020 b name"
            loc, _, rest = line.rpartition(":")
            parts = rest.split()
            if len(parts) != 4 or parts[2] not in DATA_TYPES:
                continue
            member = os.path.basename(loc.split(":")[-1])
            key = (parts[3], int(parts[1], 16))
            table.setdefault(key, (component(base, member), member))
    return table


def section_sizes(binary):
    p = subprocess.run(["size", "-A", binary], capture_output=True, text=True)
    sizes = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def host_report(binary, libdir, mbedtls):
    table = definers([os.path.join(libdir, "libimapd.a"), os.path.join(libdir, "liblwip.a"),
                      os.path.join(libdir, "libslirp.a"), mbedtls,
                      os.path.join(libdir, "obj", "port", "posix", "main.o")])
    comps, syms = {}, []
    for line in nm(binary):
        parts = line.split()
        if len(parts) != 4 or parts[2] not in DATA_TYPES:
            continue
        size, kind, name = int(parts[1], 16), parts[2], parts[3]
        comp, obj = table.get((name, size), ("libc/runtime" if name.startswith("_") or
                                             "@" in name else "other", "-"))
        col = "bss" if kind in "bB" else "data"
        c = comps.setdefault(comp, {"data": 0, "bss": 0})
        c[col] += size
        syms.append((size, name, obj, comp, col))
    sec = section_sizes(binary)
    L = ["Static memory of `build/host/imapd` (-O2, one static executable, so libc's "
         "own data is included), .data and .bss by component "
         "(symbols matched to the objects that define them):", "",
         "| component | .data | .bss | total |", "|---|---:|---:|---:|"]
    tot_d = tot_b = 0
    for comp, c in sorted(comps.items(), key=lambda kv: -(kv[1]["data"] + kv[1]["bss"])):
        L.append(f"| {comp} | {c['data']} | {c['bss']} | {c['data'] + c['bss']} |")
        tot_d += c["data"]
        tot_b += c["bss"]
    L.append(f"| **total (symbols)** | {tot_d} | {tot_b} | {tot_d + tot_b} |")
    L.append("")
    L.append(f"The .bss section is {sec.get('.bss', 0)} bytes (with alignment). "
             "Largest objects:")
    L.append("")
    L.append("| symbol | object | component | section | bytes |")
    L.append("|---|---|---|---|---:|")
    for size, name, obj, comp, col in sorted(syms, reverse=True)[:15]:
        L.append(f"| `{name}` | {obj} | {comp} | .{col} | {size} |")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("imapd")
    ap.add_argument("libdir")
    ap.add_argument("--mbedtls", default=None)
    ap.add_argument("--board", default=None)
    ap.add_argument("--board-map", default=None)
    ap.add_argument("--board-script", default=None)
    ap.add_argument("--doc", default=None)
    a = ap.parse_args()
    mbedtls = a.mbedtls or os.path.join(a.libdir, "mbedtls", "libmbedtls.a")
    parts = ["### Host build", "", host_report(a.imapd, a.libdir, mbedtls)]
    if a.board_map and a.board_script and os.path.exists(a.board_map):
        p = subprocess.run([sys.executable, a.board_script, a.board_map], capture_output=True,
                           text=True)
        if p.returncode == 0:
            parts += ["", f"### Firmware: {a.board or 'board'}", "",
                      f"`make size BOARD={a.board}` (from `{a.board_map}`; bytes):", "",
                      "```", p.stdout.rstrip(), "```"]
    body = "\n".join(parts)
    print(body)
    if a.doc:
        update_doc(a.doc, "size", body)


if __name__ == "__main__":
    main()
