"""The embedder interface: audio (and optionally text) in, L2-normalised vectors out."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import numpy as np

from timbre.errors import TimbreError


class Embedder(ABC):
    """A frozen model that maps mono audio at ``sample_rate`` to ``dim``-d unit vectors.

    Subclasses set ``name`` (the registry name), ``sample_rate`` and ``dim``, and implement
    ``embed_audio``. ``options`` holds everything needed to rebuild the same embedder with
    ``timbre.embedders.load_embedder(name, **options)``; it is stored in the index.
    """

    name: ClassVar[str]
    sample_rate: int
    dim: int
    #: Cheap, pure-numpy embedders set this so indexing runs them in decode workers.
    parallel_safe: ClassVar[bool] = False
    #: Clips per ``embed_audio`` call while indexing.
    batch_size: ClassVar[int] = 16
    supports_text: ClassVar[bool] = False
    #: What the pitch views of a new index play (:mod:`timbre.index.view_textures`). Chords and
    #: arpeggios cost 4x the view embedding and were measured only on cheap embedders, which
    #: turn them on; an embedder with weights keeps the plain note unless the user asks.
    view_textures: ClassVar[tuple[str, ...]] = ("note",)

    def __init__(self, **options: Any):
        self.options = dict(options)

    @abstractmethod
    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        """Embed mono float32 clips at ``sample_rate``; returns ``(len(batch), dim)`` float32,
        each row L2-normalised. Deterministic: the same clip always gives the same vector."""

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Embed text queries into the audio space (embedders with a text tower)."""
        raise TimbreError(
            f"embedder '{self.name}' has no text tower; text search needs e.g. --embedder clap"
        )

    @abstractmethod
    def fingerprint_parts(self) -> dict[str, Any]:
        """What makes two vectors comparable: preprocessing parameters and a weights hash."""

    def fingerprint(self) -> str:
        """Stable short hash of ``name`` + ``fingerprint_parts()``."""
        blob = json.dumps({"name": self.name, **self.fingerprint_parts()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def spec(self) -> dict[str, Any]:
        """``{"name", "options", "fingerprint", "dim", "sample_rate"}``, as stored in an index."""
        return {
            "name": self.name,
            "options": self.options,
            "fingerprint": self.fingerprint(),
            "dim": int(self.dim),
            "sample_rate": int(self.sample_rate),
        }


class ClipEmbedder(Embedder):
    """An embedder that maps one clip at a time to an un-normalised vector (``embed_one``);
    ``embed_audio`` stacks and L2-normalises them."""

    @abstractmethod
    def embed_one(self, signal: np.ndarray) -> np.ndarray:
        """``(dim,)`` vector of one clip, before normalisation."""

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(np.stack([self.embed_one(clip) for clip in batch]))


def l2_normalize(vectors: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row-wise L2 normalisation to float32 (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(norms, eps)).astype(np.float32)
