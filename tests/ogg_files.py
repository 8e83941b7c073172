"""Byte-reproducible .ogg previews for tests.

``soundfile.write`` gives every Ogg stream a random serial number, so the same samples make a
file with another content hash on every run, and content hashes seed the heads' validation split
and augmentation. Tests write their .ogg previews through ``write_ogg`` instead.
"""

from __future__ import annotations

import numpy as np

from timbre.bench.ogg import encode_ogg_vorbis


def write_ogg(path, audio: np.ndarray, sr: int) -> str:
    """Write mono float ``audio`` as Ogg Vorbis with a fixed stream serial; returns the path as str."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"write_ogg takes mono audio, got shape {audio.shape}")
    path = str(path)
    with open(path, "wb") as fh:
        fh.write(encode_ogg_vorbis(audio, sr))
    return path
