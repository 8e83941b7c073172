"""Vectors of judged files that are not in the index (the targets the app keeps a copy of).

A judgment pairs the producer's target loop with presets; the target is no preset, so it has
no index row. ``embed_outside_files`` embeds such files with the index's own embedder, the way
``timbre search`` embeds a target, and caches the vectors per content hash in the index's
``cache/`` folder (through :mod:`timbre.heads.augment_cache`, one file per embedder
fingerprint), so retraining decodes only targets judged since. A file that cannot be decoded
is left out (and its judgments stay "missing").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from timbre.audio import load_audio
from timbre.errors import AudioError
from timbre.heads import augment_cache
from timbre.progress import Progress, ensure_progress


@dataclass
class OutsideFiles:
    """Embedded files outside the index: ``vectors[i]`` is ``paths[i]`` with ``hashes[i]``."""

    paths: list[str]
    hashes: list[str]
    vectors: np.ndarray
    unreadable: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


def embed_outside_files(lib, paths: list[str], progress: Progress | None = None) -> OutsideFiles:
    """Embed the audio files at ``paths`` with ``lib``'s embedder (cached per content hash)."""
    from timbre.index.scan import content_hash

    fingerprint = lib.embedder_spec["fingerprint"]
    cache = augment_cache.cache_path(lib, "outside-" + hashlib.sha1(fingerprint.encode()).hexdigest()[:16])
    rows = augment_cache.load_rows(cache, 1)
    progress = ensure_progress(progress)
    out = OutsideFiles([], [], np.zeros((0, lib.vectors.shape[1]), np.float32))
    vectors, fresh = [], 0
    for path in paths:
        try:
            key = content_hash(path)
            if key not in rows:
                if not fresh:
                    progress.note("embedding judged files that are not in the index")
                rows[key], fresh = _embed(lib, path), fresh + 1
        except (AudioError, OSError, ValueError) as exc:
            progress.note(f"judged file {path} could not be read ({exc}); its judgments are left out")
            out.unreadable.append(path)
            continue
        out.paths.append(path)
        out.hashes.append(key)
        vectors.append(rows[key][0])
    if fresh:
        augment_cache.save_rows(cache, rows)
    if vectors:
        out.vectors = np.stack(vectors).astype(np.float32)
    return out


def _embed(lib, path: str) -> np.ndarray:
    """``(1, dim)`` vector of one file; ``ValueError`` if the embedder gives no finite vector."""
    model = lib.load_embedder()
    vector = np.asarray(model.embed_audio([load_audio(path, model.sample_rate)]), np.float32).reshape(1, -1)
    if not np.isfinite(vector).all():
        raise ValueError("the embedder gave no vector for it")
    return vector
