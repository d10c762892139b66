#!/usr/bin/env python3
"""A small reference dynamic loader for the wasm-fixtures, on wasmtime-py.

It exists to check the fixtures (and their `expected` files) independently
of wrun, and to show the loading protocol in runnable form.  It is NOT part
of wrun and is not needed to build anything.  Needs `pip install wasmtime`.

    refloader.py [-L DIR]... [--lib FILE]... [--dir HOST::GUEST]...
                 [--env NAME=VALUE]... MAIN.wasm [ARGS...]
    refloader.py --check-expected CASE_DIR...   run each case's `expected`

Protocol implemented (same as the README describes for wrun):
  1. Load MAIN; read dylink.0 (mem_size/align, table_size, NEEDED) of every
     module; resolve NEEDED names in the -L directories (breadth first, each
     library once); --lib libraries come first, in command-line order.
  2. Memory layout.  PIE main (has dylink.0, imports env.memory): the loader
     creates memory, __indirect_function_table and __stack_pointer; main's
     data goes first, then each library's, then the shadow stack.  Non-PIE
     main: the main defines and exports them; each library's data is placed
     in freshly grown pages and its table slots appended to the main's table.
  3. Table: slot 0 stays null; each module gets table_size slots at its
     __table_base; every GOT.func.NAME gets ONE canonical slot per NAME
     (function-pointer equality across modules).
  4. Symbols: functions and data are looked up by name in the exports of
     all modules in load order (main, then libraries).  GOT.mem.NAME =
     defining module's __memory_base + exported offset (non-PIE main:
     absolute address).  An unresolved weak symbol (dylink.0 import info)
     gets GOT value 0 and, for a function import, a stub that traps.
  5. Instantiate libraries deepest-dependency first, then the main (function
     imports not yet instantiated go through late-bound stubs).
  6. Call __wasm_apply_data_relocs of every module, then __wasm_call_ctors
     of every library in dependency order, then main's _start.
"""
import os
import re
import sys

import wasmtime
from wasmtime import (Engine, Func, FuncType, Global, GlobalType, Limits, Linker, Memory, MemoryType,
                      Module, Store, Table, TableType, Trap, ValType, Val, WasiConfig, ExitTrap)

SPECIAL = {"memory", "__indirect_function_table", "__stack_pointer", "__memory_base", "__table_base"}
STACK_SIZE = 1 << 20


class LoadError(Exception):
    pass


def leb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def read_name(data, pos):
    n, pos = leb(data, pos)
    return data[pos:pos + n].decode(), pos + n


def parse_dylink(path):
    """Returns None for a module without dylink.0, else a dict."""
    data = open(path, "rb").read()
    pos = 8
    while pos < len(data):
        sec_id = data[pos]
        size, pos = leb(data, pos + 1)
        end = pos + size
        if sec_id == 0:
            name, p = read_name(data, pos)
            if name == "dylink.0":
                info = {"mem_size": 0, "mem_align": 0, "table_size": 0, "needed": [], "weak": set()}
                while p < end:
                    kind = data[p]
                    sub_size, p = leb(data, p + 1)
                    sub_end = p + sub_size
                    if kind == 1:
                        info["mem_size"], p = leb(data, p)
                        info["mem_align"], p = leb(data, p)
                        info["table_size"], p = leb(data, p)
                    elif kind == 2:
                        count, p = leb(data, p)
                        for _ in range(count):
                            name, p = read_name(data, p)
                            info["needed"].append(name)
                    elif kind == 4:
                        count, p = leb(data, p)
                        for _ in range(count):
                            _mod, p = read_name(data, p)
                            field, p = read_name(data, p)
                            flags, p = leb(data, p)
                            if flags & 1:  # WASM_SYMBOL_BINDING_WEAK
                                info["weak"].add(field)
                    p = sub_end
                return info
        pos = end
    return None


class Loaded:
    def __init__(self, path, module, dylink):
        self.path, self.module, self.dylink = path, module, dylink
        self.name = os.path.basename(path)
        self.instance = None
        self.exports = {}
        self.memory_base = 0
        self.table_base = 0


def run(argv, stdout_path=None, stderr_path=None):
    lib_dirs, libs, dirs, envs = [], [], [], []
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        opt = argv[i]
        if opt in ("-L", "--lib", "--dir", "--env"):
            val = argv[i + 1]
            {"-L": lib_dirs, "--lib": libs, "--dir": dirs, "--env": envs}[opt].append(val)
            i += 2
        else:
            raise LoadError(f"unknown option {opt}")
    main_path, args = argv[i], argv[i + 1:]

    engine = Engine()
    store = Store(engine)
    wasi = WasiConfig()
    wasi.argv = [main_path] + args
    wasi.env = [e.split("=", 1) for e in envs]
    for d in dirs:
        host, guest = d.split("::", 1)
        wasi.preopen_dir(host, guest)
    if stdout_path:
        wasi.stdout_file = stdout_path
    else:
        wasi.inherit_stdout()
    if stderr_path:
        wasi.stderr_file = stderr_path
    else:
        wasi.inherit_stderr()
    store.set_wasi(wasi)

    def load(path):
        try:
            return Loaded(path, Module.from_file(engine, path), parse_dylink(path))
        except wasmtime.WasmtimeError as e:
            raise LoadError(f"{path}: cannot load module: {str(e).splitlines()[0]}")

    main = load(main_path)
    modules = [main]
    by_name = {main.name: main}
    queue = [load(p) for p in libs]
    for m in queue:
        by_name[m.name] = m
    modules += queue
    # breadth-first NEEDED resolution
    pending = list(modules)
    while pending:
        m = pending.pop(0)
        for need in (m.dylink or {}).get("needed", []):
            if need in by_name:
                continue
            for d in lib_dirs:
                cand = os.path.join(d, need)
                if os.path.exists(cand):
                    lib = load(cand)
                    by_name[need] = lib
                    modules.append(lib)
                    pending.append(lib)
                    break
            else:
                raise LoadError(f"{m.name}: needed library {need} not found")
    libs_loaded = modules[1:]

    # dependency order for ctors: a library after everything it NEEDS
    order, seen = [], set()

    def visit(m):
        if m.name in seen:
            return
        seen.add(m.name)
        for need in (m.dylink or {}).get("needed", []):
            visit(by_name[need])
        if m is not main:
            order.append(m)
    for m in libs_loaded:
        visit(m)

    pie = main.dylink is not None
    i32 = ValType.i32()

    # GOT.func names get one canonical slot each
    got_func_names = []
    for m in modules:
        for imp in m.module.imports:
            if imp.module == "GOT.func" and imp.name not in got_func_names:
                got_func_names.append(imp.name)

    def align(x, p2):
        a = 1 << p2
        return (x + a - 1) // a * a

    if pie:
        addr = 1024
        for m in modules:
            addr = align(addr, m.dylink["mem_align"])
            m.memory_base = addr
            addr += m.dylink["mem_size"]
        stack_top = align(addr, 4) + STACK_SIZE
        pages = (stack_top + 0xFFFF) // 0x10000 + 1
        memory = Memory(store, MemoryType(Limits(pages, None)))
        slot = 1
        for m in modules:
            m.table_base = slot
            slot += m.dylink["table_size"]
        got_slot0 = slot
        table = Table(store, TableType(ValType.funcref(), Limits(slot + len(got_func_names), None)), None)
        stack_pointer = Global(store, GlobalType(i32, True), Val.i32(stack_top))
    else:
        memory = table = stack_pointer = None  # taken from the main's exports

    got_globals = {}  # (module kind, name) -> Global
    late = {}  # name -> callable set after instantiation

    def lookup_export(name, skip=None):
        for m in modules:
            if m.instance is None or m is skip:
                continue
            if name in m.exports:
                return m, m.exports[name]
        return None, None

    def defined_anywhere(name):
        return any(name in [e.name for e in m.module.exports] for m in modules)

    def instantiate(m):
        imports = []
        for imp in m.module.imports:
            key = (imp.module, imp.name)
            if imp.module == "wasi_snapshot_preview1":
                imports.append(None)  # filled by the linker below
                continue
            if imp.module in ("GOT.mem", "GOT.func"):
                g = got_globals.get(key)
                if g is None:
                    g = got_globals[key] = Global(store, GlobalType(i32, True), Val.i32(0))
                imports.append(g)
                continue
            if imp.module != "env":
                raise LoadError(f"{m.name}: unsupported import module {imp.module}")
            name = imp.name
            if name == "memory":
                imports.append(memory)
            elif name == "__indirect_function_table":
                imports.append(table)
            elif name == "__stack_pointer":
                imports.append(stack_pointer)
            elif name == "__memory_base":
                imports.append(Global(store, GlobalType(i32, False), Val.i32(m.memory_base)))
            elif name == "__table_base":
                imports.append(Global(store, GlobalType(i32, False), Val.i32(m.table_base)))
            elif isinstance(imp.type, FuncType):
                owner, ext = lookup_export(name, skip=m)
                if ext is not None:
                    if not isinstance(ext, Func):
                        raise LoadError(f"{m.name}: symbol {name} is not a function")
                    et = ext.type(store)
                    if list(map(str, et.params)) != list(map(str, imp.type.params)) or \
                            list(map(str, et.results)) != list(map(str, imp.type.results)):
                        raise LoadError(f"{m.name}: signature mismatch for {name}: imports "
                                        f"{imp.type.params}->{imp.type.results}, {owner.name} exports "
                                        f"{et.params}->{et.results}")
                    imports.append(ext)
                elif defined_anywhere(name):
                    ft = imp.type

                    def stub(*a, _n=name):
                        return late[_n](store, *a)
                    late.setdefault(name, None)
                    imports.append(Func(store, ft, stub))
                elif name in (m.dylink or {}).get("weak", set()):
                    def trap_stub(*a, _n=name):
                        raise Trap(f"call to undefined weak function {_n}")
                    imports.append(Func(store, imp.type, trap_stub))
                else:
                    raise LoadError(f"{m.name}: undefined symbol: {name}")
            else:
                raise LoadError(f"{m.name}: unsupported import env.{name}")
        linker = Linker(engine)
        linker.define_wasi()
        final = []
        for imp, val in zip(m.module.imports, imports):
            if val is None:
                val = linker.get(store, imp.module, imp.name)
            final.append(val)
        try:
            m.instance = wasmtime.Instance(store, m.module, final)
        except wasmtime.WasmtimeError as e:
            raise LoadError(f"{m.name}: instantiation failed: {str(e).splitlines()[0]}")
        m.exports = {e.name: m.instance.exports(store)[e.name] for e in m.module.exports}

    if pie:
        # deepest dependencies first, then the main
        for m in order:
            instantiate(m)
        instantiate(main)
    else:
        instantiate(main)
        memory = main.exports["memory"]
        table = main.exports["__indirect_function_table"]
        stack_pointer = main.exports["__stack_pointer"]
        for m in order:
            size = align(m.dylink["mem_size"], 4)
            old_pages = memory.grow(store, (size + 0xFFFF) // 0x10000 + 1)
            m.memory_base = align(old_pages * 0x10000, m.dylink["mem_align"])
            m.table_base = table.grow(store, m.dylink["table_size"], None) if m.dylink["table_size"] else table.size(store)
            instantiate(m)
        got_slot0 = table.grow(store, len(got_func_names), None) if got_func_names else table.size(store)

    for name in late:
        _, f = lookup_export(name)
        late[name] = f

    # Functions already in the table (placed by some module's element
    # segment) keep that slot: a PIE main binds its own functions locally,
    # so its `&fn` is its elem-segment slot, and GOT.func.fn in the
    # libraries must agree with it (function-pointer equality).
    def func_key(f):
        return (f._func.store_id, getattr(f._func, "__private"))
    in_table = {}
    for idx in range(1, got_slot0):
        f = table.get(store, idx)
        if isinstance(f, Func):
            in_table.setdefault(func_key(f), idx)

    # fill GOT entries
    for (kind, name), g in got_globals.items():
        owner, ext = lookup_export(name)
        if ext is None:
            weak = any(name in (m.dylink or {}).get("weak", set()) for m in modules)
            if not weak:
                raise LoadError(f"undefined symbol: {name}")
            g.set_value(store, Val.i32(0))
            continue
        if kind == "GOT.mem":
            base = owner.memory_base if owner.dylink is not None else 0
            g.set_value(store, Val.i32(base + ext.value(store)))
        else:
            idx = in_table.get(func_key(ext))
            if idx is None:
                idx = got_slot0 + got_func_names.index(name)
                table.set(store, idx, ext)
            g.set_value(store, Val.i32(idx))

    try:
        for m in modules:
            if "__wasm_apply_data_relocs" in m.exports:
                m.exports["__wasm_apply_data_relocs"](store)
        for m in order:
            if "__wasm_call_ctors" in m.exports:
                m.exports["__wasm_call_ctors"](store)
        main.exports["_start"](store)
    except ExitTrap as e:
        return e.code
    except Trap as e:
        msg = str(e).strip().splitlines()
        spec = next((l.split("wasm trap: ", 1)[1] for l in msg if "wasm trap: " in l), msg[-1])
        print(f"wasm trap: {spec}", file=sys.stderr if not stderr_path else open(stderr_path, "a"))
        return 134
    return 0


def check_expected(case_dir):
    text = open(os.path.join(case_dir, "expected")).read()
    head, _, want_stdout = text.partition("\nstdout:\n")
    fields = dict(re.findall(r"^([a-z-]+): ?(.*)$", head, re.M))
    argv = fields["command"].split()[1:]
    cwd = os.getcwd()
    os.chdir(case_dir)
    out, err = "/tmp/refloader.out", "/tmp/refloader.err"
    for p in (out, err):
        open(p, "w").close()
    try:
        status = run(argv, out, err)
    except LoadError as e:
        open(err, "a").write(f"error: {e}\n")
        status = 1
    finally:
        os.chdir(cwd)
    got_out, got_err = open(out).read(), open(err).read()
    problems = []
    want_status = fields["status"]
    if want_status == "nonzero" and status == 0 or want_status != "nonzero" and status != int(want_status):
        problems.append(f"status {status}, want {want_status}")
    if got_out != want_stdout:
        problems.append(f"stdout differs:\n--- got\n{got_out}--- want\n{want_stdout}")
    if "stderr-contains" in fields and fields["stderr-contains"] not in got_err:
        problems.append(f"stderr lacks {fields['stderr-contains']!r}: {got_err!r}")
    name = os.path.relpath(case_dir)
    print(f"{'ok  ' if not problems else 'FAIL'} {name} (status {status})"
          + (f"  stderr: {got_err.strip().splitlines()[-1]}" if got_err.strip() else ""))
    for p in problems:
        print("     " + p)
    return not problems


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check-expected":
        results = [check_expected(d) for d in sys.argv[2:]]
        print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
        sys.exit(0 if all(results) else 1)
    try:
        sys.exit(run(sys.argv[1:]))
    except LoadError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
