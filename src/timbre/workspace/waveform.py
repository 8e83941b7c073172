"""Waveform thumbnails: the peak level of each of ``bins`` equal slices of a file, for a small drawing."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from timbre.audio import decode, to_mono

BINS = 200
MAX_SECONDS = 60.0


def waveform_peaks(path: str, bins: int = BINS) -> dict:
    """``{"peaks": [0..1] * bins, "seconds": duration}``: peaks scaled to the file's own maximum,
    so a quiet preview still draws a readable shape. Raises ``AudioError`` for unreadable files."""
    return dict(_peaks(path, bins, _mtime_key(path)))


@lru_cache(maxsize=4096)
def _peaks(path: str, bins: int, _key: tuple) -> tuple:
    data, sr = decode(path, max_seconds=MAX_SECONDS)
    mono = np.abs(to_mono(data))
    seconds = len(mono) / sr
    edges = np.linspace(0, len(mono), bins + 1).astype(np.int64)
    peaks = np.array([mono[a:b].max() if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])], np.float32)
    top = float(peaks.max()) if len(peaks) else 0.0
    if top > 0:
        peaks = peaks / top
    return (("peaks", [round(float(p), 3) for p in peaks]), ("seconds", round(seconds, 3)))


def _mtime_key(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)
