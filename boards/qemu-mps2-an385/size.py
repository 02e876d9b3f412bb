#!/usr/bin/env python3
"""size.py MAP [--check] - firmware footprint from the linker map, by component,
and the board's goals (--check: exit 1 when over one).

Reads the input sections the linker kept (after --gc-sections) and sums
them per output section (text, rodata, data, bss, stack) and per component,
recognised by the archive or object each section came from (the store's
state, which the board allocates, counts as store; the TLS arena, Mbed
TLS's only heap, as Mbed TLS). Flash is text + rodata
+ data (its load image); RAM is data + bss + stack.
"""
import re
import sys

COMPONENTS = [
    ("server", re.compile(r"libserver\.a\(")),
    ("store", re.compile(r"libstore\.a\(")),
    ("lwIP", re.compile(r"liblwip\.a\(")),
    ("Mbed TLS", re.compile(r"libmbed\w*\.a\(")),
    ("board", re.compile(r"/obj/boards/")),
    ("libc/libgcc", re.compile(r"lib(c|g|gcc|c_nano|g_nano|nosys)\.a\(|crt")),
]
# State defined in one place on behalf of another component: the store the
# board allocates, and the Mbed TLS heap (its static arena, in tls.c).
OWNER = {".bss.store": "store", ".bss.tls_arena": "Mbed TLS"}
OUTPUT = {".text": "text", ".rodata": "rodata", ".ARM.exidx": "rodata",
          ".data": "data", ".bss": "bss", ".stack": "stack"}
KINDS = ["text", "rodata", "data", "bss", "stack"]
ENTRY = re.compile(r"^\s+(\S+)?\s*0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def component(path):
    for name, rx in COMPONENTS:
        if rx.search(path):
            return name
    return "other"


def parse(lines):
    sums = {}
    out = None
    pending = None   # an input section name wrapped onto its own line
    started = False
    for line in lines:
        if not started:
            started = line.startswith("Linker script and memory map")
            continue
        if line and not line[0].isspace():
            name = line.split()[0]
            out = OUTPUT.get(name)
            pending = None
            continue
        if out is None:
            continue
        stripped = line.strip()
        if re.match(r"^\.\S+$", stripped) or stripped == "COMMON":
            pending = stripped
            continue
        m = ENTRY.match(line)
        if m and (m.group(1) or pending) and not stripped.startswith("*"):
            size = int(m.group(3), 16)
            where = m.group(4).strip()
            if size and not where.startswith("0x"):
                name = m.group(1) or pending
                key = (OWNER.get(name) or component(where), out)
                sums[key] = sums.get(key, 0) + size
        pending = None
    return sums


def section_sizes(lines):
    """Output section sizes from the map's own headers (alignment included)."""
    sizes = {k: 0 for k in KINDS}
    for line in lines:
        m = re.match(r"^(\.[\w.]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)", line)
        if m and m.group(1) in OUTPUT:
            sizes[OUTPUT[m.group(1)]] += int(m.group(2), 16)
    return sizes


GOAL_FLASH = 256 * 1024
GOAL_RAM = 160 * 1024


def main():
    with open(sys.argv[1]) as f:
        lines = f.read().splitlines()
    sums = parse(lines)
    total = section_sizes(lines)
    # The stack is a reserved block, not an input section; alignment gaps
    # between input sections are shown as padding.
    sums[("stack", "stack")] = total["stack"]
    for k in KINDS:
        gap = total[k] - sum(v for (c, kk), v in sums.items() if kk == k)
        if gap > 0:
            sums[("padding", k)] = gap
    names = [n for n, _ in COMPONENTS] + ["other", "padding", "stack"]
    print("%-12s %8s %8s %8s %8s %8s %9s %9s" %
          ("component", "text", "rodata", "data", "bss", "stack", "flash", "RAM"))
    for n in names + ["total"]:
        row = total if n == "total" else {k: sums.get((n, k), 0) for k in KINDS}
        if n != "total" and not any(row.values()):
            continue
        flash = row["text"] + row["rodata"] + row["data"]
        ram = row["data"] + row["bss"] + row["stack"]
        print("%-12s %8d %8d %8d %8d %8d %9d %9d" %
              (n, row["text"], row["rodata"], row["data"], row["bss"], row["stack"],
               flash, ram))
    flash = total["text"] + total["rodata"] + total["data"]
    ram = total["data"] + total["bss"] + total["stack"]
    print("flash: %d bytes (%.1f KiB), RAM: %d bytes (%.1f KiB)"
          % (flash, flash / 1024, ram, ram / 1024))
    # The board's goals (issue 7: 8 sessions, 2 TLS, a 4,096-message index),
    # tighter than the linker script's part (512 KiB / 256 KiB).
    over = []
    for what, used, goal in (("flash", flash, GOAL_FLASH), ("RAM", ram, GOAL_RAM)):
        print("goal %s <= %d KiB: %s (%d bytes %s)" %
              (what, goal // 1024, "met" if used <= goal else "OVER",
               abs(goal - used), "to spare" if used <= goal else "over"))
        if used > goal:
            over.append(what)
    return 1 if over and "--check" in sys.argv[2:] else 0


if __name__ == "__main__":
    sys.exit(main())

