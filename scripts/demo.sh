#!/usr/bin/env bash
# The offline end-to-end demo behind `make demo`: render a small library of synth previews and
# loops, index the previews with the weights-free `spectral` embedder, search with the loops,
# then score the ranking against the ground truth. Uses only the `timbre` CLI.
set -euo pipefail
BIN=${BIN:-.venv/bin}
OUT=${OUT:-build/demo}
export TIMBRE_HOME="$OUT/home" HF_HUB_OFFLINE=1

echo "== 1. render the demo library (synth previews + target loops) into $OUT/library"
"$BIN/timbre" bench render "$OUT/library" --size small --seed 7

echo "== 2. index the previews (spectral embedder, offline)"
"$BIN/timbre" index "$OUT/library/previews" --index "$OUT/index" --embedder spectral

echo "== 3. which presets sound like these loops?"
targets=$(ls "$OUT"/library/targets/*.wav | head -n 3)
# shellcheck disable=SC2086
"$BIN/timbre" search $targets --index "$OUT/index" --top 5

echo "== 4. how good is that ranking? (all targets, against the ground truth, with the MFCC baseline)"
"$BIN/timbre" eval --bench "$OUT/library" --embedder spectral --out "$OUT/eval"

echo "== 5. listen, compare and teach in the browser: make app   (or: TIMBRE_HOME=$OUT/home $BIN/timbre app --index $OUT/index)"
