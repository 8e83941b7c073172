"""Augmented-clip vectors cached per preview content, so a grown library re-embeds only what is new.

The cache is one ``.npz`` in the index's ``cache/`` folder per (augmentation settings, seed,
embedder fingerprint): the content key of each preview (its content hash) and its
``variants_per_preset`` vectors (the row format of :mod:`timbre.index.content_rows`). Unlike
state-keyed caches it survives adding, removing or moving previews: a preview whose content is
unchanged keeps its vectors (its augmentation RNG is seeded by the same content key, so they are
exactly what a fresh run would compute). Rows that failed (NaN) are not stored, so a preview that
could not be read is retried next time.
:mod:`timbre.heads.outside` keeps the vectors of judged files outside the index the same way
(one row per content hash, one file per embedder fingerprint).
"""

from __future__ import annotations

import os

import numpy as np

from timbre.index.content_rows import read_rows, write_rows


def content_key(record: dict) -> str:
    """The key a preview's augmentations are seeded and cached by."""
    return record.get("content_hash") or record["path"]


def cache_path(lib, key: str) -> str:
    """Where the rows of ``key`` live (state-independent, unlike ``lib.cache_file``)."""
    return os.path.join(lib.cache_dir(), f"{key}.npz")


def load_rows(path: str, per_preset: int) -> dict[str, np.ndarray]:
    """``{content key: (per_preset, dim) vectors}`` from ``path``; empty if absent or unreadable."""
    return read_rows(path, per_preset)


def save_rows(path: str, rows: dict[str, np.ndarray]) -> None:
    """Write the complete (NaN-free) rows atomically; a read-only index is left as it is."""
    complete = {k: v for k, v in rows.items() if not np.isnan(v).any()}
    if not complete:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_rows(path, complete)
    except OSError:
        pass
