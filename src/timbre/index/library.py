"""``open_index``: a read-only view of an index (records, vectors, embedder, derived-data cache)."""

from __future__ import annotations

import io
import os
import re
import threading
from collections import Counter, OrderedDict
from typing import Any, Callable

import numpy as np

from timbre.devices import Placement
from timbre.errors import EmbedderMismatchError, IndexStoreError
from timbre.index import head_caches, store

_MISSING = object()


class LibraryIndex:
    """Indexed files and their vectors as of one committed state.

    ``vectors[i]`` (float32, L2-normalised) belongs to ``records[i]``; ``state_id`` changes
    whenever the indexed content changes, so derived data keyed by it stays valid."""

    def __init__(self, path: str, config: dict[str, Any], manifest: dict[str, Any],
                 records: list[dict[str, Any]], vectors: np.ndarray, placement: Placement | None = None):
        self.path = path
        #: Where ``load_embedder`` puts a torch embedder (``auto`` by default); never changes vectors.
        self.placement = placement or Placement()
        self.config = config
        self.embedder_spec: dict[str, Any] = config["embedder"]
        self.records = records
        self.vectors = vectors
        self.skipped: list[dict[str, str]] = [
            {"path": s["path"], "reason": s["reason"], "detail": s["detail"]} for s in manifest["skipped"]]
        self.state_id = store.state_id(manifest)
        self._embedder = None
        self._memo: dict[Any, Any] = {}
        self._groups: dict[str, OrderedDict] = {}  # memo keys per group, least recently used first
        self._groups_lock = threading.Lock()  # the app's training thread warms a head while pages search

    @property
    def paths(self) -> list[str]:
        return [r["path"] for r in self.records]

    @property
    def hashes(self) -> list[str]:
        return [r["content_hash"] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def load_embedder(self):
        """The index's embedder, built once per ``LibraryIndex``; its fingerprint must match."""
        if self._embedder is None:
            from timbre.embedders import load_embedder

            spec = self.embedder_spec
            model = load_embedder(spec["name"], self.placement, **spec.get("options", {}))
            if model.fingerprint() != spec["fingerprint"]:
                raise EmbedderMismatchError(
                    f"index {self.path} was built with {spec['name']} fingerprint {spec['fingerprint']} but "
                    f"this installation gives {model.fingerprint()}; rebuild it with `timbre index DIR --index NEW`")
            self._embedder = model
        return self._embedder

    def use_embedder(self, model) -> None:
        """Use an already loaded ``model`` (it must have the index's fingerprint) instead of loading it."""
        if model.fingerprint() != self.embedder_spec["fingerprint"]:
            raise EmbedderMismatchError(f"index {self.path}: embedder fingerprint {model.fingerprint()} is not the "
                                        f"index's {self.embedder_spec['fingerprint']}")
        self._embedder = model

    def cache_dir(self) -> str:
        return os.path.join(self.path, store.CACHE_DIR)

    def cache_file(self, key: str, suffix: str, state: str | None = None) -> str:
        """Path for derived data ``key`` at this state (older states of ``key`` are deleted);
        ``state`` replaces the index state for data that depends on more (e.g. its pitch views).
        Data of a head (keys from :func:`timbre.index.head_caches.head_cache_key`) is kept for the
        last few heads used only."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
        folder = self.cache_dir()
        os.makedirs(folder, exist_ok=True)
        current = f"{safe}--{state or self.state_id}{suffix}"
        for entry in os.listdir(folder):
            if entry.startswith(f"{safe}--") and entry.endswith(suffix) and entry != current:
                try:
                    os.remove(os.path.join(folder, entry))
                except OSError:
                    pass
        path = os.path.join(folder, current)
        head = head_caches.head_of_key(safe)
        if head is not None:
            if os.path.exists(path):
                head_caches.mark_used(path)
            else:  # about to be written: make room by dropping the data of heads unused the longest
                head_caches.retire_old_heads(folder, head)
        return path

    def memoized(self, key: Any, compute: Callable[[], Any], *, group: str | None = None, keep: int = 1) -> Any:
        """``compute()`` kept in memory for the life of this ``LibraryIndex`` (one state); with
        ``group``, only for the ``keep`` keys of that group used most recently (large values, such
        as each head's projected library in a server that retrains heads)."""
        value = self._memo.get(key, _MISSING)
        if value is _MISSING:
            value = self._memo[key] = compute()
        if group is not None:
            with self._groups_lock:
                recent = self._groups.setdefault(group, OrderedDict())
                recent[key] = None
                recent.move_to_end(key)
                while len(recent) > keep:
                    self._memo.pop(recent.popitem(last=False)[0], None)
        return value

    def cached_array(self, key: str, compute: Callable[[], np.ndarray], state: str | None = None) -> np.ndarray:
        """``compute()`` cached in ``<index>/cache/`` under ``key`` + ``state`` (default ``state_id``).

        A read-only index folder still works: the array is then computed every time."""
        try:
            path = self.cache_file(key, ".npy", state)
        except OSError:
            return np.asarray(compute())
        if os.path.exists(path):
            try:
                return np.load(path)
            except (OSError, ValueError):
                pass
        array = np.asarray(compute())
        buffer = io.BytesIO()
        np.save(buffer, array)
        try:
            store.atomic_write_bytes(path, buffer.getvalue())
        except OSError:
            pass
        return array


def open_index(index_path: str, placement: Placement | None = None) -> LibraryIndex:
    """Open the index at ``index_path``; raises ``IndexStoreError`` if there is none.

    ``placement`` says where its embedder runs when loaded (``timbre.devices.Placement``)."""
    index_path = os.path.abspath(index_path)
    config = store.read_config(index_path)
    dim = int(config["embedder"]["dim"])
    for _ in range(3):  # a writer may compact shards between reading the manifest and them
        manifest = store.read_manifest(index_path)
        try:
            records, vectors = store.read_shards(index_path, manifest["shards"], dim)
            return LibraryIndex(index_path, config, manifest, records, vectors, placement)
        except FileNotFoundError:
            continue
    raise IndexStoreError(f"{index_path}: shards keep changing under a writer; retry when `timbre index` ends")


def describe_index(index_path: str) -> dict[str, Any]:
    """What ``timbre info`` shows: embedder, counts, banks, pitch views, skipped files with reasons."""
    from timbre.index.views import describe_views

    lib = open_index(index_path)
    banks = Counter(r["bank"] for r in lib.records)
    reasons = Counter(s["reason"] for s in lib.skipped)
    return {
        "path": lib.path,
        "format_version": lib.config["format_version"],
        "created": lib.config.get("created"),
        "embedder": lib.embedder_spec,
        "state_id": lib.state_id,
        "files": len(lib),
        "banks": dict(sorted(banks.items())),
        "views": describe_views(lib),
        "skipped_count": len(lib.skipped),
        "skipped_by_reason": dict(sorted(reasons.items())),
        "skipped": sorted(lib.skipped, key=lambda s: s["path"]),
    }
