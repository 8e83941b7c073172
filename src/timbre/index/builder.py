"""``build_index``: bring an index folder up to date with audio folders, crash-safely.

A run scans the folders, compares with the index by (path, size, mtime), drops rows of
deleted or changed files (one atomic rewrite), then decodes and embeds the rest in worker
processes and commits a shard every ``COMMIT_ROWS`` files or ``COMMIT_SECONDS``. A kill at
any moment loses at most the uncommitted batch; the next run resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from itertools import islice
from typing import Any, Iterator

import numpy as np

from timbre.errors import EmbedderMismatchError, TimbreError
from timbre.index import store
from timbre.index.report import IndexReport, SkippedFile
from timbre.index.scan import FoundFile, plan_run, scan_folders
from timbre.progress import ensure_progress

#: Files per durable shard, and the longest time between two commits.
COMMIT_ROWS = 256
COMMIT_SECONDS = 10.0
#: More live shards than this are merged into one at the end of a run.
COMPACT_SHARDS = 8


def build_index(dirs: list[str], index_path: str, embedder: str | None = None,
                embedder_options: dict | None = None, *, workers: int | None = None,
                progress=None) -> IndexReport:
    """Index every audio file under ``dirs`` into ``index_path`` (created if missing).

    An existing index keeps its embedder; naming another raises ``EmbedderMismatchError``.
    Bad files are skipped and recorded (``report.skipped``, ``timbre info``); they are retried
    only once they change. ``workers`` decode processes (default: usable cores; 0 or 1 runs
    in this process). Raises ``IndexLockedError`` while another process writes the index."""
    progress = ensure_progress(progress)
    index_path = os.path.abspath(index_path)
    os.makedirs(os.path.join(index_path, store.SHARDS_DIR), exist_ok=True)
    with store.WriterLock(index_path):
        model, spec = _resolve_embedder(index_path, embedder, embedder_options)
        manifest = store.read_manifest(index_path)
        store.clean_leftovers(index_path, manifest["shards"])
        rows, vectors = store.read_shards(index_path, manifest["shards"], spec["dim"])
        indexed = {row["path"]: row for row in rows}
        found = scan_folders(dirs)
        plan = plan_run(found, indexed, manifest["skipped"], dirs)
        report = IndexReport(unchanged=len(plan.keep_paths), removed=len(plan.drop_paths) - len(plan.changed_files))
        report.skipped.extend(SkippedFile(s["path"], s["reason"], s["detail"]) for s in plan.skipped_kept)
        writer = ShardWriter(index_path, manifest, spec["dim"], plan.skipped_kept)
        if plan.drop_paths:
            keep = [i for i, row in enumerate(rows) if row["path"] not in plan.drop_paths]
            writer.replace_all([rows[i] for i in keep], vectors[keep])
        changed = {f.path for f in plan.changed_files}
        _index_files(plan.pending, model, spec, writer, report, changed, workers, progress)
        writer.compact_if_needed()
        report.total = writer.row_count
    return report


def _resolve_embedder(index_path: str, name: str | None, options: dict | None) -> tuple[Any, dict]:
    """The index's embedder (or the requested one for a new index); refuses mixing."""
    from timbre.embedders import DEFAULT_EMBEDDER, load_embedder

    has_config = os.path.exists(os.path.join(index_path, store.CONFIG_FILE))
    stored = store.read_config(index_path)["embedder"] if has_config else None
    if stored is not None and name is None:
        name, options = stored["name"], stored.get("options", {})
    name, options = name or DEFAULT_EMBEDDER, dict(options or {})
    if stored is not None and stored["name"] != name:
        raise _mismatch(index_path, stored, name)
    model = load_embedder(name, **options)
    spec = model.spec()
    as_stored = json.loads(json.dumps(spec["options"]))  # tuples become lists, as in index.json
    if stored is not None and (as_stored, spec["fingerprint"], spec["dim"]) != (
            stored.get("options", {}), stored["fingerprint"], stored["dim"]):
        raise _mismatch(index_path, stored, f"{name} {spec['options'] or ''}(fingerprint {spec['fingerprint']})")
    if stored is None:
        store.write_config(index_path, spec)
    return model, spec


def _mismatch(index_path: str, stored: dict, requested: str) -> EmbedderMismatchError:
    return EmbedderMismatchError(
        f"index {index_path} was built with embedder {stored['name']} {stored.get('options') or ''}"
        f"(fingerprint {stored['fingerprint']}) but {requested} was requested; pass --index NEW to "
        "build a separate index, or omit --embedder/--model to update this one")


class ShardWriter:
    """Buffers new rows and commits them as shards + manifest replacements."""

    def __init__(self, index_path: str, manifest: dict, dim: int, skipped_kept: list[dict]):
        self.index_path, self.manifest, self.dim = index_path, manifest, dim
        manifest["skipped"] = list(skipped_kept)
        self.row_count = self._count_rows()
        self._rows: list[dict] = []
        self._vectors: list[np.ndarray] = []
        self._dirty = False
        self._last_commit = time.monotonic()

    def _count_rows(self) -> int:
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(os.path.join(self.index_path, store.SHARDS_DIR, n)).num_rows
                   for n in self.manifest["shards"])

    def add(self, record: dict, vector: np.ndarray) -> None:
        vector = np.asarray(vector, np.float32)
        if vector.shape != (self.dim,):
            raise TimbreError(f"embedder returned a vector of shape {vector.shape} for {record['path']} but "
                              f"the index holds {self.dim}-d vectors; the embedder is broken or changed")
        self._rows.append(record)
        self._vectors.append(vector)

    def skip(self, found: FoundFile, reason: str, detail: str) -> None:
        self.manifest["skipped"].append({"path": found.path, "reason": reason, "detail": detail,
                                         "size": found.size, "mtime": found.mtime})
        self._dirty = True

    def commit_if_due(self) -> None:
        due = time.monotonic() - self._last_commit >= COMMIT_SECONDS
        if len(self._rows) >= COMMIT_ROWS or (due and (self._rows or self._dirty)):
            self.commit()

    def commit(self) -> None:
        """Make buffered rows and skips durable: shard first, then the manifest names it."""
        if self._rows:
            name = store.write_shard(self.index_path, self._rows, np.stack(self._vectors))
            self.manifest["shards"].append(name)
            self.row_count += len(self._rows)
        if self._rows or self._dirty:
            store.write_manifest(self.index_path, self.manifest)
        self._rows, self._vectors, self._dirty = [], [], False
        self._last_commit = time.monotonic()

    def replace_all(self, rows: list[dict], vectors: np.ndarray) -> None:
        """Atomically swap all live shards for one holding ``rows`` (removal, compaction)."""
        self.commit()
        old = list(self.manifest["shards"])
        self.manifest["shards"] = [store.write_shard(self.index_path, rows, vectors)] if rows else []
        store.write_manifest(self.index_path, self.manifest)
        store.delete_shards(self.index_path, old)
        self.row_count = len(rows)

    def compact_if_needed(self) -> None:
        self.commit()
        if len(self.manifest["shards"]) > COMPACT_SHARDS:
            rows, vectors = store.read_shards(self.index_path, self.manifest["shards"], self.dim)
            self.replace_all(rows, vectors)


def _index_files(pending: list[FoundFile], model: Any, spec: dict, writer: ShardWriter,
                 report: IndexReport, changed: set[str], workers: int | None, progress) -> None:
    """Decode (+embed) ``pending`` and hand rows to ``writer``; bad files become skips."""
    progress.start(len(pending), "indexing", "file")
    waiting: list[tuple[FoundFile, dict, np.ndarray]] = []  # decoded, for main-process embedding

    def accept(found: FoundFile, record: dict, vector: np.ndarray) -> None:
        writer.add(record, vector)
        if found.path in changed:
            report.updated += 1
        else:
            report.added += 1

    def flush_waiting() -> None:
        for found, record, vector, failure in _embed_in_main(model, waiting):
            if failure is None:
                accept(found, record, vector)
            else:
                _skip(writer, report, found, "embed_failed", failure)
        waiting.clear()

    for found, outcome in zip(pending, _process_all(pending, model, spec, workers)):
        if outcome[0] == "skip":
            _skip(writer, report, found, outcome[2], outcome[3])
        elif outcome[2] is not None:
            accept(found, outcome[1], outcome[2])
        else:
            waiting.append((found, outcome[1], outcome[3]))
            if len(waiting) >= model.batch_size:
                flush_waiting()
        progress.advance(1)
        writer.commit_if_due()
    flush_waiting()
    writer.commit()
    progress.close()


def _skip(writer: ShardWriter, report: IndexReport, found: FoundFile, reason: str, detail: str) -> None:
    writer.skip(found, reason, detail)
    report.skipped.append(SkippedFile(found.path, reason, detail))


def _embed_in_main(model: Any, items: list[tuple]) -> Iterator[tuple]:
    """Embed decoded clips in one batch; if the batch fails, clip by clip to find the bad one."""
    if not items:
        return
    try:
        vectors = model.embed_audio([signal for _, _, signal in items])
        for (found, record, _), vector in zip(items, vectors):
            yield found, record, vector, None
        return
    except Exception:
        pass
    for found, record, signal in items:
        try:
            yield found, record, model.embed_audio([signal])[0], None
        except Exception as exc:
            yield found, record, None, f"{exc.__class__.__name__}: {exc}"


def _process_all(pending: list[FoundFile], model: Any, spec: dict, workers: int | None) -> Iterator[tuple]:
    """``process_file`` outcomes for ``pending``, in order: in spawned workers or in-process."""
    from timbre.index import workers as work
    from timbre.runtime import default_threads

    count = default_threads() if workers is None else workers
    if count <= 1 or len(pending) < 2:
        work.init_in_process(model if model.parallel_safe else None, spec["sample_rate"])
        yield from map(work.process_file, pending)
        return
    yield from _process_in_pool(pending, model, spec, count)


def _process_in_pool(pending: list[FoundFile], model: Any, spec: dict, count: int) -> Iterator[tuple]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from timbre.embedders import available_embedders
    from timbre.index import workers as work

    class_path = available_embedders()[spec["name"]] if model.parallel_safe else None
    context = multiprocessing.get_context("spawn")
    window = count * 4  # bounded read-ahead: decoded clips are large
    with ProcessPoolExecutor(count, mp_context=context, initializer=work.init_worker,
                             initargs=(class_path, spec["options"], spec["sample_rate"])) as pool:
        files = iter(pending)
        inflight = deque(pool.submit(work.process_file, f) for f in islice(files, window))
        while inflight:
            yield inflight.popleft().result()
            nxt = next(files, None)
            if nxt is not None:
                inflight.append(pool.submit(work.process_file, nxt))
