#!/usr/bin/env bash
# Builds the browser bundle exactly as a release serves it, without
# building the server in release: the frontend crate to wasm with the
# `wasm-release` profile (size-optimised, LTO), wasm-bindgen, then
# `wasm-opt -Oz` (what `cargo leptos build --release` does), into
# target/bundle/ with the stylesheet. Used by the size budget in the test
# command and by scripts/bench-bundle.sh. About 1 minute once the wasm
# dependencies are compiled in release (they are compiled once per cache).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out=target/bundle
mkdir -p "$out"
# Release flags: the debug builds' `--cfg erase_components` is not used.
RUSTFLAGS="" cargo build --quiet --locked -p frontend --lib --target wasm32-unknown-unknown \
  --profile wasm-release --no-default-features --target-dir "$TARGET_DIR/front"
wasm="$TARGET_DIR/front/wasm32-unknown-unknown/wasm-release/frontend.wasm"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name carethread "$wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$out/carethread_bg.wasm" -o "$out/carethread.wasm"
rm -f "$out/carethread_bg.wasm"
cp style/main.css "$out/carethread.css"
cp public/sw-register.js "$out/sw-register.js"
ls -l "$out"
