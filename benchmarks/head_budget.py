"""What `timbre train --augment` costs with a CLAP-size embedder: the measured time of one augmented
clip (decode-free: pitch shift / loop / effects + a real-size CLAP audio tower with random weights,
the cost of laion/larger_clap_music) and the estimate for a library under the augmentation budget.

    python benchmarks/head_budget.py --presets 30000 [--clips 12] [--device cpu] [--half]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def augmented_clips(count: int, sample_rate: int, settings: dict) -> list[np.ndarray]:
    """``count`` augmented clips of synthetic 3-s previews, as `timbre train --augment` makes them."""
    from timbre.heads.augment import augment_clip

    rng = np.random.default_rng(0)
    t = np.arange(int(3.0 * sample_rate)) / sample_rate
    clips = []
    for _ in range(count):
        f0 = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        preview = (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * np.exp(-t)).astype(np.float32)
        clips.append(augment_clip(preview, sample_rate, settings, rng))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", type=int, default=30000)
    parser.add_argument("--clips", type=int, default=12,
                        help="augmented clips timed, embedded per preset as training does (after a warm-up preset)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--half", action="store_true", help="as `timbre train --half` (kept only if it passes the probe)")
    args = parser.parse_args()
    from embed_throughput import real_size_clap

    from timbre.devices import Placement
    from timbre.embedders import load_embedder
    from timbre.heads.budget import budget_rows, describe_duration
    from timbre.heads.config import load_head_config

    settings = load_head_config()["augment"]
    variants = settings["variants_per_preset"]
    with tempfile.TemporaryDirectory() as tmp:
        embedder = load_embedder("clap", Placement(args.device, args.half), model=real_size_clap(os.path.join(tmp, "clap")))
        embedder.embed_audio(augmented_clips(variants, embedder.sample_rate, settings))  # warm-up
        started = time.perf_counter()
        augmented = augmented_clips(args.clips, embedder.sample_rate, settings)
        for first in range(0, len(augmented), variants):
            embedder.embed_audio(augmented[first:first + variants])
        per_clip = (time.perf_counter() - started) / args.clips
    seconds = np.mean([len(c) / embedder.sample_rate for c in augmented])
    budget = len(budget_rows([{"folder": str(i % 100), "content_hash": str(i)} for i in range(args.presets)],
                             settings["max_presets"]))
    precision = "half precision" if getattr(embedder, "half", False) else "float32"
    print(f"CLAP-size audio tower on {args.device} in {precision}, TIMBRE_THREADS {os.environ.get('TIMBRE_THREADS', 'all')}: "
          f"{per_clip:.2f} s per augmented clip (mean {seconds:.1f} s of audio, {args.clips} clips)")
    for label, presets in ((f"budget max_presets = {settings['max_presets']}", budget), ("every preset", args.presets)):
        clips_needed = presets * variants
        print(f"  {args.presets} presets, {label}: {presets} x {variants} = {clips_needed} clips, "
              f"about {describe_duration(clips_needed * per_clip)}")


if __name__ == "__main__":
    main()
