#!/usr/bin/env python3
"""Writes and builds generated programs for the scale benchmarks
(benches/scale.rs): C shared libraries of chosen size and programs that
load many of them, compiled with clang-19 / wasm-ld-19 into OUT
(default target/scale). Everything here is generated, so nothing built is
committed; `cargo bench --bench scale` runs this script when OUT is missing.

    python3 benches/scale/gen.py [OUT]

Programs (each a PIE main plus libraries found through NEEDED):
  libs-N     N libraries (N = 1, 10, 100, 1000) of 8 functions and 1 KiB of
             data each; library i calls library i-1 and exports 8 symbols,
             the main calls every library: N*8 symbols bound
  code-K     one library with about K KiB of machine code (K = 16, 128,
             1024, 4096): functions of straight-line arithmetic
"""

import os
import subprocess
import sys
from pathlib import Path

CC = os.environ.get("CC", "clang-19")
LD = os.environ.get("WASM_LD", "wasm-ld-19")
FLAGS = ["--target=wasm32", "-mcpu=mvp", "-mmutable-globals", "-msign-ext", "-O2",
         "-fPIC", "-fvisibility=default", "-nostdlib"]
LIB_COUNTS = [1, 10, 100, 1000]
CODE_KIB = [16, 128, 1024, 4096]


def run(cmd):
    subprocess.run(cmd, check=True)


def build_lib(out, name, source, needed):
    c = out / f"{name}.c"
    o = out / f"{name}.o"
    c.write_text(source)
    run([CC, *FLAGS, "-c", str(c), "-o", str(o)])
    run([LD, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         "-o", str(out / f"{name}.wasm"), str(o), *[str(out / f"{n}.wasm") for n in needed]])
    c.unlink()
    o.unlink()


def build_main(out, source, needed):
    c = out / "main.c"
    o = out / "main.o"
    c.write_text(source)
    run([CC, *FLAGS, "-c", str(c), "-o", str(o)])
    run([LD, "--experimental-pic", "-pie", "--import-memory", "--export-memory",
         "--export-dynamic", "--no-entry", "--export=run", "--unresolved-symbols=import-dynamic",
         "-o", str(out / "main.wasm"), str(o), *[str(out / f"{n}.wasm") for n in needed]])
    c.unlink()
    o.unlink()


def libs_program(out, n):
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        prev = f"l{i - 1}_f0(x) + " if i > 0 else ""
        funcs = "\n".join(
            f"int l{i}_f{k}(int x) {{ table{i}[{k}] += x; return {prev if k == 0 else ''}table{i}[{k}] * {k + 1}; }}"
            for k in range(8)
        )
        decl = f"int l{i - 1}_f0(int);\n" if i > 0 else ""
        source = f"{decl}int table{i}[256] = {{{i}}};\n{funcs}\n"
        build_lib(out, f"lib{i}", source, [f"lib{i - 1}"] if i > 0 else [])
    decls = "\n".join(f"int l{i}_f7(int);" for i in range(n))
    calls = " + ".join(f"l{i}_f7(x)" for i in range(n))
    build_main(out, f"{decls}\nint run(int x) {{ return {calls}; }}\n", [f"lib{i}" for i in range(n)])


def code_program(out, kib):
    out.mkdir(parents=True, exist_ok=True)
    # About 60 bytes of machine code per statement; 50 statements a function.
    funcs = max(1, kib * 1024 // (60 * 50))
    body = " ".join(f"x = x * {k + 3} + (x >> {k % 7 + 1}) + {k};" for k in range(50))
    source = "\n".join(f"int c_f{i}(int x) {{ {body} return x + {i}; }}" for i in range(funcs))
    source += "\nint c_all(int x) { int s = 0; " + " ".join(f"s += c_f{i}(x);" for i in range(funcs)) + " return s; }\n"
    build_lib(out, "libcode", source, [])
    build_main(out, "int c_all(int);\nint run(int x) { return c_all(x); }\n", ["libcode"])


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "target" / "scale")
    for n in LIB_COUNTS:
        libs_program(out / f"libs-{n}", n)
        print(f"built {out}/libs-{n}")
    for k in CODE_KIB:
        code_program(out / f"code-{k}", k)
        print(f"built {out}/code-{k}")


if __name__ == "__main__":
    main()
