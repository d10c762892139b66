"""Compiles again, position-independent, every C file of a zig --verbose-cc log.

    rebuild_pic.py COMMANDS.txt WORKDIR OBJDIR

Each line of COMMANDS.txt is one `zig clang SRC ... -c -o OBJ` invocation
(run from WORKDIR) of zig's static wasi-libc build. Each is run again with
-fPIC, without LTO (wasm-ld links the objects, not bitcode) and with default
visibility (clang hides symbols by default for wasm; a shared libc exports
them), writing OBJDIR/<source path with / as _>.o. Dependency files and
diagnostics files are left out. Compiles run on every core.
"""

import concurrent.futures
import os
import shlex
import subprocess
import sys


def pic_command(words, objdir):
    """The invocation `words`, position-independent, writing into objdir."""
    source = words[2]
    out = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-MD", "-MV", "-flto"):
            i += 1
            continue
        if word in ("-MF", "--serialize-diagnostics"):
            i += 2
            continue
        if word == "-o":
            name = source.replace("/", "_") + ".o"
            out += ["-o", os.path.join(objdir, name)]
            i += 2
            continue
        out.append(word)
        i += 1
    out[3:3] = ["-fPIC", "-fno-lto"]
    out.append("-fvisibility=default")
    return out


def main():
    log, workdir, objdir = sys.argv[1:4]
    commands = []
    for line in open(log, encoding="utf-8"):
        words = shlex.split(line)
        # zig's own compiles of the program are not libc.
        if len(words) < 3 or words[1] != "clang" or "/libc/" not in words[2]:
            continue
        commands.append(pic_command(words, objdir))
    if not commands:
        sys.exit(f"{log}: no libc compile commands (did zig use a cached build?)")

    def run(command):
        result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
        return command[2], result.returncode, result.stderr

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        failed = [r for r in pool.map(run, commands) if r[1] != 0]
    for source, code, stderr in failed[:5]:
        print(f"{source}: exit {code}\n{stderr[-2000:]}", file=sys.stderr)
    if failed:
        sys.exit(f"{len(failed)} of {len(commands)} files failed to compile")
    print(f"compiled {len(commands)} files position-independent")


if __name__ == "__main__":
    main()
