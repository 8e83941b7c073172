"""``build_index``: bring an index folder up to date with audio folders, crash-safely.

A run scans the folders and compares them with the index by (path, size, mtime). New and
changed files are hashed: content already indexed reuses its vector, the rest is decoded and
embedded in worker processes; a shard is committed every ``COMMIT_ROWS`` files or
``COMMIT_SECONDS``. Readers see a changed file's old row until its new row is committed
(the later shard wins); rows of deleted files and replaced rows go in one atomic rewrite at
the end. A kill at any moment loses at most the uncommitted batch, never a visible row; the
next run resumes where it stopped.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from contextlib import contextmanager
from collections.abc import Sequence
from typing import Any, Iterator

import numpy as np

from timbre.devices import Placement
from timbre.errors import EmbedderMismatchError, IndexWriteError, TimbreError, display_path
from timbre.index import store
from timbre.index.pipeline import StoredVectors, index_files
from timbre.index.plan import plan_run
from timbre.index.report import IndexReport, SkippedFile
from timbre.index.scan import resolve_roots, scan_folders
from timbre.progress import ensure_progress

#: Files per durable shard, and the longest time between two commits.
COMMIT_ROWS = 256
COMMIT_SECONDS = 10.0
#: More live shards than this are merged into one at the end of a run.
COMPACT_SHARDS = 8


def build_index(dirs: list[str], index_path: str, embedder: str | None = None,
                embedder_options: dict | None = None, *, workers: int | None = None,
                progress=None, placement: Placement | None = None,
                views: Sequence[int] | None = None, textures: Sequence[str] | None = None) -> IndexReport:
    """Index every audio file under ``dirs`` into ``index_path`` (created if missing).

    An existing index keeps its embedder; naming another raises ``EmbedderMismatchError``.
    Bad files are skipped and recorded (``report.skipped``, ``timbre info``); they are retried
    only once they change. ``workers`` decode processes (default: usable cores; 0 or 1 runs
    in this process). ``placement`` says where a torch embedder runs (default: ``auto``). Raises ``IndexLockedError`` while another process writes the index, and
    ``IndexWriteError`` (one line) when the index folder cannot be written (read-only, full
    disk): committed rows stay intact. A run that fails before its first commit leaves no
    new index folder behind.

    ``views`` are the pitch views' shifts in semitones (:mod:`timbre.index.views`; ``()`` for
    none) and ``textures`` what each view plays (:mod:`timbre.index.view_textures`); ``None``
    keeps the index's (a new index gets ``DEFAULT_SEMITONES`` and its embedder's ``view_textures``). The views
    of new previews are computed after their rows are committed (``report.views``)."""
    if textures is not None and not textures:
        raise ValueError("view textures cannot be empty — name at least one (note), or turn views off with views=()")
    progress = ensure_progress(progress)
    roots = resolve_roots(dirs)
    index_path = os.path.abspath(index_path)
    new_top = _topmost_missing(index_path)
    with _write_errors(index_path):
        os.makedirs(os.path.join(index_path, store.SHARDS_DIR), exist_ok=True)
        with store.WriterLock(index_path):
            try:
                report, model = _update(roots, index_path, embedder, embedder_options, workers, progress,
                                        placement or Placement())
                report.views = _complete_views(index_path, (views, textures), model, progress, workers)
                return report
            except BaseException:
                if new_top and not os.path.exists(os.path.join(index_path, store.MANIFEST_FILE)):
                    shutil.rmtree(new_top, ignore_errors=True)  # still under our lock: nobody else wrote
                raise


def _update(roots: list[str], index_path: str, embedder: str | None, embedder_options: dict | None,
            workers: int | None, progress, placement: Placement) -> tuple[IndexReport, Any]:
    model, spec = _resolve_embedder(index_path, embedder, embedder_options, placement)
    manifest = store.read_manifest(index_path)
    store.clean_leftovers(index_path, manifest["shards"])
    rows, vectors = store.read_shards(index_path, manifest["shards"], spec["dim"])
    scan = scan_folders(roots)
    plan = plan_run(scan, {row["path"]: row for row in rows}, manifest["skipped"], roots)
    report = IndexReport(unchanged=len(plan.keep_paths), removed=len(plan.drop_paths))
    report.skipped.extend(SkippedFile(s["path"], s["reason"], s["detail"]) for s in plan.skipped_kept)
    writer = ShardWriter(index_path, manifest, spec["dim"], plan.skipped_kept, live_rows=len(rows))
    for problem in scan.problems:
        writer.skip({**problem, "scan": True})
        report.skipped.append(SkippedFile(problem["path"], problem["reason"], problem["detail"]))
    changed = {f.path for f in plan.changed_files}
    renewed = index_files(plan.pending, model, spec, StoredVectors(rows, vectors), writer, report,
                          changed, workers, progress)
    report.removed += len(changed - renewed)  # changed files that are bad now lose their row
    writer.finish(plan.drop_paths | (changed - renewed), superseded=len(renewed))
    report.total = writer.row_count
    return report, model


def _complete_views(index_path: str, layout: tuple[Sequence[int] | None, Sequence[str] | None], model, progress,
                    workers: int | None) -> int:
    """Record the index's view shifts and textures (``layout``, each ``None`` to keep the index's)
    and compute the views its previews lack; returns how many previews got views."""
    from timbre.index.library import open_index
    from timbre.index.views import PLAIN_TEXTURES, complete_views, prune_view_stores

    config = store.read_config(index_path)
    views = config.get("views") or {}
    current = {"semitones": [int(s) for s in views.get("semitones", ())],
               "textures": list(views.get("textures", PLAIN_TEXTURES))}
    semitones, textures = layout
    wanted = {"semitones": current["semitones"] if semitones is None else [int(s) for s in semitones],
              "textures": current["textures"] if textures is None else list(textures)}
    if wanted != current:
        config["views"] = wanted
        store.atomic_write_json(os.path.join(index_path, store.CONFIG_FILE), config)
    lib = open_index(index_path)
    lib.use_embedder(model)
    done = complete_views(lib, progress=progress, workers=workers)
    prune_view_stores(lib)  # once the current list is complete, so an interrupted change keeps the old views
    return done


def _topmost_missing(path: str) -> str | None:
    """The outermost folder of ``path`` that does not exist yet (what makedirs would create)."""
    top = None
    while not os.path.lexists(path):
        top, parent = path, os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return top


@contextmanager
def _write_errors(index_path: str) -> Iterator[None]:
    """An ``OSError`` of the index folder (read-only, full disk) becomes one ``IndexWriteError`` line."""
    try:
        yield
    except OSError as exc:
        text = exc.strerror or str(exc).splitlines()[0]
        code = exc.errno or (errno.ENOSPC if "No space left" in text else None)
        if code in (errno.ENOSPC, errno.EDQUOT):
            hint = "free disk space and re-run; the files indexed so far are kept"
        elif code in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR):
            hint = "pass --index a folder you can write to"
        else:
            hint = "check the disk and re-run; the files indexed so far are kept"
        where = f" ({display_path(exc.filename)})" if exc.filename else ""
        raise IndexWriteError(f"cannot write the index {display_path(index_path)}: {text}{where} — {hint}") from exc


def _resolve_embedder(index_path: str, name: str | None, options: dict | None,
                      placement: Placement) -> tuple[Any, dict]:
    """The index's embedder (or the requested one for a new index); refuses mixing."""
    from timbre.embedders import DEFAULT_EMBEDDER, load_embedder
    from timbre.embedders.combined import canonical_name

    # A config without a manifest holds no vectors yet (a run that ended before its first
    # commit): the embedder may still be chosen afresh.
    has_config = all(os.path.exists(os.path.join(index_path, f)) for f in (store.CONFIG_FILE, store.MANIFEST_FILE))
    stored = store.read_config(index_path)["embedder"] if has_config else None
    if stored is not None and (name is None or (options is None and canonical_name(name) == stored["name"])):
        # the same embedder asked for without options (e.g. by `timbre eval`): the index's own options
        name, options = stored["name"], stored.get("options", {})
    name, options = canonical_name(name or DEFAULT_EMBEDDER), dict(options or {})
    if stored is not None and stored["name"] != name:
        raise _mismatch(index_path, stored, name)
    model = load_embedder(name, placement, **options)
    spec = model.spec()
    as_stored = json.loads(json.dumps(spec["options"]))  # tuples become lists, as in index.json
    if stored is not None and (as_stored, spec["fingerprint"], spec["dim"]) != (
            stored.get("options", {}), stored["fingerprint"], stored["dim"]):
        raise _mismatch(index_path, stored, f"{name} {spec['options'] or ''}(fingerprint {spec['fingerprint']})")
    if stored is None:
        from timbre.index.views import DEFAULT_SEMITONES

        store.write_config(index_path, spec, {"semitones": list(DEFAULT_SEMITONES), "textures": list(model.view_textures)})
    return model, spec


def _mismatch(index_path: str, stored: dict, requested: str) -> EmbedderMismatchError:
    return EmbedderMismatchError(
        f"index {index_path} was built with embedder {stored['name']} {stored.get('options') or ''}"
        f"(fingerprint {stored['fingerprint']}) but {requested} was requested; pass --index NEW to "
        "build a separate index, or omit --embedder/--model to update this one")


class ShardWriter:
    """Buffers new rows and commits them as shards + manifest replacements."""

    def __init__(self, index_path: str, manifest: dict, dim: int, skipped_kept: list[dict], live_rows: int):
        self.index_path, self.manifest, self.dim = index_path, manifest, dim
        manifest["skipped"] = list(skipped_kept)
        self.row_count = self._count_rows()  # rows in the shards, superseded ones included
        self._superseded = self.row_count - live_rows
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

    def skip(self, entry: dict) -> None:
        """Record a skipped file (``path``, ``reason``, ``detail``, and ``size``/``mtime`` if known)."""
        self.manifest["skipped"].append(entry)
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

    def finish(self, stale: set[str], superseded: int) -> None:
        """Commit, then drop the rows of ``stale`` paths and rows replaced by newer ones (a
        changed file's old row stayed visible until now), compacting many shards into one."""
        self.commit()
        superseded += self._superseded
        if stale or superseded or len(self.manifest["shards"]) > COMPACT_SHARDS:
            rows, vectors = store.read_shards(self.index_path, self.manifest["shards"], self.dim)
            keep = [i for i, row in enumerate(rows) if row["path"] not in stale]
            self.replace_all([rows[i] for i in keep], vectors[keep])
