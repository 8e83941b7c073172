"""A tiny neural embedder for tests: a fixed random convolutional network over a log-frequency
spectrogram. Like CLAP it moves with pitch (no pooling over frequency), so it tests what pitch views
and note-level search do for a neural embedder without any weights to download."""

from __future__ import annotations

import numpy as np

from timbre.embedders.base import Embedder, l2_normalize

SAMPLE_RATE = 16000
N_FFT, HOP, BINS = 1024, 256, 48


class TinyNetEmbedder(Embedder):
    name = "tinynet"
    parallel_safe = False  # torch: embedded in the main process, in batches
    batch_size = 4
    sample_rate = SAMPLE_RATE
    dim = 8 * 16

    def __init__(self, **options):
        import torch

        super().__init__(**options)
        generator = torch.Generator().manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU())
        with torch.no_grad():
            for layer in self.net:
                if isinstance(layer, torch.nn.Conv2d):
                    fan_in = layer.weight[0].numel()
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) / fan_in ** 0.5)
                    layer.bias.copy_(0.1 * torch.randn(layer.bias.shape, generator=generator))
        self.net.eval()
        freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
        edges = np.geomspace(60.0, SAMPLE_RATE / 2, BINS + 1)
        self.bin_of = np.searchsorted(edges, freqs, side="right") - 1

    def _spectrogram(self, clip: np.ndarray) -> np.ndarray:
        clip = np.pad(clip, (0, max(0, N_FFT - len(clip))))
        starts = np.arange(0, len(clip) - N_FFT + 1, HOP)
        power = np.abs(np.fft.rfft(clip[starts[:, None] + np.arange(N_FFT)] * np.hanning(N_FFT), axis=1)) ** 2
        bands = np.stack([power[:, self.bin_of == b].sum(axis=1) for b in range(BINS)], axis=0)
        return np.log(bands + 1e-6).astype(np.float32)  # (bins, frames)

    def embed_audio(self, batch):
        import torch

        rows = []
        with torch.inference_mode():
            for clip in batch:
                features = self.net(torch.from_numpy(self._spectrogram(np.asarray(clip, np.float32)))[None, None])
                pooled = torch.nn.functional.adaptive_avg_pool2d(features.mean(dim=3, keepdim=True), (8, 1))
                rows.append(pooled.flatten().numpy())
        return l2_normalize(np.stack(rows)) if rows else np.zeros((0, self.dim), np.float32)

    def fingerprint_parts(self):
        return {"version": 1}
