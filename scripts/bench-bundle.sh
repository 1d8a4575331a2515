#!/usr/bin/env bash
# Benchmark: the hydrate bundle a first visit downloads (wasm + js + css of
# a release build), compressed with brotli at quality 11, against the SPEC's
# budget of 150 KB. Prints figures; it is not a test and never fails on size.
# Note: it leaves the release build in target/site (what cargo-leptos does).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --run
source scripts/env.sh
command -v brotli >/dev/null || { apt-get install -y -qq brotli >/dev/null 2>&1 || sudo apt-get install -y -qq brotli; }

cargo leptos build --release >/dev/null
total=0
printf '%-18s %12s %12s\n' file bytes brotli
for f in target/site/pkg/carethread.wasm target/site/pkg/carethread.js target/site/pkg/carethread.css; do
  raw=$(stat -c %s "$f")
  br=$(brotli -c -q 11 "$f" | wc -c)
  total=$((total + br))
  printf '%-18s %12d %12d\n' "$(basename "$f")" "$raw" "$br"
done
printf '%-18s %12s %12d  (%d KB; budget 150 KB)\n' total "" "$total" $((total / 1024))
