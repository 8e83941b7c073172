"""Embedding throughput: files/s of a real-size CLAP audio tower (random weights, same cost as
laion/larger_clap_music: HTSAT-base + RoBERTa-base, 512-d) and `spectral`, against decode-only
throughput on the same synthetic 3-s clips. Embedding times are the best of ``--repeat`` runs
(a shared machine's noise only ever slows a run down). Runs against any timbre checkout, so
the same script measures before and after a change::

    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/embed_throughput.py --files 16 --repeat 3 [--device cuda]
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
    ClapFeatureExtractor(truncation="rand_trunc", frequency_min=50, frequency_max=14000).save_pretrained(folder)
    return folder


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8, help="clips per embed_audio call")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many timed passes")
    parser.add_argument("--embedders", default="spectral,clap")
    args = parser.parse_args()
    wanted = args.embedders.split(",")
    from timbre.audio import load_audio
    from timbre.embedders import load_embedder

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_clips(tmp, args.files)
        rows = []
        candidates = {"spectral": {}, "clap": {"device": args.device, "batch_windows": args.batch}}
        for name in wanted:
            options = dict(candidates[name])
            if name == "clap":
                options["model"] = real_size_clap(os.path.join(tmp, "clap"))
            embedder = load_embedder(name, **options)
            clips: list = []
            decode_s = timed(lambda: clips.extend(load_audio(p, embedder.sample_rate) for p in paths))
            embedder.embed_audio(clips[:1])  # warm-up
            embed_s = min(sum(timed(lambda b=clips[i:i + args.batch]: embedder.embed_audio(b))
                              for i in range(0, len(clips), args.batch)) for _ in range(max(1, args.repeat)))
            rows.append((name, embedder.sample_rate, embedder.dim, len(paths) / decode_s, len(paths) / embed_s,
                         len(paths) / (decode_s + embed_s)))
    print(f"{'embedder':<10} {'sr':>6} {'dim':>5} {'decode f/s':>11} {'embed f/s':>10} {'total f/s':>10}"
          f"   ({args.files} x 3-s clips, device {args.device}, threads {os.environ.get('TIMBRE_THREADS', 'all')}, "
          f"best of {args.repeat})")
    for name, sr, dim, decode, embed, total in rows:
        print(f"{name:<10} {sr:>6} {dim:>5} {decode:>11.1f} {embed:>10.2f} {total:>10.2f}")


if __name__ == "__main__":
    main()
