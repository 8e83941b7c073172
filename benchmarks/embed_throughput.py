"""Embedding throughput: files/s of a real-size CLAP audio tower (random weights, same cost as
laion/larger_clap_music: HTSAT-base + RoBERTa-base, 512-d) and `spectral`, against decode-only
throughput on the same synthetic 3-s clips.

    python benchmarks/embed_throughput.py --files 8 [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import soundfile as sf


def write_clips(folder: str, count: int, seconds: float = 3.0, sr: int = 44100) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    t = np.arange(int(seconds * sr)) / sr
    for i in range(count):
        f0 = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * np.exp(-t)
        paths.append(os.path.join(folder, f"clip{i:04d}.ogg"))
        sf.write(paths[-1], (0.3 * wave).astype(np.float32), sr)
    return paths


def real_size_clap(folder: str) -> str:
    """Save a random ClapModel shaped like larger_clap_music (HTSAT-base, RoBERTa-base)."""
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

    config = ClapConfig(
        audio_config=dict(patch_embeds_hidden_size=128, depths=[2, 2, 12, 2], hidden_size=1024),
        text_config={}, projection_dim=512)
    ClapModel(config).eval().save_pretrained(folder)
    ClapFeatureExtractor(truncation="rand_trunc").save_pretrained(folder)
    return folder


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    from timbre.audio import load_audio
    from timbre.embedders import load_embedder

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_clips(tmp, args.files)
        rows = []
        for name, options in (("spectral", {}), ("clap", {"model": real_size_clap(os.path.join(tmp, "clap")),
                                                         "device": args.device, "batch_windows": args.batch})):
            embedder = load_embedder(name, **options)
            clips: list = []
            decode_s = timed(lambda: clips.extend(load_audio(p, embedder.sample_rate) for p in paths))
            embedder.embed_audio(clips[:1])  # warm-up
            embed_s = sum(timed(lambda b=clips[i:i + args.batch]: embedder.embed_audio(b))
                          for i in range(0, len(clips), args.batch))
            rows.append((name, embedder.sample_rate, embedder.dim, len(paths) / decode_s, len(paths) / embed_s,
                         len(paths) / (decode_s + embed_s)))
    print(f"{'embedder':<10} {'sr':>6} {'dim':>5} {'decode f/s':>11} {'embed f/s':>10} {'total f/s':>10}"
          f"   ({args.files} x 3-s clips, device {args.device}, torch threads {os.environ.get('OMP_NUM_THREADS', 'all')})")
    for name, sr, dim, decode, embed, total in rows:
        print(f"{name:<10} {sr:>6} {dim:>5} {decode:>11.1f} {embed:>10.2f} {total:>10.2f}")


if __name__ == "__main__":
    main()
