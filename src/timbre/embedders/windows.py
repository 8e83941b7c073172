"""Deterministic fixed-length windows for neural embedders, and pooling back to one vector.

CLAP and PANN were trained on 10-s clips. A clip is cut into 10-s windows with a fixed hop
(the last window is aligned to the clip's end so no tail is lost); a clip shorter than one
window is repeated and zero-padded to exactly one window, the way CLAP's ``repeatpad``
does. Window vectors are L2-normalised, mean-pooled per clip and normalised again. No
randomness anywhere: the same samples always give the same windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from timbre.embedders.base import l2_normalize

WINDOW_SECONDS = 10.0
HOP_SECONDS = 5.0


@dataclass(frozen=True)
class WindowSpec:
    """Window and hop lengths in samples at ``sample_rate``."""

    sample_rate: int
    window_seconds: float = WINDOW_SECONDS
    hop_seconds: float = HOP_SECONDS

    @property
    def window(self) -> int:
        return int(round(self.window_seconds * self.sample_rate))

    @property
    def hop(self) -> int:
        return int(round(self.hop_seconds * self.sample_rate))

    def describe(self) -> dict[str, float]:
        """The preprocessing facts that belong in an embedder fingerprint."""
        return {
            "window_s": self.window_seconds,
            "hop_s": self.hop_seconds,
            "sample_rate": self.sample_rate,
            "short_clip_padding": "repeatpad",
        }


def repeat_pad(signal: np.ndarray, length: int) -> np.ndarray:
    """Tile ``signal`` a whole number of times, then zero-pad to ``length`` (CLAP ``repeatpad``)."""
    signal = np.asarray(signal, dtype=np.float32).reshape(-1)
    if len(signal) >= length:
        return signal[:length]
    if len(signal) == 0:
        return np.zeros(length, dtype=np.float32)
    tiled = np.tile(signal, length // len(signal))
    return np.pad(tiled, (0, length - len(tiled))).astype(np.float32)


def window_starts(n_samples: int, window: int, hop: int) -> list[int]:
    """Start offsets covering ``n_samples``; the last window ends exactly at the clip's end."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window + 1, hop))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return starts


def split_windows(signal: np.ndarray, spec: WindowSpec) -> list[np.ndarray]:
    """Cut one clip into equal-length windows (a short clip becomes one padded window)."""
    signal = np.asarray(signal, dtype=np.float32).reshape(-1)
    if len(signal) <= spec.window:
        return [repeat_pad(signal, spec.window)]
    return [signal[s : s + spec.window] for s in window_starts(len(signal), spec.window, spec.hop)]


def embed_windowed(
    clips: Sequence[np.ndarray],
    spec: WindowSpec,
    embed_windows: Callable[[np.ndarray], np.ndarray],
    batch_windows: int,
) -> np.ndarray:
    """Embed every clip as the normalised mean of its window vectors.

    ``embed_windows`` maps a ``(b, spec.window)`` float32 array to ``(b, dim)`` vectors;
    windows of all clips are batched together, ``batch_windows`` at a time.
    """
    windows: list[np.ndarray] = []
    owners: list[int] = []
    for index, clip in enumerate(clips):
        parts = split_windows(clip, spec)
        windows.extend(parts)
        owners.extend([index] * len(parts))
    outputs = [
        np.asarray(embed_windows(np.stack(windows[i : i + batch_windows])), dtype=np.float32)
        for i in range(0, len(windows), batch_windows)
    ]
    return pool_by_owner(l2_normalize(np.concatenate(outputs)), np.asarray(owners), len(clips))


def pool_by_owner(vectors: np.ndarray, owners: np.ndarray, n_clips: int) -> np.ndarray:
    """Mean of the rows belonging to each clip, then L2-normalised: ``(n_clips, dim)``."""
    pooled = np.zeros((n_clips, vectors.shape[1]), dtype=np.float64)
    np.add.at(pooled, owners, vectors)
    pooled /= np.bincount(owners, minlength=n_clips)[:, None]
    return l2_normalize(pooled)
