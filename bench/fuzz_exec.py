#!/usr/bin/env python3
"""Fuzz `wasibuild exec` with mutated modules; see bench/fuzz_exec.sh.

Standard library only. Builds a corpus of seed modules (the test fixtures'
.wasm files, hand-encoded binary modules that stress the host's limits, and
WAT text), mutates them, runs each case under a fixed set of limits and
classifies how the wasibuild process ended. A host crash (the wasibuild
process killed by a signal of its own) or a hang (still running 20 s after a
2 s --timeout) makes the script exit 1; the cases are kept.

Every case is derived from (seed, case number) alone, so a run is
reproducible whatever the number of workers.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

DEFAULT_SEED = 20261212
LONG_LINE = 4096
MAX_CASE = 16 << 20  # bytes; bigger modules would mostly measure this script
TIME = "/usr/bin/time"

# ---------------------------------------------------------------- encoder ---
# Just enough of the binary format for the seed modules below.

I32, I64, FUNCREF = 0x7F, 0x7E, 0x70


def uleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(text):
    raw = text.encode()
    return uleb(len(raw)) + raw


def limits(minimum, maximum=None, memory64=False):
    flags = (0x01 if maximum is not None else 0x00) | (0x04 if memory64 else 0x00)
    return bytes([flags]) + uleb(minimum) + (uleb(maximum) if maximum is not None else b"")


def i32_const(value):
    return b"\x41" + sleb(value)


def section(section_id, payload):
    return bytes([section_id]) + uleb(len(payload)) + payload


def module(types=(), imports=(), funcs=(), tables=(), memories=(), exports=(), start=None, elems=(), codes=(),
           datas=()):
    """types: [(params, results)]; imports: [(module, field, type index)] (functions only);
    funcs: [type index]; tables: [(min, max)]; memories: [(min, max, memory64)];
    exports: [(name, kind, index)] with kind 0 function, 2 memory; elems: [(offset, [function index])];
    codes: [(locals [(count, type)], body bytes without the final end)]; datas: [(offset, bytes)]."""
    out = bytearray(b"\0asm\x01\0\0\0")
    if types:
        out += section(1, vec([b"\x60" + vec([bytes([p]) for p in params]) + vec([bytes([r]) for r in results])
                               for params, results in types]))
    if imports:
        out += section(2, vec([name(mod) + name(field) + b"\x00" + uleb(index) for mod, field, index in imports]))
    if funcs:
        out += section(3, vec([uleb(index) for index in funcs]))
    if tables:
        out += section(4, vec([bytes([FUNCREF]) + limits(lo, hi) for lo, hi in tables]))
    if memories:
        out += section(5, vec([limits(lo, hi, m64) for lo, hi, m64 in memories]))
    if exports:
        out += section(7, vec([name(export) + bytes([kind]) + uleb(index) for export, kind, index in exports]))
    if start is not None:
        out += section(8, uleb(start))
    if elems:
        out += section(9, vec([b"\x00" + i32_const(offset) + b"\x0b" + vec([uleb(f) for f in fs])
                               for offset, fs in elems]))
    if codes:
        bodies = []
        for local_decls, body in codes:
            code = vec([uleb(count) + bytes([kind]) for count, kind in local_decls]) + body + b"\x0b"
            bodies.append(uleb(len(code)) + code)
        out += section(10, vec(bodies))
    if datas:
        out += section(11, vec([b"\x00" + i32_const(offset) + b"\x0b" + vec([bytes([b]) for b in data])
                                for offset, data in datas]))
    return bytes(out)


WASI = "wasi_snapshot_preview1"
LOOP_FOREVER = b"\x03\x40\x0c\x00\x0b"  # loop br 0 end
VOID = ([], [])


def command(body, locals_=(), memories=((1, None, False),), extra=None):
    """A WASI command: `_start` runs BODY; extra keyword arguments go to module()."""
    kwargs = dict(types=[VOID], funcs=[0], memories=list(memories),
                  exports=[("_start", 0, 0)] + ([("memory", 2, 0)] if memories else []),
                  codes=[(list(locals_), body)])
    kwargs.update(extra or {})
    return module(**kwargs)


def start_module(body, imports=(), types=(VOID,), memories=((1, None, False),), datas=()):
    """A module whose start function runs BODY, then an empty `_start`."""
    first = len(imports)
    return module(types=list(types), imports=list(imports), funcs=[0, 0], memories=list(memories),
                  exports=[("_start", 0, first + 1), ("memory", 2, 0)], start=first,
                  codes=[([], body), ([], b"")], datas=list(datas))


def poll_sleep_data(seconds):
    # One clock subscription (wasi preview1 layout, 48 bytes) at address 0.
    sub = struct.pack("<QB7xIxxxxQQH6x", 1, 0, 1, int(seconds * 1e9), 0, 0)
    return [(0, sub)]


def encoded_seeds():
    proc_exit = (WASI, "proc_exit", 1)
    exit_types = [VOID, ([I32], [])]
    fd_write_types = [VOID, ([I32, I32, I32, I32], [I32])]
    poll_types = [VOID, ([I32, I32, I32, I32], [I32])]
    grow_tables = b"\x03\x40\xd0\x70" + i32_const(1_000_000) + b"\xfc\x0f\x00\x1a\x0c\x00\x0b"
    grow_memory = b"\x03\x40" + i32_const(1) + b"\x40\x00" + i32_const(-1) + b"\x47\x0d\x00\x0b"
    seeds = {
        "hello": module(types=fd_write_types, imports=[(WASI, "fd_write", 1)], funcs=[0], memories=[(1, None, False)],
                        exports=[("_start", 0, 1), ("memory", 2, 0)],
                        codes=[([], i32_const(1) + i32_const(0) + i32_const(1) + i32_const(100) + b"\x10\x00\x1a")],
                        datas=[(0, struct.pack("<II", 8, 6) + b"hello\n")]),
        "exit_7": module(types=exit_types, imports=[proc_exit], funcs=[0], memories=[(1, None, False)],
                         exports=[("_start", 0, 1), ("memory", 2, 0)], codes=[([], i32_const(7) + b"\x10\x00")]),
        "start_loop": start_module(LOOP_FOREVER),
        "start_trap": start_module(b"\x00"),
        "start_proc_exit": start_module(i32_const(3) + b"\x10\x00", imports=[proc_exit], types=exit_types),
        "start_proc_exit_200": start_module(i32_const(200) + b"\x10\x00", imports=[proc_exit], types=exit_types),
        "start_sleep": start_module(i32_const(0) + i32_const(64) + i32_const(1) + i32_const(128) + b"\x10\x00\x1a",
                                    imports=[(WASI, "poll_oneoff", 1)], types=poll_types, datas=poll_sleep_data(100)),
        "start_recursion": start_module(b"\x10\x00"),
        "sleep": module(types=poll_types, imports=[(WASI, "poll_oneoff", 1)], funcs=[0], memories=[(1, None, False)],
                        exports=[("_start", 0, 1), ("memory", 2, 0)],
                        codes=[([], i32_const(0) + i32_const(64) + i32_const(1) + i32_const(128) + b"\x10\x00\x1a")],
                        datas=poll_sleep_data(100)),
        "start_table_grow": module(
            types=[VOID], funcs=[0, 0], tables=[(0, None)], memories=[(1, None, False)],
            exports=[("_start", 0, 1), ("memory", 2, 0)], start=0, codes=[([], grow_tables), ([], b"")]),
        "start_memory_grow": start_module(grow_memory + LOOP_FOREVER),
        "huge_table": command(b"", extra=dict(tables=[(10_000_000, None)])),
        "huge_table_max": command(b"", extra=dict(tables=[(10_000_000, 10_000_000)])),
        "huge_tables_100": command(b"", extra=dict(tables=[(10_000_000, None)] * 100)),
        "table_grow_bomb": command(grow_tables, extra=dict(tables=[(1, None)])),
        "table_grow_once": command(b"\xd0\x70" + i32_const(-1 & 0x7FFFFFFF) + b"\xfc\x0f\x00\x1a",
                                   extra=dict(tables=[(1, None)])),
        "memories_100": command(b"", memories=[(1000, None, False)] * 100),
        "memory_4gib": command(b"", memories=[(65536, None, False)]),
        "memory64_huge": command(b"", memories=[(1 << 40, None, True)]),
        "memory_grow_loop": command(grow_memory + LOOP_FOREVER),
        "recursion": command(b"\x10\x00"),
        "recursion_locals": command(b"\x10\x00", locals_=[(1000, I64)]),
        "locals_50000": command(b"", locals_=[(50_000, I64)]),
        "locals_overflow": command(b"", locals_=[(0xFFFFFFFF, I32), (2, I32)]),
        "functions_20000": module(types=[VOID], funcs=[0] * 20_000, memories=[(1, None, False)],
                                  exports=[("_start", 0, 0), ("memory", 2, 0)], codes=[([], b"")] * 20_000),
        "elem_out_of_bounds": command(b"", extra=dict(tables=[(1, 1)], elems=[(5, [0])])),
        "data_out_of_bounds": command(b"", extra=dict(datas=[(70_000, b"x")])),
        "unknown_import": module(types=[VOID], imports=[("env", "nope", 0)], funcs=[0], memories=[(1, None, False)],
                                 exports=[("_start", 0, 1), ("memory", 2, 0)], codes=[([], b"")]),
        "unknown_wasi_import": module(types=[VOID], imports=[(WASI, "not_a_call", 0)], funcs=[0],
                                      memories=[(1, None, False)], exports=[("_start", 0, 1), ("memory", 2, 0)],
                                      codes=[([], b"")]),
        "wrong_wasi_signature": module(types=[VOID], imports=[(WASI, "fd_write", 0)], funcs=[0],
                                       memories=[(1, None, False)], exports=[("_start", 0, 1), ("memory", 2, 0)],
                                       codes=[([], b"")]),
        "no_start_export": module(types=[VOID], funcs=[0], codes=[([], b"")]),
        "empty_module": module(),
    }
    return seeds


# Text seeds: the same kinds of attack, through the text parser.
WAT_SEEDS = {
    "wat_start_loop": '(module (func $s (loop (br 0))) (start $s) (func (export "_start")) (memory (export "memory") 1))',
    "wat_start_trap": '(module (func $s unreachable) (start $s) (func (export "_start")))',
    "wat_start_exit": '(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))'
                      ' (func $s (call $e (i32.const 9))) (start $s) (func (export "_start")))',
    "wat_huge_table": '(module (table 10000000 funcref) (func (export "_start")))',
    "wat_table_grow": '(module (table 0 funcref) (func (export "_start")'
                      ' (loop (drop (table.grow (ref.null func) (i32.const 1000000))) (br 0))))',
    "wat_memories": "(module " + " ".join("(memory %d)" % (i + 1000) for i in range(64))
                    + ' (func (export "_start")))',
    "wat_memory_grow": '(module (memory 1) (func (export "_start")'
                       ' (loop (br_if 0 (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))))',
    "wat_recursion": '(module (func $f (export "_start") (call $f)))',
    "wat_unknown_import": '(module (import "env" "f" (func)) (func (export "_start")))',
}


def fixture_seeds(globs_roots):
    seeds, seen = {}, set()
    for root in globs_roots:
        if not os.path.isdir(root):
            continue
        for entry in sorted(os.listdir(root)):
            if not entry.endswith(".wasm"):
                continue
            data = open(os.path.join(root, entry), "rb").read()
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen or len(data) > 4 << 20:
                continue
            seen.add(digest)
            seeds["fixture_" + entry[:-5]] = data
    return seeds


def wasm_as_seeds(wat_seeds, work):
    """Binary encodings of the text seeds, when binaryen's wasm-as is installed."""
    tool = shutil.which("wasm-as")
    seeds = {}
    if not tool:
        return seeds, None
    for seed_name, text in wat_seeds.items():
        src, dst = os.path.join(work, seed_name + ".wat"), os.path.join(work, seed_name + ".bin")
        with open(src, "w") as f:
            f.write(text)
        done = subprocess.run([tool, "--all-features", src, "-o", dst], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        if done.returncode == 0 and os.path.exists(dst):
            seeds[seed_name.replace("wat_", "as_", 1)] = open(dst, "rb").read()
    return seeds, tool


# --------------------------------------------------------------- mutation ---

def parse_sections(data):
    """[(start, id, size_field_start, payload_start, payload_end)] for the well-formed prefix."""
    sections, pos = [], 8
    while pos < len(data):
        start, section_id = pos, data[pos]
        pos += 1
        size, shift, size_at = 0, 0, pos
        while pos < len(data) and shift < 35:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            break
        if pos + size > len(data):
            break
        sections.append((start, section_id, size_at, pos, pos + size))
        pos += size
    return sections


INTERESTING = [0, 1, 0x3F, 0x40, 0x7F, 0x80, 0xFF, 0x3FFF, 0x4000, 0xFFFF, 0x10000, 65536, 10_000_000,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def leb_positions(data, begin, end):
    """Start offsets of byte runs in [begin, end) that read as an unsigned LEB128."""
    positions, pos = [], begin
    while pos < end:
        positions.append(pos)
        while pos < end and data[pos] & 0x80:
            pos += 1
        pos += 1
    return positions


def leb_length(data, pos):
    length = 1
    while pos + length - 1 < len(data) and data[pos + length - 1] & 0x80 and length < 10:
        length += 1
    return length


def corrupt_leb(rng, data):
    sections = parse_sections(data)
    if not sections:
        return "leb-none", data
    start, section_id, size_at, payload, end = rng.choice(sections)
    if rng.random() < 0.4:
        pos, what = size_at, "size of section %d" % section_id
    else:
        candidates = leb_positions(data, payload, min(end, payload + 64))
        if not candidates:
            return "leb-none", data
        pos = rng.choice(candidates)
        what = "field at %d in section %d" % (pos, section_id)
    old_len = leb_length(data, pos)
    choice = rng.random()
    if choice < 0.5:
        value = uleb(rng.choice(INTERESTING))
    elif choice < 0.7:
        value = bytes([0x80] * rng.randint(1, 6) + [0x00])  # overlong encoding of 0
    elif choice < 0.85:
        value = bytes([0xFF] * rng.randint(4, 9))  # unterminated
    else:
        old = 0
        for i in range(old_len):
            old |= (data[pos + i] & 0x7F) << (7 * i)
        value = uleb(max(0, old + rng.choice([-2, -1, 1, 2, 1000])))
    return "leb %s" % what, data[:pos] + value + data[pos + old_len:]


def read_uleb(data, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad LEB128")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def rebuild(data, sections):
    """The module with SECTIONS ([(id, payload)]), sizes re-encoded."""
    return data[:8] + b"".join(section(section_id, payload) for section_id, payload in sections)


LIMIT_VALUES = [0, 1, 2, 1000, 4096, 16384, 65535, 65536, 1 << 20, 10_000_000, 0x7FFFFFFF, 0xFFFFFFFF]


def relimit(rng, data):
    """Valid-looking but hostile limits: new minimums and maximums for every table or memory, or many more of them."""
    parsed = [(sid, data[p:e]) for _, sid, _, p, e in parse_sections(data)]
    targets = [i for i, (sid, _) in enumerate(parsed) if sid in (4, 5)]
    if not targets:
        return "relimit-none", data
    i = rng.choice(targets)
    sid, payload = parsed[i]
    try:
        count, pos = read_uleb(payload, 0)
        entries = []
        for _ in range(count):
            prefix = payload[pos:pos + 1] if sid == 4 else b""
            pos += len(prefix)
            flags = payload[pos]
            _, pos = read_uleb(payload, pos + 1)
            if flags & 1:
                _, pos = read_uleb(payload, pos)
            lo = rng.choice(LIMIT_VALUES)
            hi = rng.choice([None, None, lo, lo + 1, 0xFFFFFFFF])
            entries.append(prefix + bytes([(flags & 0x04) | (0 if hi is None else 1)]) + uleb(lo)
                           + (b"" if hi is None else uleb(hi)))
    except (ValueError, IndexError):
        return "relimit-none", data
    if not entries:
        return "relimit-none", data
    copies = rng.choice([1, 1, 1, 10, 100, 10_000])
    # Bound the work here too, not only the result: repeating an already repeated section builds a big list.
    copies = max(1, min(copies, MAX_CASE // max(1, sum(len(e) for e in entries))))
    entries = entries * copies
    parsed[i] = (sid, vec(entries) + payload[pos:])
    return "relimit section %d x%d" % (sid, copies), rebuild(data, parsed)


def set_start(rng, data):
    """Make a function (say the one `_start` calls) the start function, run during instantiation."""
    parsed = [(sid, data[p:e]) for _, sid, _, p, e in parse_sections(data)]
    functions = 0
    try:
        for sid, payload in parsed:
            if sid == 3:
                functions += read_uleb(payload, 0)[0]
            elif sid == 2:
                count, pos = read_uleb(payload, 0)
                for _ in range(count):
                    for _ in range(2):
                        length, pos = read_uleb(payload, pos)
                        pos += length
                    kind = payload[pos]
                    pos += 1
                    if kind == 0:
                        functions += 1
                        _, pos = read_uleb(payload, pos)
                    elif kind == 1:
                        flags = payload[pos + 1]
                        _, pos = read_uleb(payload, pos + 2)
                        if flags & 1:
                            _, pos = read_uleb(payload, pos)
                    elif kind == 2:
                        flags = payload[pos]
                        _, pos = read_uleb(payload, pos + 1)
                        if flags & 1:
                            _, pos = read_uleb(payload, pos)
                    else:
                        pos += 2
    except (ValueError, IndexError):
        pass
    if not functions:
        return "start-none", data
    index = rng.randrange(functions)
    parsed = [(sid, payload) for sid, payload in parsed if sid != 8]
    at = next((k for k, (sid, _) in enumerate(parsed) if sid in (9, 12, 10, 11)), len(parsed))
    parsed.insert(at, (8, uleb(index)))
    return "start function %d" % index, rebuild(data, parsed)


def mutate_once(rng, data, other):
    kind = rng.choice(["flip", "flip", "insert", "delete", "dup_section", "leb", "leb", "leb", "truncate",
                       "splice", "drop_section", "relimit", "relimit", "start", "start"])
    if not data:
        return "insert", bytes(rng.randrange(256) for _ in range(8))
    if kind == "flip":
        out = bytearray(data)
        count = rng.randint(1, 8)
        for _ in range(count):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return "flip x%d" % count, bytes(out)
    if kind == "insert":
        pos = rng.randrange(len(data) + 1)
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        return "insert %d@%d" % (len(blob), pos), data[:pos] + blob + data[pos:]
    if kind == "delete":
        pos = rng.randrange(len(data))
        count = rng.randint(1, 16)
        return "delete %d@%d" % (count, pos), data[:pos] + data[pos + count:]
    if kind == "truncate":
        pos = rng.randrange(len(data))
        return "truncate@%d" % pos, data[:pos]
    if kind == "relimit":
        return relimit(rng, data)
    if kind == "start":
        return set_start(rng, data)
    sections = parse_sections(data)
    if kind in ("dup_section", "drop_section") and sections:
        start, section_id, _, _, end = rng.choice(sections)
        if kind == "drop_section":
            return "drop section %d" % section_id, data[:start] + data[end:]
        copies = rng.choice([1, 1, 1, 2, 50])
        copies = max(1, min(copies, MAX_CASE // max(1, end - start)))
        return "dup section %d x%d" % (section_id, copies), data[:end] + data[start:end] * copies + data[end:]
    if kind == "splice" and other:
        other_sections = parse_sections(other)
        if sections and other_sections:
            cut = rng.choice(sections)[0]
            graft = rng.choice(other_sections)
            tail_from = rng.choice([s[0] for s in sections if s[0] >= cut] + [len(data)])
            return ("splice section %d" % graft[1],
                    data[:cut] + other[graft[0]:graft[4]] + data[tail_from:])
        a, b = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
        return "splice bytes %d+%d" % (a, b), data[:a] + other[b:]
    return corrupt_leb(rng, data)


def text_mutate_once(rng, text, other):
    kind = rng.choice(["flip", "insert", "delete", "truncate", "number", "splice"])
    if kind == "number" and re.search(rb"\d+", text):
        matches = list(re.finditer(rb"\d+", text))
        m = rng.choice(matches)
        value = str(rng.choice(INTERESTING + [10 ** rng.randint(7, 30)])).encode()
        return "number", text[:m.start()] + value + text[m.end():]
    if kind == "splice" and other:
        a, b = rng.randrange(len(text) + 1), rng.randrange(len(other) + 1)
        return "splice", text[:a] + other[b:]
    if kind == "insert":
        pos = rng.randrange(len(text) + 1)
        blob = rng.choice([b"(", b")", b"\"", b"(memory 65536)", b"(table 10000000 funcref)", b"\xff", b";;",
                           b"(;", b"(start 0)", b"(loop (br 0))", b"\x00"])
        return "insert", text[:pos] + blob * rng.randint(1, 3) + text[pos:]
    if kind == "delete":
        pos = rng.randrange(len(text))
        return "delete", text[:pos] + text[pos + rng.randint(1, 8):]
    if kind == "truncate":
        return "truncate", text[:rng.randrange(len(text))]
    out = bytearray(text)
    out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return "flip", bytes(out)


def make_case(seed, index, corpus):
    """(seed name, mutation description, bytes) for case INDEX: a pure function of (seed, index)."""
    rng = random.Random("%d:%d" % (seed, index))
    names = sorted(corpus)
    seed_name = rng.choice(names)
    kind, data = corpus[seed_name]
    if rng.random() < 0.10:
        return seed_name, "unmutated", data
    same_kind = [n for n in names if corpus[n][0] == kind]
    other = corpus[rng.choice(same_kind)][1]
    steps = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        step, mutated = (text_mutate_once if kind == "text" else mutate_once)(rng, data, other)
        if len(mutated) > MAX_CASE:
            step += " (undone: over %d MiB)" % (MAX_CASE >> 20)
        else:
            data = mutated
        steps.append(step)
    if not data:
        data = b"\0"
    return seed_name, "; ".join(steps), data


# ------------------------------------------------------------------ runner ---

def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal %d" % number


def classify(signum, code, killed, stderr):
    """(class, detail) for one finished case: wasibuild was killed by SIGNUM, or exited with CODE."""
    if killed:
        return "HANG", "killed after the external limit"
    if signum is not None:
        return "HOST CRASH", signal_name(signum)
    if b"panicked at" in stderr or b"AddressSanitizer" in stderr or b"runtime error:" in stderr:
        return "UNEXPECTED", "exit %d with a panic or sanitizer report" % code
    if code == 124:
        return "timeout (124)", ""
    if code == 125:
        return "runner error (125)", ""
    if code == 134:
        return "trap (134)", ""
    if code <= 123:
        return "exited (guest)", "exit %d" % code
    return "UNEXPECTED", "exit %d" % code


CLASSES = ["exited (guest)", "timeout (124)", "runner error (125)", "trap (134)", "HOST CRASH", "HANG",
           "UNEXPECTED"]


class Runner:
    def __init__(self, args, corpus, work):
        self.args, self.corpus, self.work = args, corpus, work
        self.lock = threading.Lock()
        self.results = []
        self.done = 0
        self.env = dict(os.environ, WASIBUILD_HOME=os.path.join(work, "home"), NO_COLOR="1")
        os.makedirs(self.env["WASIBUILD_HOME"], exist_ok=True)

    def command(self, case_path):
        return [self.args.wasibuild, "exec", "--timeout", self.args.timeout, "--max-memory", self.args.max_memory,
                "--fuel", str(self.args.fuel), "--no-cache", case_path]

    def run_case(self, index):
        seed_name, mutation, data = make_case(self.args.seed, index, self.corpus)
        case_dir = tempfile.mkdtemp(prefix="case%05d-" % index, dir=self.work)
        case_path = os.path.join(case_dir, "CASE.wasm")
        with open(case_path, "wb") as f:
            f.write(data)
        stderr_path = os.path.join(case_dir, "stderr")
        rss_path = os.path.join(case_dir, "rss")
        cmd = self.command(case_path)
        # /usr/bin/time measures the peak RSS of wasibuild alone: wait4's figure for a child of this
        # process would include this process's own peak (the child starts as a vfork of it).
        wrapper = [TIME, "-f", "%M", "-o", rss_path] if self.args.use_time else []
        killed = threading.Event()
        reaped = threading.Lock()
        started = time.monotonic()
        with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as stdout, open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(wrapper + cmd, stdin=stdin, stdout=stdout, stderr=stderr, cwd=case_dir, env=self.env,
                                    start_new_session=True)

        def kill():
            with reaped:
                if proc.returncode is None:
                    killed.set()
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

        timer = threading.Timer(self.args.kill_after, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        with reaped:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        timer.cancel()
        elapsed = time.monotonic() - started
        if not killed.is_set():
            try:  # a grandchild left behind in the session would be a leak, not a hang; end it
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        with open(stderr_path, "rb") as f:
            err = f.read(16 << 20)
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        maxrss_kb = usage.ru_maxrss
        if wrapper and killed.is_set():
            maxrss_kb = 0  # /usr/bin/time was killed with it, and wait4's figure would be this script's
        elif wrapper:
            try:
                report_lines = open(rss_path).read().split("\n")
            except OSError:
                report_lines = []
            numbers = [line for line in report_lines if line.strip().isdigit()]
            maxrss_kb = int(numbers[-1]) if numbers else 0
            terminated = [re.search(r"terminated by signal (\d+)", line) for line in report_lines]
            terminated = [m for m in terminated if m]
            if terminated:
                signum, code = int(terminated[0].group(1)), None
        klass, detail = classify(signum, code, killed.is_set(), err)
        lines = err.splitlines()
        first = lines[0] if lines else b""
        long_lines = [line for line in lines if len(line) > LONG_LINE and line.startswith(b"wasibuild:")]
        result = {
            "index": index, "seed": seed_name, "mutation": mutation, "size": len(data), "class": klass,
            "detail": detail, "status": code if signum is None else -signum,
            "seconds": round(elapsed, 3), "maxrss_kb": maxrss_kb, "stderr_first": first[:300].decode("utf-8", "replace"),
            "long_stderr": max((len(line) for line in long_lines), default=0),
        }
        bad = klass in ("HOST CRASH", "HANG", "UNEXPECTED") or long_lines
        if bad:
            self.keep(result, cmd, data, err, case_dir)
        shutil.rmtree(case_dir, ignore_errors=True)
        with self.lock:
            self.results.append(result)
            self.done += 1
            if bad:
                print("[fuzz_exec] case %d (%s, %s): %s %s: %s" % (index, seed_name, mutation, klass, detail,
                                                                   result["stderr_first"][:200]),
                      file=sys.stderr, flush=True)
            if self.done % 100 == 0:
                print("[fuzz_exec] %d/%d cases" % (self.done, self.args.count), file=sys.stderr, flush=True)
        return result

    def keep(self, result, cmd, data, err, case_dir):
        tag = re.sub(r"[^a-z0-9]+", "-", result["class"].lower()).strip("-")
        if result["long_stderr"] and tag not in ("host-crash", "hang"):
            tag += "-long-stderr"
        dest = os.path.join(self.args.out, "case%05d-%s" % (result["index"], tag))
        os.makedirs(dest)
        with open(os.path.join(dest, "CASE.wasm"), "wb") as f:
            f.write(data)
        with open(os.path.join(dest, "stderr"), "wb") as f:
            f.write(err[:1 << 20])
        replay = self.command(os.path.join(dest, "CASE.wasm"))
        replay[0] = self.args.replay_binary or replay[0]
        with open(os.path.join(dest, "command.sh"), "w") as f:
            f.write("#!/bin/sh\n# seed %d, case %d, from %s, mutation: %s\n# outcome: %s %s (status %s)\n"
                    "cd \"$(dirname \"$0\")\" && exec %s </dev/null\n"
                    % (self.args.seed, result["index"], result["seed"], result["mutation"], result["class"],
                       result["detail"], result["status"], " ".join(shlex.quote(c) for c in replay)))
        with open(os.path.join(dest, "result.json"), "w") as f:
            json.dump(result, f, indent=1)


# -------------------------------------------------------------------- main ---

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wasibuild", required=True)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", default="/tmp/wasibuild-fuzz-crashes")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", default="2s")
    parser.add_argument("--max-memory", default="256MiB")
    parser.add_argument("--fuel", type=int, default=100_000_000)
    parser.add_argument("--kill-after", type=float, default=20.0)
    parser.add_argument("--fixtures", action="append", default=[], help="a directory of seed .wasm files")
    parser.add_argument("--results", help="write one JSON line per case here")
    parser.add_argument("--no-time", dest="use_time", action="store_false",
                        help="measure peak RSS with wait4 instead of /usr/bin/time (then it includes this script's)")
    parser.add_argument("--replay-binary", help="the wasibuild named in a kept case's command.sh (default --wasibuild)")
    args = parser.parse_args()
    args.jobs = max(1, min(args.jobs, 2))
    args.use_time = args.use_time and os.access(TIME, os.X_OK)

    work = tempfile.mkdtemp(prefix="wasibuild-fuzz-")
    try:
        corpus = {}
        for seed_name, data in encoded_seeds().items():
            corpus["enc_" + seed_name] = ("binary", data)
        for seed_name, text in WAT_SEEDS.items():
            corpus[seed_name] = ("text", text.encode())
        converted, tool = wasm_as_seeds(WAT_SEEDS, work)
        for seed_name, data in converted.items():
            corpus[seed_name] = ("binary", data)
        fixtures = fixture_seeds(args.fixtures)
        for seed_name, data in fixtures.items():
            corpus[seed_name] = ("binary", data)
        # Each run keeps its cases apart from earlier runs'.
        args.out = os.path.join(args.out, time.strftime("run-%Y%m%d-%H%M%S-") + "seed%d" % args.seed)
        print("[fuzz_exec] seed %d, %d cases, %d workers; corpus: %d seeds (%d hand-encoded, %d text, "
              "%d via %s, %d fixtures)" % (args.seed, args.count, args.jobs, len(corpus), len(encoded_seeds()),
                                           len(WAT_SEEDS), len(converted), tool or "no wasm-as", len(fixtures)),
              file=sys.stderr, flush=True)

        runner = Runner(args, corpus, work)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(runner.run_case, range(args.count)))
        wall = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.results:
        with open(args.results, "w") as f:
            for result in results:
                f.write(json.dumps(result) + "\n")
    report(args, results, wall)
    failed = [r for r in results if r["class"] in ("HOST CRASH", "HANG")]
    return 1 if failed else 0


def report(args, results, wall):
    counts = collections.Counter(r["class"] for r in results)
    print()
    print("| outcome | cases |")
    print("| --- | ---: |")
    for klass in CLASSES:
        print("| %s | %d |" % (klass, counts.get(klass, 0)))
    long_lines = [r for r in results if r["long_stderr"]]
    print("| stderr line > 4 KiB (flag) | %d |" % len(long_lines))
    print("| **total** | **%d** |" % len(results))
    print()
    unmutated = sum(1 for r in results if r["mutation"] == "unmutated")
    print("cases: %d (%d unmutated seeds), seed %d, %d workers, %.1f s wall, %.1f runs/s"
          % (len(results), unmutated, args.seed, args.jobs, wall, len(results) / wall if wall else 0))
    if results:
        biggest = max(results, key=lambda r: r["maxrss_kb"])
        slowest = max(results, key=lambda r: r["seconds"])
        print("peak RSS (%s) of the largest case: %.1f MiB (case %d, %s, %s; %s)"
              % ("/usr/bin/time %M" if args.use_time else "wait4 ru_maxrss, includes this script's peak",
                 biggest["maxrss_kb"] / 1024, biggest["index"], biggest["seed"], biggest["mutation"],
                 biggest["class"]))
        print("longest case: %.2f s (case %d, %s, %s; %s)" % (slowest["seconds"], slowest["index"], slowest["seed"],
                                                             slowest["mutation"], slowest["class"]))
        units = {"": 1, "B": 1, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        limit = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", args.max_memory)
        if limit and limit.group(2).upper() in units:
            budget_kb = int(limit.group(1)) * units[limit.group(2).upper()] // 1024
            heavy = sorted((r for r in results if r["maxrss_kb"] > 2 * budget_kb), key=lambda r: -r["maxrss_kb"])
            print("cases whose peak RSS exceeded twice --max-memory %s: %d%s" % (
                args.max_memory, len(heavy), "" if not heavy else " (largest seeds: %s)" % ", ".join(
                    sorted({r["seed"] for r in heavy[:20]}))))
        over = sum(1 for r in results if r["class"] != "HANG" and r["seconds"] > 5)
        print("cases that took over 5 s (and ended before the external kill): %d" % over)
    for klass in ("runner error (125)", "trap (134)", "timeout (124)"):
        messages = collections.Counter(
            re.sub(r"^wasibuild: error: \S+: ", "", r["stderr_first"])[:90] for r in results if r["class"] == klass)
        if messages:
            print("most frequent first stderr lines, %s:" % klass)
            for message, count in messages.most_common(5):
                print("  %5d  %s" % (count, message))
    bad = [r for r in results if r["class"] in ("HOST CRASH", "HANG", "UNEXPECTED") or r["long_stderr"]]
    if bad:
        print("kept %d cases in %s" % (len(bad), args.out))
    failed = counts.get("HOST CRASH", 0) + counts.get("HANG", 0)
    print("result: %s (%d host crashes, %d hangs)" % ("FAIL" if failed else "PASS", counts.get("HOST CRASH", 0),
                                                      counts.get("HANG", 0)))


if __name__ == "__main__":
    sys.exit(main())
