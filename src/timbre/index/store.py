"""The index folder on disk: config, manifest, Parquet shards, atomic writes and the writer lock.

Layout::

    <index>/index.json      format version, embedder spec, creation time (written once)
    <index>/manifest.json   live shard files, skipped files, state counter (replaced atomically)
    <index>/shards/*.parquet rows of file facts + one vector each
    <index>/cache/          derived data (HNSW graphs, head projections), safe to delete
    <index>/.lock           flock'd by the one writer; holds its pid

A batch is durable once its shard is written *and* the manifest lists it. Shards not listed
in the manifest (a crash between the two steps) and ``*.tmp`` files are leftovers that the
next writer deletes.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from timbre.errors import IndexLockedError, IndexStoreError

FORMAT_VERSION = 1
CONFIG_FILE = "index.json"
MANIFEST_FILE = "manifest.json"
SHARDS_DIR = "shards"
CACHE_DIR = "cache"
LOCK_FILE = ".lock"
TMP_SUFFIX = ".tmp"

#: Row fields besides the vector, in column order.
ROW_FIELDS = ("path", "name", "bank", "folder", "size", "mtime", "content_hash",
              "duration", "sample_rate", "channels")


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, ``os.replace``."""
    tmp = temp_path(path)
    with removed_on_failure(tmp):
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path) or ".")


def temp_path(path: str) -> str:
    """A unique temp name beside ``path`` (``*.tmp``: leftovers are recognised and deleted)."""
    return f"{path}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"


@contextmanager
def removed_on_failure(tmp: str) -> Iterator[None]:
    """Delete the temp file ``tmp`` if the block fails (full disk, read-only folder, kill signal)."""
    try:
        yield
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def atomic_write_json(path: str, obj: Any) -> None:
    """Atomically write ``obj`` as indented, key-sorted JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def read_json(path: str) -> Any:
    """Parse a JSON file of the index; damage becomes one ``IndexStoreError`` line."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise IndexStoreError(
            f"{path}: unreadable ({exc.__class__.__name__}); delete the index folder and re-run `timbre index`"
        ) from exc


# --- config and manifest -------------------------------------------------------------------

def read_config(index_path: str) -> dict[str, Any]:
    """``index.json`` of an existing index (checks the format version)."""
    path = os.path.join(index_path, CONFIG_FILE)
    if not os.path.exists(path):
        raise IndexStoreError(
            f"{index_path}: no timbre index here; build one with `timbre index DIR --index {index_path}`")
    config = read_json(path)
    if config.get("format_version") != FORMAT_VERSION:
        raise IndexStoreError(
            f"{index_path}: index format {config.get('format_version')} but this timbre reads "
            f"{FORMAT_VERSION}; rebuild it with `timbre index DIR --index NEW`")
    return config


def write_config(index_path: str, embedder_spec: dict[str, Any],
                 views: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create ``index.json`` for a new index (``views``: its pitch views, :mod:`timbre.index.views`)."""
    config = {
        "format_version": FORMAT_VERSION,
        "embedder": embedder_spec,
        **({"views": views} if views else {}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_json(os.path.join(index_path, CONFIG_FILE), config)
    return config


def empty_manifest() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "shards": [], "skipped": [], "state": 0}


def read_manifest(index_path: str) -> dict[str, Any]:
    """``manifest.json`` or an empty manifest for a fresh index."""
    path = os.path.join(index_path, MANIFEST_FILE)
    if not os.path.exists(path):
        return empty_manifest()
    return read_json(path)


def write_manifest(index_path: str, manifest: dict[str, Any]) -> None:
    """Bump the state counter and atomically replace the manifest (the commit point)."""
    manifest["state"] = int(manifest.get("state", 0)) + 1
    atomic_write_json(os.path.join(index_path, MANIFEST_FILE), manifest)


def state_id(manifest: dict[str, Any]) -> str:
    """Changes whenever the indexed content changes (shard names are unique per write)."""
    import hashlib

    blob = json.dumps([manifest.get("state", 0), manifest.get("shards", [])])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --- shards --------------------------------------------------------------------------------

def new_shard_name() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:10]}.parquet"


def write_shard(index_path: str, rows: list[dict[str, Any]], vectors: np.ndarray) -> str:
    """Write rows + vectors as one Parquet shard (atomically); returns its file name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    dim = int(vectors.shape[1])
    columns = {field: [row[field] for row in rows] for field in ROW_FIELDS}
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
    table = pa.table({
        "path": pa.array(columns["path"], pa.string()),
        "name": pa.array(columns["name"], pa.string()),
        "bank": pa.array(columns["bank"], pa.string()),
        "folder": pa.array(columns["folder"], pa.string()),
        "size": pa.array(columns["size"], pa.int64()),
        "mtime": pa.array(columns["mtime"], pa.float64()),
        "content_hash": pa.array(columns["content_hash"], pa.string()),
        "duration": pa.array(columns["duration"], pa.float64()),
        "sample_rate": pa.array(columns["sample_rate"], pa.int32()),
        "channels": pa.array(columns["channels"], pa.int32()),
        "vector": pa.FixedSizeListArray.from_arrays(flat, dim),
    })
    name = new_shard_name()
    final = os.path.join(index_path, SHARDS_DIR, name)
    tmp = temp_path(final)
    with removed_on_failure(tmp):
        pq.write_table(table, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    _fsync_dir(os.path.dirname(final))
    return name


def read_shards(index_path: str, shard_names: list[str], dim: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """All rows (as dicts) and their ``(n, dim)`` float32 vectors, in manifest order.

    A path in several shards keeps only its row from the latest shard: a changed file's new
    row replaces the old one the moment its shard is committed."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    blocks: list[np.ndarray] = []
    for name in shard_names:
        path = os.path.join(index_path, SHARDS_DIR, name)
        try:
            table = pq.read_table(path, memory_map=True)
        except FileNotFoundError:
            raise  # compacted away by a writer meanwhile: open_index re-reads the manifest
        except Exception as exc:
            raise IndexStoreError(
                f"{path}: damaged shard ({exc.__class__.__name__}); re-run `timbre index` to rebuild it"
            ) from exc
        rows.extend(table.drop(["vector"]).to_pylist())
        values = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        blocks.append(np.asarray(values, dtype=np.float32).reshape(-1, dim))
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, dim), np.float32)
    latest = {row["path"]: i for i, row in enumerate(rows)}
    if len(latest) < len(rows):
        keep = sorted(latest.values())
        rows, vectors = [rows[i] for i in keep], vectors[keep]
    return rows, vectors


def delete_shards(index_path: str, shard_names: list[str]) -> None:
    for name in shard_names:
        try:
            os.remove(os.path.join(index_path, SHARDS_DIR, name))
        except FileNotFoundError:
            pass


def clean_leftovers(index_path: str, live_shards: list[str]) -> list[str]:
    """Delete temp files and shards the manifest does not list (crash leftovers)."""
    removed = []
    live = set(live_shards)
    for folder in (index_path, os.path.join(index_path, SHARDS_DIR), os.path.join(index_path, CACHE_DIR)):
        if not os.path.isdir(folder):
            continue
        for entry in os.listdir(folder):
            full = os.path.join(folder, entry)
            orphan = folder.endswith(SHARDS_DIR) and entry.endswith(".parquet") and entry not in live
            if entry.endswith(TMP_SUFFIX) or orphan:
                try:
                    os.remove(full)
                    removed.append(full)
                except OSError:
                    pass
    return removed


# --- writer lock ---------------------------------------------------------------------------

class WriterLock:
    """Exclusive ``flock`` on ``<index>/.lock``; the kernel releases it if the process dies."""

    def __init__(self, index_path: str):
        self.index_path = index_path
        self._fd: int | None = None

    def __enter__(self) -> "WriterLock":
        import fcntl

        path = os.path.join(self.index_path, LOCK_FILE)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            raise IndexLockedError(
                f"another timbre process (pid {holder}) is writing to {self.index_path}; "
                "wait for it or stop it, then re-run") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode().strip() or "?"
    except OSError:
        return "?"

