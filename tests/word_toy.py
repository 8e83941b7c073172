"""A tiny text-capable embedder whose audio and text vectors agree by construction (no weights).

Each word of ``WORDS`` owns one frequency; a preset "is" the words whose sine tones it holds, and
a text "is" the English words it contains. The audio vector is the energy at each word's
frequency, the text vector counts the words, so "warm pad" must find the preset holding the
warm and pad tones. Register it with ``use_word_toy(monkeypatch)``.
"""

from __future__ import annotations

import os
import re

import numpy as np
import soundfile as sf

from timbre import embedders
from timbre.embedders.base import Embedder, l2_normalize

SR = 16000
WORDS = ("pad", "lead", "bass", "pluck", "bell", "keys", "warm", "bright", "dark", "metallic", "soft", "reverb")
FREQS = {word: 300.0 + 170.0 * k for k, word in enumerate(WORDS)}
NAME = "wordtoy"


class WordToyEmbedder(Embedder):
    """Energy at one frequency per word (audio); word counts (text); same axes, so they agree."""

    name = NAME
    parallel_safe = True
    supports_text = True

    def __init__(self, **options):
        super().__init__(**options)
        self.sample_rate, self.dim = SR, len(WORDS)

    def embed_audio(self, batch):
        rows = []
        for clip in batch:
            spectrum = np.abs(np.fft.rfft(np.asarray(clip, np.float64)[:SR], n=SR))  # 1 Hz bins
            rows.append([spectrum[int(f) - 5:int(f) + 6].max() for f in FREQS.values()])
        rows = np.asarray(rows, np.float64).reshape(-1, self.dim)
        return l2_normalize(np.maximum(rows - 0.05 * rows.max(axis=1, keepdims=True), 0.0))

    def embed_text(self, texts):
        counts = [[re.findall(r"[a-z]+", text.lower()).count(word) for word in WORDS] for text in texts]
        return l2_normalize(np.asarray(counts, np.float64).reshape(-1, self.dim))

    def fingerprint_parts(self):
        return {"words": list(WORDS), "version": 1}


def use_word_toy(monkeypatch) -> None:
    """Make ``--embedder wordtoy`` available in this process."""
    monkeypatch.setitem(embedders.BUILTIN, NAME, "word_toy:WordToyEmbedder")


def write_preset(path, words, seconds: float = 1.0) -> str:
    """A preview holding one sine per word of ``words`` (the preset's sound, by construction)."""
    t = np.arange(int(seconds * SR)) / SR
    wave = sum(np.sin(2 * np.pi * FREQS[word] * t) for word in words) * np.exp(-0.5 * t)
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, (0.3 * wave / np.max(np.abs(wave))).astype(np.float32), SR)
    return path


#: A library by sound: folder/name -> the words its preview holds. Names say nothing, except
#: "LD Screamer" (a lead by name, a pluck by ear) and the folder "Pads" (a bass by ear).
TAGGED_LIBRARY = {
    "bank/patch 01": ("warm", "pad"), "bank/patch 02": ("bright", "pad"), "bank/patch 03": ("pad",),
    "bank/patch 04": ("warm", "bass"), "bank/patch 05": ("bass",), "bank/patch 06": ("bright", "lead"),
    "bank/patch 07": ("metallic", "bell"), "bank/patch 08": ("pluck",), "bank/patch 09": ("keys",),
    "bank/patch 10": ("lead",), "bank/LD Screamer": ("pluck",), "Pads/Nice One": ("bass",),
}


def make_tagged_library(root) -> str:
    """Write ``TAGGED_LIBRARY`` under ``root``; returns the folder to index."""
    for name, words in TAGGED_LIBRARY.items():
        write_preset(os.path.join(str(root), f"{name}.wav"), words)
    return str(root)
