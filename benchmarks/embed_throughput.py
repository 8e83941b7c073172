"""Embedding throughput: files/s of a real-size CLAP audio tower (random weights, same cost as
laion/larger_clap_music: HTSAT-base + RoBERTa-base, 512-d) and `spectral`, against decode-only
throughput on the same synthetic 3-s clips.

``clap-before`` is the path timbre used until the throughput work, rebuilt here from
transformers alone (``ClapFeatureExtractor`` in float64 per window, then the unmodified
``ClapModel``); ``clap`` is the current embedder; ``clap-half`` is it with ``--half`` (bfloat16
autocast on the CPU, float16 on a GPU), built through the product's probe check, whose note
(probe cosine to float32, speed-up) goes to stderr. Their passes alternate and each reports its
best of ``--repeat``, so a shared machine's load hits both alike::

    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/embed_throughput.py --files 16 --repeat 3 \
        --embedders clap-before,clap,clap-half [--device cuda]
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


class ClapBefore:
    """The previous CLAP path: float64 extractor per window, unmodified transformers model."""

    def __init__(self, folder: str, device: str, batch_windows: int):
        from transformers import ClapFeatureExtractor, ClapModel

        from timbre.embedders.windows import WindowSpec

        self.model = ClapModel.from_pretrained(folder).eval().to(device)
        self.extractor = ClapFeatureExtractor.from_pretrained(folder)
        self.device, self.batch_windows = device, batch_windows
        self.sample_rate = 48000
        self.dim = int(self.model.config.projection_dim)
        self.windows = WindowSpec(self.sample_rate)

    def embed_audio(self, batch):
        from timbre.embedders.windows import embed_windowed

        return embed_windowed(batch, self.windows, self._embed_windows, self.batch_windows)

    def _embed_windows(self, windows: np.ndarray) -> np.ndarray:
        import torch

        features = self.extractor(list(windows.astype(np.float64)), sampling_rate=self.sample_rate,
                                  truncation="rand_trunc", padding="repeatpad", return_tensors="pt")
        with torch.inference_mode():
            out = self.model.get_audio_features(input_features=features["input_features"].to(self.device, torch.float32),
                                                is_longer=torch.zeros((len(windows), 1), dtype=torch.bool))
        out = out if isinstance(out, torch.Tensor) else out.pooler_output
        return out.float().cpu().numpy()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def build(name: str, folder: str | None, args):
    from timbre.devices import Placement
    from timbre.embedders import load_embedder

    if name == "spectral":
        return load_embedder("spectral")
    if name == "clap-before":
        return ClapBefore(folder, args.device, args.batch)
    if name == "clap-half":
        return load_embedder("clap", Placement(args.device, half=True), model=folder, batch_windows=args.batch)
    return load_embedder("clap", model=folder, device=args.device, batch_windows=args.batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8, help="clips (and windows) per model call")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many timed passes")
    parser.add_argument("--embedders", default="spectral,clap-before,clap")
    args = parser.parse_args()
    from timbre.audio import load_audio

    names = args.embedders.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_clips(tmp, args.files)
        folder = real_size_clap(os.path.join(tmp, "clap")) if any(n.startswith("clap") for n in names) else None
        embedders = {name: build(name, folder, args) for name in names}
        clips, decode_s, best = {}, {}, {name: float("inf") for name in names}
        for name, embedder in embedders.items():
            decode_s[name] = timed(lambda n=name, e=embedder: clips.__setitem__(
                n, [load_audio(p, e.sample_rate) for p in paths]))
            embedder.embed_audio(clips[name][:1])  # warm-up
        for _ in range(max(1, args.repeat)):  # alternate, so load changes hit every embedder
            for name, embedder in embedders.items():
                seconds = sum(timed(lambda b=clips[name][i:i + args.batch]: embedder.embed_audio(b))
                              for i in range(0, len(paths), args.batch))
                best[name] = min(best[name], seconds)
    print(f"{'embedder':<12} {'sr':>6} {'dim':>5} {'decode f/s':>11} {'embed f/s':>10} {'total f/s':>10}"
          f"   ({args.files} x 3-s clips, device {args.device}, threads {os.environ.get('TIMBRE_THREADS', 'all')}, "
          f"best of {args.repeat})")
    for name, embedder in embedders.items():
        n = len(paths)
        print(f"{name:<12} {embedder.sample_rate:>6} {embedder.dim:>5} {n / decode_s[name]:>11.1f} "
              f"{n / best[name]:>10.2f} {n / (decode_s[name] + best[name]):>10.2f}")


if __name__ == "__main__":
    main()
