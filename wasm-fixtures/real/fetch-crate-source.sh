#!/usr/bin/env bash
# fetch-crate-source.sh CRATE VERSION SUBDIR WORKDIR
# Prints the directory SUBDIR of crates.io's CRATE (exactly VERSION), which
# cargo fetches into its registry cache; the real-library build scripts take
# their third-party C sources from there (never from this tree).
set -euo pipefail
crate=$1 version=$2 subdir=$3 work=$4
mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "fetch-$crate-sources"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
$crate = { version = "=$version", default-features = false }
TOML
echo "fn main() {}" >"$work/src/main.rs"
cargo fetch --quiet --manifest-path "$work/Cargo.toml"
cargo metadata --quiet --format-version 1 --manifest-path "$work/Cargo.toml" |
    python3 -c 'import json, os, sys
m = json.load(sys.stdin)
p = next(p for p in m["packages"] if p["name"] == sys.argv[1])
print(os.path.join(os.path.dirname(p["manifest_path"]), sys.argv[2]))' "$crate" "$subdir"
