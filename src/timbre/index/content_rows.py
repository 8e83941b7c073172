"""Vectors kept per file content in parts, so long computations survive crashes and library changes.

A ``ContentRows`` store is a folder of ``part-*.npz`` files, each holding the content keys of
some previews and ``per_key`` float32 vectors for each. Work is saved a part at a time (atomic
write), so a crash or Ctrl-C loses at most the part being computed; moving, renaming or touching
a file keeps its vectors (they are found by content); a grown library computes only its new files.
Parts are merged into one when they become many. NaN rows (a file that failed) are never stored,
so a failure is retried next time.
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile

import numpy as np

from timbre.index import store

PART_PREFIX = "part-"
MERGE_AT_PARTS = 64  # more parts than this are merged into one on the next save
#: What reading a damaged or foreign part raises (its rows are then recomputed).
_UNREADABLE = (OSError, ValueError, KeyError, zipfile.BadZipFile)


class ContentRows:
    """``per_key`` vectors per content key, stored in ``folder``."""

    def __init__(self, folder: str, per_key: int):
        self.folder = folder
        self.per_key = int(per_key)

    def load(self) -> dict[str, np.ndarray]:
        """``{content key: (per_key, dim) float32}`` of every readable part (a key's rows are the same
        in every part: they depend only on its content)."""
        rows: dict[str, np.ndarray] = {}
        for name in self.part_names():
            rows.update(self._read_part(os.path.join(self.folder, name)))
        return rows

    def keys(self) -> set[str]:
        """The content keys ``load`` would return, read without the vectors (a re-run that has
        nothing to add should not read every stored vector)."""
        found: set[str] = set()
        for name in self.part_names():
            found.update(read_keys(os.path.join(self.folder, name), self.per_key))
        return found

    def save(self, rows: dict[str, np.ndarray]) -> None:
        """Add ``rows`` as one new part (complete rows only). Raises ``OSError`` if the folder
        cannot be written."""
        complete = {k: np.asarray(v, np.float32) for k, v in rows.items() if not np.isnan(v).any()}
        if not complete:
            return
        os.makedirs(self.folder, exist_ok=True)
        self._write_part(f"{PART_PREFIX}{secrets.token_hex(6)}.npz", complete)
        parts = self.part_names()
        if len(parts) > MERGE_AT_PARTS:
            self._merge(parts)

    def _merge(self, parts: list[str]) -> None:
        """One part with the rows of ``parts``; the old parts go only after it is written."""
        merged: dict[str, np.ndarray] = {}
        for name in parts:
            merged.update(self._read_part(os.path.join(self.folder, name)))
        self._write_part(f"{PART_PREFIX}{secrets.token_hex(6)}.npz", merged)
        for name in parts:
            try:
                os.remove(os.path.join(self.folder, name))
            except OSError:
                pass

    def part_names(self) -> list[str]:
        """The stored parts' file names, sorted."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        return sorted(n for n in names if n.startswith(PART_PREFIX) and n.endswith(".npz"))

    def _read_part(self, path: str) -> dict[str, np.ndarray]:
        return read_rows(path, self.per_key)

    def _write_part(self, name: str, rows: dict[str, np.ndarray]) -> None:
        write_rows(os.path.join(self.folder, name), rows)


def read_rows(path: str, per_key: int) -> dict[str, np.ndarray]:
    """``{content key: (per_key, dim) vectors}`` from one ``.npz`` of ``keys`` and ``vectors``; empty
    if absent, unreadable or inconsistent (damaged rows are recomputed, not trusted)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except _UNREADABLE:
        return {}
    if len(vectors) != len(keys) * per_key:
        return {}
    return {str(k): vectors[i * per_key:(i + 1) * per_key] for i, k in enumerate(keys)}


def read_keys(path: str, per_key: int) -> list[str]:
    """The keys of one part that ``read_rows`` would return, from the ``keys`` array and the
    ``vectors`` array's header only."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = data["keys"]
            with data.zip.open("vectors.npy") as member:
                version = np.lib.format.read_magic(member)
                header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape = header(member)[0]
    except _UNREADABLE:
        return []
    if not shape or shape[0] != len(keys) * per_key:
        return []
    return [str(k) for k in keys]


def write_rows(path: str, rows: dict[str, np.ndarray]) -> None:
    """Write ``rows`` (complete, float32) as one ``.npz`` atomically; raises ``OSError``."""
    keys = np.array(sorted(rows))
    buffer = io.BytesIO()
    np.savez(buffer, keys=keys, vectors=np.concatenate([rows[k] for k in keys]).astype(np.float32))
    store.atomic_write_bytes(path, buffer.getvalue())
